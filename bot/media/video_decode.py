"""Decoder plumbing the strategies share: stream timing, damage checks, progress, the full decode,
and a NAL header reader (may a decode range start without flushing the decoder? may this picture be
left out because nothing predicts from it? :meth:`IdrSniffer.inspect`).

The loop filter is skipped on frames nothing predicts from (``skip_loop_filter=noref``). Skipping
it everywhere (``all``) saved 16 % CPU but is not invisible: reference frames without deblocking
drift, and at 720p / 1 Mbit/s with a 165-frame GOP the last frame before a keyframe was 16/255 off
on average, so the keyframe's snap back looked like a cut; at 1080p / 8 Mbit/s a 2-frame flash
became two cuts the same way (``bench/analysis_matrix.py``). Frame
threading is on (slice threading measured 1.5-1.7x slower).

Other decoder options, measured for #12 (CPU s of a full decode of a 30 s matrix clip, frame threading;
phone 1080p / x264-defaults 1080p / 720p-low): plain 9.62 / 9.05 / 1.92; ``skip_loop_filter=noref`` (ours)
8.87 / 8.70 / 1.70; ``skip_loop_filter=all`` 7.66 / 7.67 / 1.43 (drifts into false cuts, above);
``flags2=+fast`` 9.38 / 9.12 / 1.82; ``skip_loop_filter=all`` + ``skip_idct=bidir`` 8.25 / 7.66 / 1.45;
``skip_frame=noref`` 7.06 / 5.84 / 1.13 but only 610 / 583 / 547 of 900 frames come out, and
``skip_frame=bidir`` 4.32 / 4.49 / 0.76 with 348 / 432 / 380 frames: a cut on a dropped B-frame can
only be placed by decoding its GOP again. Our 64x36 thumbnail adds ~0.4-0.7 ms a 1080p frame (reading
it with numpy straight from the Y/U/V planes, 16 samples a cell, measured no cheaper: 0.42 / 0.39 ms a
1080p / 720p frame against the filter graph's 0.48 / 0.31). No option alone gets near the issue's 0.3x
of a full decode (shared machine, load 8-12: ±10 %). What gets below one full decode is leaving the
non-reference pictures out where nothing can hide (:mod:`bot.media.ref_decode`); frame threading
with 2 threads instead of ``AUTO`` measured the same CPU (5.67-5.72 s on the zerolatency clip).

Damage: a stream whose packets stop early (an MP4 cut short with its index in front) raises
:class:`~bot.errors.InputRejected` (``video_damaged``) from :meth:`StreamContext.check_complete`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import av.container
import av.video.stream

from bot.errors import InputRejected
from bot.media import cancel
from bot.media.frame_features import DecodedFrames, Thumbnailer
from bot.media.models import MediaInfo

__all__ = [
    "DECODER_OPTIONS",
    "IdrSniffer",
    "Progress",
    "ProgressFn",
    "StreamContext",
    "configure_decoder",
    "decode_full",
]

logger = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]

DECODER_OPTIONS = {"skip_loop_filter": "noref"}


class Progress:
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


def configure_decoder(stream: av.video.stream.VideoStream) -> None:
    """Frame threading on, loop filter off on non-reference frames (see the module docstring)."""
    stream.thread_type = "AUTO"
    stream.codec_context.options = dict(DECODER_OPTIONS)


@dataclass
class StreamContext:
    """What the stream's header promises (timing, frame count), to turn pts into seconds and spot damage."""

    time_base: Fraction
    start_pts: int
    expected_frames: int
    duration_s: float
    fps: float

    @classmethod
    def from_stream(cls, stream: av.video.stream.VideoStream, info: MediaInfo) -> StreamContext:
        tb = stream.time_base or Fraction(1, 90000)
        return cls(
            time_base=tb,
            start_pts=int(stream.start_time or 0),
            expected_frames=_shown_frames(stream, info),
            duration_s=info.duration_s,
            fps=info.fps or 30.0,
        )

    def check_complete(self, count: int, last_time_s: float | None) -> None:
        """Raise if the stream ended well before its header said it would (a file cut short)."""
        if self.expected_frames > 0 and count < self.expected_frames - max(2, 0.02 * self.expected_frames):
            logger.info("stream ended after %d of %d frames", count, self.expected_frames)
            raise InputRejected("video_damaged")
        if last_time_s is not None and last_time_s < 0.9 * self.duration_s - 1.0:
            logger.info("stream ended at %.2f s of %.2f s", last_time_s, self.duration_s)
            raise InputRejected("video_damaged")

    def seconds(self, pts: int) -> float:
        return float((pts - self.start_pts) * self.time_base)

    def time_of_frame(self, frames: DecodedFrames) -> Callable[[int], float]:
        pts = frames.pts_by_display

        def time_of(display: int) -> float:
            p = pts.get(display)
            return self.seconds(p) if p is not None else display / self.fps

        return time_of


def _shown_frames(stream: av.video.stream.VideoStream, info: MediaInfo) -> int:
    """The frames the header promises to show: an MP4 edit list that starts inside a GOP (a clip trimmed
    without re-encoding) stores frames before its start that the decoder drops, so the stored count is capped
    by the shown length."""
    stored = int(stream.frames or 0)
    shown = round(info.duration_s * info.fps) if info.duration_s > 0 and info.fps > 0 else 0
    return min(stored, shown) if stored and shown else stored


def decode_full(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    ctx: StreamContext,
    frames: DecodedFrames,
    progress: Progress,
) -> int:
    """Decode every frame in order; display index = output order."""
    configure_decoder(stream)
    thumb = Thumbnailer()
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


class IdrSniffer:
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
        return self.inspect(packet)[0]

    def inspect(self, packet: av.Packet) -> tuple[bool, bool, int]:
        """``(idr, non_reference, temporal_id)`` of the packet's first slice (False, False, 0 if unknown).

        Non-reference: H.264 ``nal_ref_idc == 0``; HEVC a sub-layer non-reference type (``TRAIL_N``,
        ``TSA_N``, ``STSA_N``, ``RADL_N``, ``RASL_N``, reserved ``*_N``: even types below 16). No later
        picture predicts from one (HEVC: of the same or a lower temporal layer), so it can be left out
        of the decoder without touching any other picture.
        """
        if self.codec not in ("h264", "hevc"):
            return False, False, 0
        data = memoryview(packet)
        for pos in self._nal_positions(data):
            header = data[pos]
            if self.codec == "h264":
                kind = header & 0x1F
                if kind in (1, 5):  # the first slice decides
                    return kind == 5, (header >> 5) & 3 == 0, 0
            else:
                kind = (header >> 1) & 0x3F
                if kind <= 31:  # VCL
                    tid = (data[pos + 1] & 7) - 1 if pos + 1 < len(data) else 0
                    return kind in (19, 20), kind < 16 and kind % 2 == 0, tid
        return False, False, 0

    def _nal_positions(self, data: memoryview) -> Iterator[int]:
        """Offsets of the NAL unit headers in a packet."""
        if self.length_size:
            pos, n = 0, self.length_size
            while pos + n < len(data):
                size = int.from_bytes(data[pos : pos + n], "big")
                if size <= 0:
                    return
                yield pos + n
                pos += n + size
        else:
            raw = bytes(data[: min(len(data), 4096)])
            pos = raw.find(b"\x00\x00\x01")
            while 0 <= pos < len(raw) - 3:
                yield pos + 3
                pos = raw.find(b"\x00\x00\x01", pos + 3)
