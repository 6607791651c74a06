"""What the pictures and the original sound of a clip say: hard cuts, motion, light, colour, speech.

Cut detector
    Every decoded frame is shrunk by FFmpeg's own scaler to a 64x36 RGB thumbnail inside a filter
    graph (``scale=...:flags=area`` averages ~900 source pixels per thumbnail pixel at 1080p, which
    also averages grain away; ``frame.reformat`` per frame measured 5x slower). Two consecutive
    frames differ by ``pix`` (mean absolute luma difference, 0..1) and ``hist`` (half the L1
    distance of their 4x4x4 RGB histograms, 0..1). A cut needs both, each above an absolute floor
    and ``pix`` also ``ADAPTIVE_RATIO`` times the median of its neighbours (+-8 frames), as
    PySceneDetect's AdaptiveDetector does. Measured on 320x180 testsrc2 clips: cuts score
    pix 0.31-0.36 / hist 0.67-0.89; pans and zooms reach pix 0.066 but hist only 0.08-0.18;
    fades reach hist 0.75 (whole histograms slide across bin edges) but pix only 0.02; grain
    (``noise=alls=40``) stays below pix 0.03 / hist 0.07. A frame that differs from both
    neighbours while they match each other is a flash, not a cut.

Speed: decode as little as possible ("sparse" strategy)
    A 60 s 1080p30 8 Mbit/s H.264 phone-like clip takes 6-8 s to decode fully on the 2-core
    target machine, but analysis must fit in ~2.5 s. ``skip_frame=NONREF`` saves only 4 % there:
    x264 drops almost all B-frames on grainy video (1639 P, 128 B, 33 I), and phones often send
    P-only streams anyway. Decoding cost is roughly proportional to bytes, and a P-frame can only
    be decoded after every earlier frame of its GOP. So the sparse strategy reads the packet index
    first (sizes, keyframe flags, pts: ~0.03 s, no decoding) and then:

    1. decodes every keyframe, plus the next displayed frame in ``MOTION_SAMPLES`` GOPs (colour
       and light samples, motion samples, and a picture at the start of every GOP);
    2. explains each stretch it did not decode from the decoded frames on its two sides. Same
       shot on both sides (luma and histogram close) and no big packet: no cut. A cut-sized
       change and one dominant, isolated packet-size spike (a P-frame 1.6x+ the median of its
       kind, 1.4x+ any rival in the stretch or among its kind's neighbours: a cut forces the
       encoder to intra-code the new picture; bench clip: every real cut 2.3-7.0x, nothing
       else over 1.85x) with no B-frame reordered around it: the cut is that frame, exact
       without decoding it. The same spike with B-frames around it: decode just up to it;
    3. decodes, from the GOP's keyframe, every stretch that is still unexplained (a change with
       no dominant spike, such as a cut on a keyframe, a fade or a pan; a big packet with no
       change; the last GOP, with nothing after it), so there the frame detector decides.

    Only packet sizes of codecs with one picture per packet are trusted (``ONE_PICTURE_PER_PACKET``;
    VP9/AV1 packets may carry hidden reference frames: AV1 "spikes" pointed 2-13 frames off). An
    early keyframe is not taken for a cut: x264 also starts GOPs early in fades and on fast
    hand-held motion (it produced false cuts on both). Before a decoded stretch that starts with
    an IDR the decoder is not flushed, so frame threading overlaps two keyframes; any other start
    drains and flushes it, and open-GOP leading pictures of a stretch are ignored. The loop filter
    is skipped (``skip_loop_filter=all``: -25 % CPU, invisible at 64x36) and frame threading is on
    (slice threading measured 1.5-1.7x slower). The sound is decoded for speech on a worker
    thread meanwhile. Bench clip: 87 of 1800 frames decoded, all 20 cuts exact, ~1.2-1.4 s
    including speech (``bench/bench_video_analysis.py``).

    Clips small enough to decode quickly (``FULL_DECODE_MAX_PIXEL_FRAMES``) and streams with very
    short GOPs are decoded fully ("full" strategy); ``strategy=`` forces either (tests, benchmarks).

Damage
    A stream whose packets stop early (an MP4 cut short with its index in front) or that FFmpeg
    fails to decode part-way raises :class:`InputRejected`.
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from typing import Literal

import av
import av.container
import av.filter
import av.video.frame
import av.video.stream
import numpy as np
from scipy.ndimage import median_filter

from bot.errors import InputRejected
from bot.media import cancel
from bot.media.audio_io import decode_audio
from bot.media.models import MediaInfo, VideoAnalysis
from bot.media.speech import VAD_RATE, detect_speech

__all__ = ["Strategy", "analyze_video"]

log = logging.getLogger(__name__)

Strategy = Literal["auto", "full", "sparse"]
ProgressFn = Callable[[float], None]

DAMAGED = "The video is damaged or incomplete (maybe it didn't finish uploading); please send it again."

THUMB_LONG, THUMB_SHORT = 64, 36
PIX_CUT = 0.06
"""Minimum mean absolute luma difference (0..1) between the two frames of a cut."""
HIST_CUT = 0.25
"""Minimum histogram distance (0..1) between the two frames of a cut."""
ADAPTIVE_RATIO = 3.0
"""A cut's ``pix`` must be this many times the median ``pix`` of its neighbours."""
ADAPTIVE_WINDOW = 8
MIN_NEIGHBOURS = 4
"""With fewer decoded neighbours than this, the clip-wide median stands in for the local one."""
SAME_SHOT_PIX = 0.08
SAME_SHOT_HIST = 0.15
"""Two frames of an undecoded stretch this close (both) are taken to be one shot; deliberately
stricter than the cut floors, so doubt leads to decoding, not to a guess."""
SPIKE_CONFIDENT = 1.6
"""A packet this many times the size of its kind's local median may mark a cut (bench clip,
grain: real cuts 2.3-7.0x; clean 640x360 testsrc2, ultrafast: 1.84-1.90x)."""
SAME_SHOT_SPIKE = 2.0
"""Between two frames of one shot, only a spike this big is worth a look (a cut to a look-alike
shot); P-frames after a B-run reach 1.85x on the bench clip without any cut."""
SPIKE_ISOLATION = 1.4
SPIKE_DOMINANCE = 1.4
"""A stretch is explained by its biggest spike only if the runner-up in the stretch, and every
packet of its kind within +-7, is this many times smaller (bench: 2.27x vs 1.58x at worst). The
stretch rule stops a second cut hiding behind the first; the neighbourhood rule stops busy
hand-held footage, whose P-frames swing 2-9x, from passing a swing off as a cut."""
SPIKE_WINDOW = 15
"""Packet size spikes are measured against the median of this many packets of the same kind."""
SPARSE_ROUNDS = 2
"""Decoding rounds after the GOP heads: a partial look around B-frame-hidden spikes, then whatever
is still unexplained, whole."""
HEAD_FRAMES = 2
MOTION_SAMPLES = 8
"""GOPs whose first two frames are decoded for motion; the others give their keyframe only.
The frame after a keyframe must wait for the whole keyframe, so it costs as much as a second
keyframe in wall time (bench: 2-4 frames of every GOP 1.2 s, keyframes only 0.56 s)."""
FULL_DECODE_MAX_PIXEL_FRAMES = 300_000_000
"""About 1080p for 5 s, 720p for 11 s, 360p for a minute: cheap enough to decode every frame."""
MIN_SPARSE_GOP = 6
MOTION_SCALE = 0.03
"""``motion = 1 - exp(-mean pix / MOTION_SCALE)``: static testsrc2 ~0.2, a slow pan ~0.5, a fast one ~0.7."""
ONE_PICTURE_PER_PACKET = frozenset({"h264", "hevc", "vvc", "mpeg4", "mpeg2video", "mpeg1video", "h263", "msmpeg4v3"})
"""Codecs whose packet sizes may stand in for decoding; for any other the sparse strategy still
decodes GOP heads but looks at every stretch that changed."""
DECODER_OPTIONS = {"skip_loop_filter": "all"}


def analyze_video(
    info: MediaInfo,
    *,
    on_progress: ProgressFn | None = None,
    strategy: Strategy = "auto",
) -> VideoAnalysis:
    """Cuts, motion, brightness, saturation, warmth and speech of a probed clip.

    ``on_progress`` receives a fraction 0..1 now and then. Raises :class:`InputRejected` if the
    video turns out to be damaged part-way.
    """
    started = time.perf_counter()
    progress = _Progress(on_progress)
    frames = _Frames()
    # The sound is decoded on a worker thread while the pictures decode: PyAV releases the GIL
    # inside FFmpeg, and the video decoder leaves the cores idle between its dependent frames.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech") as pool:
        speech_job = pool.submit(_speech, info)
        try:
            cuts, decoded, mode, time_of = _analyze_pictures(info, frames, progress, strategy)
        except BaseException:
            speech_job.cancel()
            raise
        speech = speech_job.result()
    cut_times = tuple(round(time_of(d), 6) for d in sorted(set(cuts)) if d > 0)
    progress(1.0)
    result = VideoAnalysis(
        duration_s=info.duration_s,
        cut_times_s=cut_times,
        motion=frames.motion(exclude=set(cuts)),
        brightness=frames.brightness,
        saturation=frames.saturation,
        warmth=frames.warmth,
        speech_intervals=speech,
        frames_decoded=decoded,
    )
    log.info(
        "analysed %s (%s): %d cuts, %d frames decoded, motion %.2f, %d speech intervals in %.2f s",
        info.path,
        mode,
        len(cut_times),
        decoded,
        result.motion,
        len(speech),
        time.perf_counter() - started,
    )
    return result


def _analyze_pictures(
    info: MediaInfo, frames: _Frames, progress: _Progress, strategy: Strategy
) -> tuple[list[int], int, str, Callable[[int], float]]:
    """Decode what is needed; return cut display indices, frames decoded, mode, index->seconds."""
    try:
        with av.open(info.path) as container:
            stream = _video_stream(container)
            ctx = _StreamContext.from_stream(stream, info)
            mode = _choose_strategy(strategy, info, stream)
            index = _read_index(container, stream, ctx) if mode == "sparse" else None
            if index is not None and _mean_gop(index) >= MIN_SPARSE_GOP:
                progress(0.05)
                decoded, cuts = _sparse(container, stream, index, frames, progress)
                return cuts, decoded, "sparse", index.time_of_display
            if index is not None or mode == "sparse":
                container.seek(0)
            decoded = _decode_full(container, stream, ctx, frames, progress)
            return _detect_cuts(frames), decoded, "full", ctx.time_of_frame(frames)
    except InputRejected:
        raise
    except (av.FFmpegError, OSError, ValueError, MemoryError) as exc:
        log.info("analysis of %s failed: %s", info.path, exc)
        raise InputRejected(DAMAGED) from exc


# --------------------------------------------------------------------------------------------
# plumbing


class _Progress:
    """Monotonic, throttled progress reports."""

    def __init__(self, fn: ProgressFn | None) -> None:
        self._fn = fn
        self._last = -1.0

    def __call__(self, fraction: float) -> None:
        if self._fn is None:
            return
        fraction = min(1.0, max(self._last, fraction))
        if fraction >= 1.0 or fraction - self._last >= 0.02:
            self._last = fraction
            self._fn(fraction)


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    for stream in container.streams.video:
        if not int(stream.disposition) & int(av.stream.Disposition.attached_pic):
            return stream
    raise InputRejected("The file has no video track — send a video, or use it as a song.")


def _configure_decoder(stream: av.video.stream.VideoStream) -> None:
    stream.thread_type = "AUTO"
    stream.codec_context.options = dict(DECODER_OPTIONS)


def _choose_strategy(strategy: Strategy, info: MediaInfo, stream: av.video.stream.VideoStream) -> str:
    if strategy != "auto":
        return strategy
    n_frames = stream.frames or int(info.duration_s * (info.fps or 30.0))
    return "full" if info.width * info.height * n_frames <= FULL_DECODE_MAX_PIXEL_FRAMES else "sparse"


@dataclass
class _StreamContext:
    time_base: Fraction
    start_pts: int
    expected_frames: int
    duration_s: float
    fps: float

    @classmethod
    def from_stream(cls, stream: av.video.stream.VideoStream, info: MediaInfo) -> _StreamContext:
        tb = stream.time_base or Fraction(1, 90000)
        return cls(
            time_base=tb,
            start_pts=int(stream.start_time or 0),
            expected_frames=int(stream.frames or 0),
            duration_s=info.duration_s,
            fps=info.fps or 30.0,
        )

    def check_complete(self, count: int, last_time_s: float | None) -> None:
        """Raise if the stream ended well before its header said it would (a file cut short)."""
        if self.expected_frames > 0 and count < self.expected_frames - max(2, 0.02 * self.expected_frames):
            log.info("stream ended after %d of %d frames", count, self.expected_frames)
            raise InputRejected(DAMAGED)
        if last_time_s is not None and last_time_s < 0.9 * self.duration_s - 1.0:
            log.info("stream ended at %.2f s of %.2f s", last_time_s, self.duration_s)
            raise InputRejected(DAMAGED)

    def seconds(self, pts: int) -> float:
        return float((pts - self.start_pts) * self.time_base)

    def time_of_frame(self, frames: _Frames) -> Callable[[int], float]:
        pts = frames.pts_by_display

        def time_of(display: int) -> float:
            p = pts.get(display)
            return self.seconds(p) if p is not None else display / self.fps

        return time_of


# --------------------------------------------------------------------------------------------
# frame features


@dataclass
class _Feature:
    luma: np.ndarray
    hist: np.ndarray


def _diff(a: _Feature, b: _Feature) -> tuple[float, float]:
    pix = float(np.mean(np.abs(a.luma - b.luma)))
    hist = 0.5 * float(np.sum(np.abs(a.hist - b.hist)))
    return pix, hist


@dataclass
class _Frames:
    """Thumbnail features of the decoded frames, keyed by display index.

    Pair differences are computed as soon as both frames exist; a frame's features are dropped
    once every comparison it takes part in is done, so memory follows the number of undecoded
    stretches, not the number of frames.
    """

    feats: dict[int, _Feature] = field(default_factory=dict)
    pairs: dict[int, tuple[float, float]] = field(default_factory=dict)
    """k -> (pix, hist) between frames k-1 and k."""
    skips: dict[int, tuple[float, float]] = field(default_factory=dict)
    """k -> (pix, hist) between frames k-1 and k+1 (is k a flash?)."""
    decoded: set[int] = field(default_factory=set)
    pts_by_display: dict[int, int] = field(default_factory=dict)
    _n: int = 0
    _luma: float = 0.0
    _sat: float = 0.0
    _red: float = 0.0
    _blue: float = 0.0

    def add(self, display: int, pts: int | None, rgb: np.ndarray) -> None:
        if display in self.decoded:
            return
        self.decoded.add(display)
        if pts is not None:
            self.pts_by_display[display] = pts
        f = rgb.astype(np.float32) * (1.0 / 255.0)
        luma = 0.2126 * f[..., 0] + 0.7152 * f[..., 1] + 0.0722 * f[..., 2]
        q = (rgb >> 6).astype(np.intp)
        hist = np.bincount((q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]).ravel(), minlength=64)
        feat = _Feature(luma=luma, hist=hist.astype(np.float32) / float(q[..., 0].size))
        mx = f.max(axis=2)
        mn = f.min(axis=2)
        sat = np.where(mx > 1e-3, (mx - mn) / np.maximum(mx, 1e-3), 0.0)
        self._n += 1
        self._luma += float(luma.mean())
        self._sat += float(sat.mean())
        self._red += float(f[..., 0].mean())
        self._blue += float(f[..., 2].mean())
        self.feats[display] = feat
        for k in (display, display + 1):
            if k - 1 in self.feats and k in self.feats:
                self.pairs[k] = _diff(self.feats[k - 1], self.feats[k])
        for c in (display - 1, display + 1):
            if c - 1 in self.feats and c + 1 in self.feats:
                self.skips[c] = _diff(self.feats[c - 1], self.feats[c + 1])
        for c in (display - 2, display - 1, display, display + 1, display + 2):
            if c in self.feats and all(c + o in self.decoded for o in (-2, -1, 1, 2)):
                del self.feats[c]

    def long_diff(self, a: int, b: int) -> tuple[float, float] | None:
        fa, fb = self.feats.get(a), self.feats.get(b)
        return _diff(fa, fb) if fa is not None and fb is not None else None

    def motion(self, *, exclude: set[int]) -> float:
        vals = [pix for k, (pix, _h) in self.pairs.items() if k not in exclude and k + 1 not in exclude]
        if not vals:
            return 0.0
        return float(round(1.0 - math.exp(-float(np.mean(vals)) / MOTION_SCALE), 4))

    @property
    def brightness(self) -> float:
        return round(self._luma / self._n, 4) if self._n else 0.0

    @property
    def saturation(self) -> float:
        return round(self._sat / self._n, 4) if self._n else 0.0

    @property
    def warmth(self) -> float:
        total = self._red + self._blue
        return round((self._red - self._blue) / total, 4) if total > 1e-6 else 0.0


class _Thumbnailer:
    """FFmpeg scale+format graph to a tiny RGB picture, rebuilt if the frame geometry changes."""

    def __init__(self) -> None:
        self._graph: av.filter.Graph | None = None
        self._key: tuple[int, int, str] | None = None

    def __call__(self, frame: av.video.frame.VideoFrame) -> np.ndarray:
        key = (frame.width, frame.height, frame.format.name)
        if self._graph is None or key != self._key:
            self._graph = self._build(frame)
            self._key = key
        self._graph.push(frame)
        out = self._graph.vpull()
        return out.to_ndarray()

    @staticmethod
    def _build(frame: av.video.frame.VideoFrame) -> av.filter.Graph:
        width, height = frame.width, frame.height
        tw, th = (THUMB_LONG, THUMB_SHORT) if width >= height else (THUMB_SHORT, THUMB_LONG)
        graph = av.filter.Graph()
        src = graph.add_buffer(width=width, height=height, format=frame.format, time_base=Fraction(1, 1000))
        scale = graph.add("scale", f"{tw}:{th}:flags=area")
        rgb = graph.add("format", "rgb24")
        sink = graph.add("buffersink")
        src.link_to(scale)
        scale.link_to(rgb)
        rgb.link_to(sink)
        graph.configure()
        return graph


# --------------------------------------------------------------------------------------------
# cut decision on decoded frames


def _detect_cuts(frames: _Frames) -> list[int]:
    """Display indices whose frame starts a new shot, from consecutive decoded pairs."""
    keys = sorted(frames.pairs)
    if not keys:
        return []
    pix = np.array([frames.pairs[k][0] for k in keys])
    hist = np.array([frames.pairs[k][1] for k in keys])
    global_pix = float(np.median(pix))
    cuts: list[int] = []
    for i, k in enumerate(keys):
        if pix[i] < PIX_CUT or hist[i] < HIST_CUT:
            continue
        lo = bisect.bisect_left(keys, k - ADAPTIVE_WINDOW)
        hi = bisect.bisect_right(keys, k + ADAPTIVE_WINDOW)
        neighbours = np.r_[pix[lo:i], pix[i + 1 : hi]]
        base = float(np.median(neighbours)) if len(neighbours) >= MIN_NEIGHBOURS else global_pix
        if pix[i] < ADAPTIVE_RATIO * max(base, 0.004):
            continue
        # The strongest of a run of consecutive high pairs (a 2-frame dissolve, say).
        prev_pair = frames.pairs.get(k - 1)
        next_pair = frames.pairs.get(k + 1)
        if (prev_pair and prev_pair[0] > pix[i]) or (next_pair and next_pair[0] >= pix[i]):
            continue
        if _is_flash(frames, k, pix[i]) or _is_flash(frames, k - 1, pix[i]):
            continue
        cuts.append(k)
    return cuts


def _is_flash(frames: _Frames, centre: int, strength: float) -> bool:
    """Frames centre-1 and centre+1 match while frame centre differs: a flash or a glitch."""
    skip = frames.skips.get(centre)
    return skip is not None and skip[0] < 0.35 * strength and skip[1] < HIST_CUT


# --------------------------------------------------------------------------------------------
# full strategy


def _decode_full(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    ctx: _StreamContext,
    frames: _Frames,
    progress: _Progress,
) -> int:
    """Decode every frame in order; display index = output order."""
    _configure_decoder(stream)
    thumb = _Thumbnailer()
    n = 0
    last_time: float | None = None
    expected = max(1, ctx.expected_frames or int(ctx.duration_s * ctx.fps))
    for frame in container.decode(stream):
        frames.add(n, frame.pts, thumb(frame))
        if frame.pts is not None:
            last_time = ctx.seconds(frame.pts)
        n += 1
        if n % 16 == 0:
            cancel.check()
            progress(0.9 * n / expected)
    ctx.check_complete(n, last_time)
    return n


# --------------------------------------------------------------------------------------------
# sparse strategy


@dataclass
class _Index:
    """The video packets in decode order, with what can be known without decoding."""

    pts: np.ndarray
    size: np.ndarray
    key: np.ndarray
    display: np.ndarray
    """Display index of each packet."""
    order: np.ndarray
    """Decode index of each display index."""
    reordered: np.ndarray
    """Displayed before a packet decoded earlier (a B-frame)."""
    gop: np.ndarray
    """Decode index of the keyframe that starts each packet's GOP."""
    starts: np.ndarray
    ratio: np.ndarray
    """Packet size over the median size of nearby packets of the same kind (keyframes: 0)."""
    rival: np.ndarray
    """The largest ``ratio`` among the nearby packets of the same kind (+-7 of that kind)."""
    ctx: _StreamContext
    one_picture_per_packet: bool
    """Packet sizes mean something per picture. Not so for VP8/VP9/AV1: a packet there may carry
    a hidden future reference frame as well (measured: AV1 spikes pointed 2-13 frames off)."""

    @property
    def n(self) -> int:
        return len(self.pts)

    def time_of_display(self, display: int) -> float:
        return self.ctx.seconds(int(self.pts[self.order[display]]))

    def gop_end(self, start: int) -> int:
        """Last decode index of the GOP starting at ``start``."""
        i = int(np.searchsorted(self.starts, start, side="right"))
        return int(self.starts[i]) - 1 if i < len(self.starts) else self.n - 1


def _read_index(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, ctx: _StreamContext
) -> _Index | None:
    """Demux (no decoding) the whole video stream: ~0.1 s for 60 MB."""
    pts_l: list[int] = []
    size_l: list[int] = []
    key_l: list[bool] = []
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        p = packet.pts if packet.pts is not None else packet.dts
        if p is None:
            return None
        pts_l.append(int(p))
        size_l.append(packet.size)
        key_l.append(bool(packet.is_keyframe))
    if not pts_l:
        raise InputRejected(DAMAGED)
    pts = np.array(pts_l, dtype=np.int64)
    last_time = ctx.seconds(int(pts.max()))
    ctx.check_complete(len(pts), last_time)
    if len(np.unique(pts)) != len(pts):
        return None  # duplicate timestamps: display order unknowable, decode everything
    size = np.array(size_l, dtype=np.int64)
    key = np.array(key_l, dtype=bool)
    key[0] = True  # the decoder starts there in any case
    order = np.argsort(pts, kind="stable")
    display = np.empty_like(order)
    display[order] = np.arange(len(order))
    running_max = np.maximum.accumulate(pts)
    reordered = np.r_[False, pts[1:] < running_max[:-1]]
    starts = np.flatnonzero(key)
    gop = starts[np.searchsorted(starts, np.arange(len(pts)), side="right") - 1]
    ratio = np.zeros(len(pts))
    # An anchor (I/P) displayed 2+ frames after the previous anchor has B-frames between them and
    # predicts from further back, so it is bigger: its own kind (else every GOP's "IBBP" start
    # looked like a 2x spike on the bench clip).
    anchors = np.flatnonzero(~reordered)
    far = np.zeros(len(pts), dtype=bool)
    far[anchors[1:]] = np.diff(display[anchors]) > 1
    rival = np.zeros(len(pts))
    half = SPIKE_WINDOW // 2
    for kind in (~key & ~reordered & ~far, ~key & far, ~key & reordered):
        idx = np.flatnonzero(kind)
        if idx.size:
            med = median_filter(size[idx].astype(np.float64), size=SPIKE_WINDOW, mode="nearest")
            r = size[idx] / np.maximum(med, 1.0)
            ratio[idx] = r
            padded = np.pad(r, half)
            near = np.zeros_like(r)
            for o in range(1, half + 1):
                near = np.maximum(
                    near, np.maximum(padded[half - o : half - o + len(r)], padded[half + o : half + o + len(r)])
                )
            rival[idx] = near
    plain = stream.codec_context.name in ONE_PICTURE_PER_PACKET
    return _Index(pts, size, key, display, order, reordered, gop, starts, ratio, rival, ctx, plain)


def _mean_gop(index: _Index) -> float:
    return index.n / max(1, len(index.starts))


def _head_range(index: _Index, start: int) -> tuple[int, int]:
    """Decode range covering the first HEAD_FRAMES displayed frames of a GOP, without holes."""
    end_of_gop = index.gop_end(start)
    d0 = int(index.display[start])
    end = start
    while end < end_of_gop:
        shown = np.sort(index.display[start : end + 1])
        shown = shown[shown >= d0]  # leading pictures of an open GOP don't count
        contiguous = shown[-1] - d0 + 1 == len(shown)
        if contiguous and len(shown) >= HEAD_FRAMES:
            break
        end += 1
    return start, end


def _ranges_for_displays(index: _Index, displays: Iterable[int]) -> list[tuple[int, int]]:
    """Decode ranges (from a keyframe) that output every display index in ``displays``."""
    need = sorted({int(index.order[d]) for d in displays})
    if not need:
        return []
    ranges: list[tuple[int, int]] = []
    for i in need:
        start = int(index.gop[i])
        if index.display[i] < index.display[start] and start > 0:
            start = int(index.gop[start - 1])  # an open GOP's leading picture needs the GOP before
        if ranges and start <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], i))
        else:
            ranges.append((start, i))
    # Every B-frame displayed before the last needed frame must come out too.
    out = []
    for start, end in ranges:
        last_display = int(index.display[start : end + 1].max())
        gop_end = index.gop_end(int(index.gop[end]))
        while end < gop_end and int(index.display[end + 1]) < last_display:
            end += 1
        out.append((start, end))
    return out


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _decode_ranges(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    index: _Index,
    ranges: list[tuple[int, int]],
    frames: _Frames,
    progress: _Progress,
    span: tuple[float, float],
) -> int:
    """Decode exactly the packets in ``ranges`` (decode indices, each starting at a keyframe).

    Ranges close together are reached by demuxing on, far ones by seeking. Before a range that
    starts with an IDR picture the decoder is not flushed: nothing after an IDR can reference
    what came before, and keeping frame threading's pipeline full lets two GOP heads decode at
    once (pass 1 of the bench clip: 1.0 s -> 0.6 s). Any other range start (a seek, an open-GOP
    keyframe, a codec we don't parse) drains and flushes first. Leading pictures (displayed
    before their range's keyframe) may reference frames that were skipped, so they are ignored.
    """
    if not ranges:
        return 0
    cc = stream.codec_context
    thumb = _Thumbnailer()
    idr = _IdrSniffer(stream)
    decode_of_pts = {int(p): i for i, p in enumerate(index.pts)}
    range_starts = [s for s, _e in ranges]
    total = sum(e - s + 1 for s, e in ranges)
    done = 0
    n_out = 0
    packets: Iterator[tuple[int, av.Packet]] | None = None
    pending: tuple[int, av.Packet] | None = None  # read past a range's end: belongs to a later one
    position = -1  # decode index of the last packet demuxed
    fed_any = False

    def emit(out: Iterable[av.video.frame.VideoFrame]) -> None:
        nonlocal n_out
        for frame in out:
            n_out += 1
            if frame.pts is None:
                continue
            i = decode_of_pts.get(int(frame.pts))
            if i is None:
                continue
            d = int(index.display[i])
            start = range_starts[bisect.bisect_right(range_starts, i) - 1]
            if d >= int(index.display[start]):
                frames.add(d, int(frame.pts), thumb(frame))

    def drain() -> None:
        nonlocal fed_any
        if fed_any:
            emit(cc.decode(None))
            cc.flush_buffers()
            fed_any = False

    def numbered(source: Iterator[av.Packet]) -> Iterator[tuple[int, av.Packet]]:
        for packet in source:
            if packet.size == 0:
                continue
            p = packet.pts if packet.pts is not None else packet.dts
            i = decode_of_pts.get(int(p)) if p is not None else None
            if i is not None:
                yield i, packet

    far = 2 * max(1, int(_mean_gop(index)))
    for start, end in ranges:
        cancel.check()
        if packets is None or start <= position or start - position > far:
            drain()
            container.seek(int(index.pts[start]), stream=stream, backward=True, any_frame=False)
            packets = numbered(container.demux(stream))
            pending = None
            position = -1
        first = True
        while True:
            if pending is not None:
                i, packet = pending
                pending = None
            else:
                item = next(packets, None)
                if item is None:
                    break
                i, packet = item
            position = i
            if i < start:
                continue
            if i > end:
                pending = (i, packet)
                break
            if first and not idr(packet):
                drain()
            first = False
            emit(cc.decode(packet))
            fed_any = True
            done += 1
            if done % 8 == 0:
                progress(span[0] + (span[1] - span[0]) * done / total)
            if i == end:
                break
    drain()
    return n_out


class _IdrSniffer:
    """Does an H.264/HEVC packet hold an IDR picture? Reads NAL unit headers only.

    Length-prefixed (MP4, MKV: size from the avcC/hvcC extradata) or Annex B (TS) streams.
    Other codecs answer False, which only costs a flush.
    """

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        self.codec = stream.codec_context.name
        extra = bytes(stream.codec_context.extradata or b"")
        self.length_size: int | None = None
        if extra[:1] == b"\x01":
            if self.codec == "h264" and len(extra) > 4:
                self.length_size = (extra[4] & 3) + 1
            elif self.codec == "hevc" and len(extra) > 21:
                self.length_size = (extra[21] & 3) + 1

    def __call__(self, packet: av.Packet) -> bool:
        if self.codec not in ("h264", "hevc"):
            return False
        data = bytes(packet)
        for header in self._nal_headers(data):
            if self.codec == "h264":
                kind = header & 0x1F
                if kind in (1, 5):  # the first slice decides
                    return kind == 5
            else:
                kind = (header >> 1) & 0x3F
                if kind <= 31:  # VCL
                    return kind in (19, 20)
        return False

    def _nal_headers(self, data: bytes) -> Iterator[int]:
        if self.length_size:
            pos, n = 0, self.length_size
            while pos + n < len(data):
                size = int.from_bytes(data[pos : pos + n], "big")
                if size <= 0:
                    return
                yield data[pos + n]
                pos += n + size
        else:
            pos = data.find(b"\x00\x00\x01")
            while 0 <= pos < len(data) - 3:
                yield data[pos + 3]
                pos = data.find(b"\x00\x00\x01", pos + 3)


@dataclass
class _GapVerdict:
    cut: int | None = None
    """The stretch is explained by a cut at this display index (or by none, if also not decode)."""
    decode: bool = False
    until: int | None = None
    """Decode only up to this display index: the frames around a spike B-frames hide."""


def _sparse(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    index: _Index,
    frames: _Frames,
    progress: _Progress,
) -> tuple[int, list[int]]:
    _configure_decoder(stream)
    every = max(1, math.ceil(len(index.starts) / MOTION_SAMPLES))
    head = _merge(
        [_head_range(index, int(s)) if g % every == 0 else (int(s), int(s)) for g, s in enumerate(index.starts)]
    )
    decoded = _decode_ranges(container, stream, index, head, frames, progress, (0.05, 0.5))
    for round_ in range(SPARSE_ROUNDS + 1):
        partial = round_ < SPARSE_ROUNDS - 1
        verdicts = {gap: _judge_gap(index, frames, *gap, partial=partial) for gap in _gaps(index, frames)}
        wanted: list[int] = []
        for (a, b), v in verdicts.items():
            if v.decode:
                wanted.extend(range(a + 1, min(b, index.n) if v.until is None else min(b, v.until + 1)))
        ranges = _merge(_ranges_for_displays(index, wanted))
        log.debug(
            "sparse round %d: %d GOPs, %d gaps, %d explained by spikes/keyframes, %d to decode (%d packets)",
            round_,
            len(index.starts),
            len(verdicts),
            sum(v.cut is not None for v in verdicts.values()),
            sum(v.decode for v in verdicts.values()),
            sum(e - s + 1 for s, e in ranges),
        )
        if not ranges or round_ == SPARSE_ROUNDS:
            break
        span = (0.5 + 0.4 * round_ / SPARSE_ROUNDS, 0.5 + 0.4 * (round_ + 1) / SPARSE_ROUNDS)
        decoded += _decode_ranges(container, stream, index, ranges, frames, progress, span)
    cuts = _detect_cuts(frames)
    cuts.extend(v.cut for v in verdicts.values() if v.cut is not None and not v.decode)
    return decoded, sorted(set(cuts))


def _gaps(index: _Index, frames: _Frames) -> list[tuple[int, int]]:
    """Undecoded stretches (a, b): frames a and b decoded, none in between; b == n for the tail."""
    shown = sorted(frames.decoded)
    gaps = [(a, b) for a, b in pairwise(shown) if b > a + 1]
    if shown and shown[-1] < index.n - 1:
        gaps.append((shown[-1], index.n))
    return gaps


def _judge_gap(index: _Index, frames: _Frames, a: int, b: int, *, partial: bool) -> _GapVerdict:
    """Can the stretch between decoded frames a and b be explained without decoding it?

    With ``partial``, a stretch whose one dominant spike can't be placed exactly (B-frames around
    it) is decoded only up to just past the spike; what is left is judged again next round.
    """
    if b >= index.n:  # the tail: nothing after it to compare with, so look
        return _GapVerdict(decode=True)
    inside = [int(index.order[d]) for d in range(a + 1, b + 1)]
    ratios = sorted(((float(index.ratio[i]), int(index.display[i])) for i in inside if not index.key[i]), reverse=True)
    top, top_display = ratios[0] if ratios else (0.0, -1)
    second = ratios[1][0] if len(ratios) > 1 else 0.0
    diff = frames.long_diff(a, b)
    if diff is None:
        return _GapVerdict(decode=True)
    if diff[0] < SAME_SHOT_PIX and diff[1] < SAME_SHOT_HIST:  # one shot, unless a spike says otherwise
        return _GapVerdict(decode=top >= SAME_SHOT_SPIKE)
    if diff[0] < PIX_CUT or diff[1] < HIST_CUT:  # changed, but not like a cut: motion? look
        return _GapVerdict(decode=True)
    if not index.one_picture_per_packet:
        return _GapVerdict(decode=True)  # hidden reference frames: sizes don't point at pictures
    rival = float(index.rival[index.order[top_display]]) if top_display >= 0 else 0.0
    dominant = top >= SPIKE_CONFIDENT and top >= SPIKE_DOMINANCE * max(second, rival)
    if dominant and _localised_spike(index, top_display):
        return _GapVerdict(cut=top_display)
    if dominant and partial and top_display + 1 < b - 1:
        return _GapVerdict(decode=True, until=top_display + 1)
    return _GapVerdict(decode=True)


def _localised_spike(index: _Index, display: int) -> bool:
    """A P-frame spike with no reordered frame around it marks the new shot's first frame exactly."""
    i = int(index.order[display])
    if index.reordered[i] or i == 0 or i + 1 >= index.n:
        return False
    if int(index.display[i - 1]) != display - 1 or int(index.display[i + 1]) != display + 1:
        return False
    neighbours = [index.ratio[j] for j in (i - 1, i + 1) if not index.key[j] and not index.reordered[j]]
    return all(index.ratio[i] >= SPIKE_ISOLATION * r for r in neighbours)


# --------------------------------------------------------------------------------------------
# sound


def _speech(info: MediaInfo) -> tuple[tuple[float, float], ...]:
    if not info.has_audio:
        return ()
    samples = decode_audio(info.path, sample_rate=VAD_RATE, channels=1)
    return detect_speech(samples, VAD_RATE)
