"""Video analysis on every kind of encode: CPU time against a full decode, and cuts found vs true.

``python -m bench.analysis_matrix`` makes (once, cached in ``platformdirs.user_cache_dir("musiccog")
/analysis-matrix``) ten ~30 s clips with known cut times, each encoded the way some real source
encodes (see :data:`MATRIX`), and prints one table: per clip, ``analyse_video``'s CPU time (process
CPU, threads included: ``getrusage(RUSAGE_SELF)`` deltas) and wall time, a plain PyAV full decode's
(frame threading on, nothing else), their ratio, frames decoded, and cuts found against the true ones
(exact = within one frame). CPU time is what to compare on a shared machine; wall time is printed too.
Two floors beside them: the CPU of decoding the reference pictures alone (``refs-only``, a fraction of
the full decode) and :func:`oracle_bound` (what an analysis told the true cuts would still decode).

The same clip recipes at 320x180 and a few seconds are the test suite's cut-exactness cases
(``tests/media/test_analysis_matrix.py``): :func:`make_matrix_clip` takes ``size`` and ``duration_s``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import imageio_ffmpeg
import platformdirs

__all__ = [
    "MATRIX",
    "MatrixClip",
    "TrueCuts",
    "cache_dir",
    "clip_graph",
    "main",
    "make_matrix_clip",
    "match_cuts",
    "oracle_bound",
    "plain_full_decode",
]

logger = logging.getLogger(__name__)

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
RECIPE_VERSION = 1
"""Bump to remake every cached clip (part of each cached file's name)."""


@dataclass(frozen=True)
class MatrixClip:
    """One row of the matrix: what the picture shows and how it is encoded."""

    name: str
    description: str
    size: tuple[int, int]
    fps: int
    content: str
    """``shots`` (moving scenes cut together), ``screen``, ``fades`` or ``flashes``."""
    video_args: tuple[str, ...]
    grain: int = 0
    shake: bool = False
    vfr: bool = False


PHONE_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-b:v", "12M", "-maxrate", "16M", "-bufsize", "24M",
              "-g", "45", "-bf", "2", "-x264-params", "scenecut=0")  # fmt: skip
"""A phone's hardware encoder: fixed 1.5 s GOP, B-frames, no keyframe at cuts."""

MATRIX: tuple[MatrixClip, ...] = (
    MatrixClip("phone", "phone-like: GOP 45, B-frames, 12 Mbit/s, shaky, grain", (1920, 1080), 30, "shots",
               PHONE_X264, grain=10, shake=True),
    MatrixClip("x264-defaults", "x264 medium defaults: keyint 250, scene-cut I-frames, 8 Mbit/s", (1920, 1080), 30,
               "shots", ("-c:v", "libx264", "-preset", "medium", "-b:v", "8M"), grain=6),
    MatrixClip("x264-zerolatency", "x264 -tune zerolatency: no B-frames, no keyframes at cuts", (1920, 1080), 30,
               "shots", ("-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", "6M",
                         "-x264-params", "scenecut=0"), grain=6),
    MatrixClip("screen", "screen recording: static UI, sudden changes, CRF 20", (1920, 1080), 30, "screen",
               ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20")),
    MatrixClip("hevc", "HEVC: keyint 250, open GOPs, B-frames, 6 Mbit/s", (1920, 1080), 30, "shots",
               ("-c:v", "libx265", "-preset", "superfast", "-b:v", "6M", "-tag:v", "hvc1",
                "-x265-params", "log-level=error"), grain=6),
    MatrixClip("vfr-phone", "VFR phone clip: 30/20/30 fps stretches, GOP 45, B-frames", (1920, 1080), 30, "shots",
               PHONE_X264, grain=10, shake=True, vfr=True),
    MatrixClip("4k60", "4K 60 fps phone: GOP 60, B-frames, 40 Mbit/s", (3840, 2160), 60, "shots",
               ("-c:v", "libx264", "-preset", "superfast", "-b:v", "40M", "-g", "60", "-bf", "2",
                "-x264-params", "scenecut=0")),
    MatrixClip("720p-low", "720p at 1 Mbit/s, x264 defaults", (1280, 720), 30, "shots",
               ("-c:v", "libx264", "-preset", "veryfast", "-b:v", "1M", "-maxrate", "1.2M", "-bufsize", "2M"),
               grain=4),
    MatrixClip("fades", "fades through black and a dissolve between hard cuts", (1920, 1080), 30, "fades",
               ("-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M"), grain=6),
    MatrixClip("flashes", "photo flashes (1-2 white frames) between hard cuts", (1920, 1080), 30, "flashes",
               ("-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-g", "60", "-bf", "2"), grain=6),
)  # fmt: skip


@dataclass(frozen=True)
class TrueCuts:
    """Where the cuts are in a made clip, and how long one frame lasts there."""

    times_s: tuple[float, ...]
    frame_s: tuple[float, ...]
    """The frame interval just before each cut: the tolerance for "exact to one frame"."""
    frames: int


# ---- picture recipes -----------------------------------------------------------------------------

SHOT_WEIGHTS = (2.3, 3.1, 1.4, 2.7, 0.12, 2.2, 3.6, 1.8, 2.5, 3.3, 1.1, 2.9, 2.0, 3.9)
"""Relative shot lengths (a 3-frame shot among them), stretched to the clip's duration."""


def _shot_bounds(n_frames: int, fps: int, shot_s: float) -> list[int]:
    """Frame numbers where shots start (0 first, ``n_frames`` last): about one cut per ``shot_s``."""
    n_shots = max(3, round(n_frames / fps / shot_s))
    weights = [SHOT_WEIGHTS[k % len(SHOT_WEIGHTS)] for k in range(n_shots)]
    scale = n_frames / sum(weights)
    bounds = [0, *(round(scale * s) for s in itertools.accumulate(weights[:-1])), n_frames]
    # No shot shorter than 3 frames, none ending in the last half second.
    for k in range(1, len(bounds) - 1):
        bounds[k] = max(bounds[k], bounds[k - 1] + 3)
    return [b for b in bounds[:-1] if b <= n_frames - fps // 2] + [n_frames]


def _look(k: int, w: int, h: int, fps: int) -> str:
    """Shot ``k``'s moving picture at w x h (each differs from the ones next to it)."""
    qw, qh = max(16, w // 4 // 2 * 2), max(16, h // 4 // 2 * 2)
    looks = (
        f"testsrc2=s={w * 5 // 4 // 2 * 2}x{h * 5 // 4 // 2 * 2}:r={fps},"
        f"crop={w}:{h}:x='{w // 8}+{w // 8}*sin(t*0.7)':y='{h // 8}+{h // 8}*sin(t*0.5)'",
        f"mandelbrot=s={qw}x{qh}:r={fps}:maxiter=120,scale={w}:{h}",
        f"gradients=s={w}x{h}:r={fps}:speed=0.03:seed=7:nb_colors=3:c0=0x2050a0:c1=0xe09020:c2=0x30a050",
        f"life=s={qw}x{qh}:r={fps}:seed=7:mold=10:ratio=0.3:death_color=#203040:life_color=#f0c020,"
        f"scale={w}:{h}:flags=neighbor",
        f"testsrc2=s={w}x{h}:r={fps},hue=h=137,negate,scroll=h=0.004:v=0.002",
        f"cellauto=s={qw}x{qh}:r={fps}:rule=110:seed=7,scale={w}:{h}:flags=neighbor,"
        "colorchannelmixer=rr=0.3:gg=0.8:bb=1.0",
        f"testsrc2=s={w * 5 // 4 // 2 * 2}x{h * 5 // 4 // 2 * 2}:r={fps},hue=h=250,"
        f"crop={w}:{h}:x='{w // 8}-{w // 8}*sin(t*1.1)':y='{h // 8}'",
        f"rgbtestsrc=s={w}x{h}:r={fps},scroll=h=0.003,eq=brightness=-0.1",
    )
    return looks[k % len(looks)]


def _shots_graph(bounds: Sequence[int], w: int, h: int, fps: int, transitions: dict[int, str] | None = None) -> str:
    """Shots cut together at frame ``bounds`` (each trimmed to a whole number of frames)."""
    parts = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        parts.append(f"{_look(k, w, h, fps)},trim=end_frame={b - a},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[m{k}]")
    labels = "".join(f"[m{k}]" for k in range(len(parts)))
    return ";".join(parts) + f";{labels}concat=n={len(parts)}:v=1:a=0"


def _screen_graph(bounds: Sequence[int], w: int, h: int, fps: int) -> str:
    """A screen recording: three apps (light editor, dark IDE, light browser) switched at ``bounds``.

    Inside each app: a moving mouse pointer, words being typed, a menu popping open (sudden, local:
    not a cut), a small video playing in the browser page. Never the same app on both sides of a
    3-frame shot: A-B-A with B that short is a flicker, not two cuts, to the detector.
    """

    def box(x: float, y: float, bw: float, bh: float, colour: str, enable: str = "") -> str:
        en = f":enable='{enable}'" if enable else ""
        size = f"w={max(2, int(bw * w))}:h={max(2, int(bh * h))}"
        return f"drawbox=x={int(x * w)}:y={int(y * h)}:{size}:c={colour}:t=fill{en}"

    def pointer(k: int) -> str:
        pw, ph = max(4, w // 120), max(6, h // 50)
        return (
            f"[s{k}];color=c=black:s={pw}x{ph}:r={fps}[p{k}];"
            f"[s{k}][p{k}]overlay=x='W*0.5+W*0.3*sin(t*0.9+{k})':y='H*0.5+H*0.3*sin(t*0.6+{k})':shortest=1"
        )

    def editor(n: int, k: int) -> str:
        typing = ",".join(box(0.22 + 0.045 * i, 0.62, 0.04, 0.018, "0x303030", f"gte(t,{0.3 + 0.25 * i:.2f})")
                          for i in range(12))  # fmt: skip
        lines = ",".join(box(0.22, 0.12 + 0.05 * i, 0.3 + 0.05 * (i % 5), 0.018, "0x505050") for i in range(10))
        menu = box(0.02, 0.06, 0.16, 0.3, "0xffffff", f"between(t,{n / fps * 0.4:.2f},{n / fps * 0.7:.2f})")
        return (
            f"color=c=0xf4f4f4:s={w}x{h}:r={fps},{box(0, 0, 1, 0.05, '0x3c3c3c')},"
            f"{box(0, 0.05, 0.18, 0.95, '0xdcdcdc')},"
            f"{lines},{typing},{menu}" + pointer(k)
        )

    def ide(n: int, k: int) -> str:
        colours = ("0x569cd6", "0xce9178", "0x6a9955", "0xdcdcaa", "0xc586c0", "0x9cdcfe")
        lines = ",".join(box(0.08 + 0.03 * (i % 4), 0.06 + 0.045 * i, 0.2 + 0.07 * (i % 6), 0.02, colours[i % 6])
                         for i in range(18))  # fmt: skip
        typing = ",".join(box(0.3 + 0.035 * i, 0.9, 0.03, 0.02, "0xd4d4d4", f"gte(t,{0.2 + 0.2 * i:.2f})")
                          for i in range(10))  # fmt: skip
        return (
            f"color=c=0x1e1e1e:s={w}x{h}:r={fps},{box(0, 0, 0.05, 1, '0x333333')},{box(0, 0.97, 1, 0.03, '0x007acc')},"
            f"{lines},{typing}" + pointer(k)
        )

    def browser(n: int, k: int) -> str:
        tiles = ",".join(
            box(0.05 + 0.23 * (i % 4), 0.45 + 0.25 * (i // 4), 0.2, 0.2, c)
            for i, c in enumerate(("0xe8a33d", "0x3d8ee8", "0x5cb85c", "0xd9534f", "0x9b59b6", "0x1abc9c"))
        )
        vw, vh = max(16, int(0.36 * w) // 2 * 2), max(16, int(0.3 * h) // 2 * 2)
        return (
            f"color=c=0xffffff:s={w}x{h}:r={fps},{box(0, 0, 1, 0.08, '0x1a73e8')},"
            f"{box(0.55, 0.1, 0.4, 0.3, '0xeeeeee')},"
            f"{tiles}[b{k}];testsrc2=s={vw}x{vh}:r={fps}[v{k}];"
            f"[b{k}][v{k}]overlay=x={int(0.05 * w)}:y={int(0.1 * h)}:shortest=1" + pointer(k)
        )

    apps = (editor, ide, editor, browser, ide, editor, browser)
    parts = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        chain = apps[k % len(apps)](b - a, k)
        parts.append(f"{chain},trim=end_frame={b - a},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[m{k}]")
    labels = "".join(f"[m{k}]" for k in range(len(parts)))
    return ";".join(parts) + f";{labels}concat=n={len(parts)}:v=1:a=0"


def _fades_graph(bounds: Sequence[int], w: int, h: int, fps: int) -> tuple[str, list[int]]:
    """Shots joined in turn by a hard cut, a fade through black and a dissolve: only hard cuts count.

    A dissolve lengthens the incoming shot by its own length, so later joins move; the cut frames are
    counted as the graph is built.
    """
    fade = max(3, fps // 3)
    lengths = [b - a for a, b in itertools.pairwise(bounds)]
    joins = [("cut", "black", "dissolve", "cut")[k % 4] for k in range(len(lengths) - 1)]
    for k, join in enumerate(joins):
        if join != "cut" and min(lengths[k], lengths[k + 1]) < 2 * fade:
            joins[k] = "cut"  # a 3-frame shot can't hold a fade
    graph = ""
    for k, n in enumerate(lengths):
        extra = fade if k and joins[k - 1] == "dissolve" else 0
        chain = f"{_look(k, w, h, fps)},trim=end_frame={n + extra},setpts=PTS-STARTPTS,format=yuv420p,setsar=1"
        if k and joins[k - 1] == "black":
            chain += f",fade=t=in:s=0:n={fade}"
        if k < len(joins) and joins[k] == "black":
            chain += f",fade=t=out:s={n - fade}:n={fade}"
        graph += f"{chain},settb=AVTB[m{k}];"
    cuts: list[int] = []
    current, length = "m0", lengths[0]
    for k in range(1, len(lengths)):
        if joins[k - 1] == "dissolve":
            offset = (length - fade) / fps
            graph += f"[{current}][m{k}]xfade=transition=fade:duration={fade / fps:.6f}:offset={offset:.6f}[j{k}];"
        else:
            if joins[k - 1] == "cut":
                cuts.append(length)
            graph += f"[{current}][m{k}]concat=n=2:v=1:a=0[j{k}];"
        length += lengths[k]
        current = f"j{k}"
    return graph + f"[{current}]null", cuts


def _flash_filters(bounds: Sequence[int], fps: int) -> str:
    """White flash frames (one, or two in a row) inside shots, never next to a cut."""
    flashes = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        if b - a >= 12:
            start = (a + b) // 2
            flashes.append(f"between(n,{start},{start + k % 2})")
    if not flashes:
        return ""
    return f",drawbox=c=white@0.95:t=fill:enable='{'+'.join(flashes)}'"


def clip_graph(
    spec: MatrixClip, size: tuple[int, int], duration_s: float, shot_s: float = 2.4
) -> tuple[str, list[int], int]:
    """The lavfi graph of a matrix clip, the frame numbers of its true cuts, and its frame count."""
    w, h = size
    fps = spec.fps
    n = round(duration_s * fps)
    bounds = _shot_bounds(n, fps, shot_s)
    margin_w, margin_h = (w // 16 // 2 * 2, h // 16 // 2 * 2) if spec.shake else (0, 0)
    sw, sh = w + 2 * margin_w, h + 2 * margin_h
    cuts = list(bounds[1:-1])
    if spec.content == "screen":
        graph = _screen_graph(bounds, sw, sh, fps)
    elif spec.content == "fades":
        graph, cuts = _fades_graph(bounds, sw, sh, fps)
    else:
        graph = _shots_graph(bounds, sw, sh, fps)
    if spec.content == "flashes":
        graph += _flash_filters(bounds, fps)
    if spec.shake:
        graph += (
            f",crop={w}:{h}:x='{margin_w}+{margin_w * 0.6:.1f}*sin(t*2.3)+{margin_w * 0.35:.1f}*sin(t*7.1)':"
            f"y='{margin_h}+{margin_h * 0.6:.1f}*sin(t*1.7)+{margin_h * 0.35:.1f}*sin(t*6.3)'"
        )
    if spec.grain:
        graph += f",noise=alls={spec.grain}:allf=t"
    if spec.vfr:
        a, b = n // 3, 2 * n // 3
        slow = max(1, fps * 2 // 3)
        graph += (
            ",settb=1/90000,"
            f"setpts='(if(lt(N,{a}),N/{fps},if(lt(N,{b}),{a}/{fps}+(N-{a})/{slow},"
            f"{a}/{fps}+{b - a}/{slow}+(N-{b})/{fps})))/TB'"
        )
    return graph + "[out0]", cuts, n


def _recipe_key(spec: MatrixClip, graph: str) -> str:
    text = repr((RECIPE_VERSION, spec, graph))
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def make_matrix_clip(
    spec: MatrixClip,
    folder: Path,
    *,
    size: tuple[int, int] | None = None,
    duration_s: float = 30.0,
    shot_s: float = 2.4,
    audio: bool = True,
) -> tuple[Path, TrueCuts]:
    """Make (or reuse, if already in ``folder``) a matrix clip; its path and where its cuts are.

    ``size`` defaults to the recipe's; shots last ``shot_s`` on average (a 3-frame one among them).
    """
    size = size or spec.size
    graph, cut_frames, n = clip_graph(spec, size, duration_s, shot_s)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec.name}-{size[0]}x{size[1]}-{duration_s:g}s-{_recipe_key(spec, graph)}.mp4"
    if not path.exists():
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.part.mp4")  # two makers never share one
        args = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", graph]
        if audio:
            args += ["-f", "lavfi", "-i", f"anoisesrc=a=0.02:r=48000:d={duration_s * 1.6:g}"]
        args += ["-frames:v", str(n), *spec.video_args, "-pix_fmt", "yuv420p"]
        if spec.vfr:
            args += ["-fps_mode", "passthrough", "-video_track_timescale", "90000"]
        if audio:
            args += ["-c:a", "aac", "-b:a", "96k", "-shortest"]
        subprocess.run([*args, str(tmp)], check=True, timeout=3600)
        tmp.rename(path)
    return path, _true_cuts(path, cut_frames)


def _true_cuts(path: Path, cut_frames: Sequence[int]) -> TrueCuts:
    """Cut times as the file stores them (a VFR clip's frames are not ``k / fps``)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = sorted(int(p.pts) for p in container.demux(stream) if p.pts is not None and p.size)
        tb = stream.time_base
    assert tb is not None
    times = [float((p - pts[0]) * tb) for p in pts]
    return TrueCuts(
        times_s=tuple(times[k] for k in cut_frames if k < len(times)),
        frame_s=tuple(times[k] - times[k - 1] for k in cut_frames if k < len(times)),
        frames=len(times),
    )


def match_cuts(found: Sequence[float], truth: TrueCuts) -> tuple[int, int, int, float]:
    """(exact, missed, false, worst error in frames): greedy nearest matching within one frame."""
    left = list(found)
    exact, worst = 0, 0.0
    for t, frame in zip(truth.times_s, truth.frame_s, strict=True):
        best = min(left, key=lambda f: abs(f - t), default=None)
        if best is not None and abs(best - t) <= frame + 1e-6:
            left.remove(best)
            exact += 1
            worst = max(worst, abs(best - t) / frame)
    return exact, len(truth.times_s) - exact, len(left), worst


# ---- measuring -----------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where the matrix clips live: the user's cache dir, never the checkout."""
    return Path(platformdirs.user_cache_dir("musiccog")) / "analysis-matrix"


def cpu_s() -> float:
    """This process's CPU time so far, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(wall s, CPU s, result) of ``fn()``."""
    wall, cpu = time.perf_counter(), cpu_s()
    out = fn()
    return time.perf_counter() - wall, cpu_s() - cpu, out


def plain_full_decode(path: Path, *, references_only: bool = False) -> int:
    """Every frame through the decoder with frame threading, nothing else: the cost bound.

    ``references_only`` decodes only the pictures others predict from (``skip_frame=NONREF``): what
    any method that must see the pictures up to a cut in a P-frame chain pays at least (see
    :func:`oracle_bound`).
    """
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if references_only:
            stream.codec_context.skip_frame = "NONREF"
        return sum(1 for _ in container.decode(stream))


def oracle_bound(path: Path, truth: TrueCuts) -> float:
    """What even an analysis told where the cuts are must decode to place them to the frame.

    A frame can only be seen after every reference picture before it in its GOP; so each GOP with a
    cut costs its reference pictures from its keyframe up to its last cut (the frame before it
    too), priced by the packet index's byte/frame model as a fraction of a full decode. Frames with
    no cut after them in their GOP are free to such an oracle; a real analysis has to look at them.
    """
    from bot.media.packet_index import decode_cost, read_packet_index
    from bot.media.probe import probe_media
    from bot.media.video_decode import StreamContext

    info = probe_media(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        index = read_packet_index(container, stream, StreamContext.from_stream(stream, info))
    if index is None:
        return float("nan")
    times = [index.time_of_display(d) for d in range(index.n)]
    need: set[int] = set()
    for t in truth.times_s:
        display = min(range(index.n), key=lambda d: abs(times[d] - t))
        for d in (display - 1, display):
            i = int(index.order[max(0, d)])
            need.update(j for j in range(int(index.gop[i]), i + 1) if not index.nonref[j] or j == i)
    return decode_cost(index, [(i, i) for i in sorted(need)])


class _StrategyLog(logging.Handler):
    """Picks the strategy ``analyse_video`` reports in its summary log line."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.mode = "?"

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("analysed %s (%s)") and isinstance(record.args, tuple):
            self.mode = str(record.args[1])


@dataclass
class Row:
    name: str
    decode_cpu: float
    decode_wall: float
    refs_cpu: float
    """CPU of decoding the reference pictures alone (``skip_frame=NONREF``)."""
    oracle: float
    """:func:`oracle_bound`, a fraction of a full decode."""
    analysis_cpu: float
    analysis_wall: float
    frames: int
    decoded: int
    mode: str
    exact: int
    true: int
    missed: int
    false: int

    @property
    def ratio(self) -> float:
        return self.analysis_cpu / max(self.decode_cpu, 1e-9)

    @property
    def refs_ratio(self) -> float:
        return self.refs_cpu / max(self.decode_cpu, 1e-9)


def measure(spec: MatrixClip, path: Path, truth: TrueCuts, runs: int) -> Row:
    """Best-of-``runs`` CPU (and wall) of a plain full decode and of ``analyse_video``."""
    from bot.media.probe import probe_media
    from bot.media.video_analysis import analyse_video

    info = probe_media(path)
    decode = [timed(lambda: plain_full_decode(path)) for _ in range(runs)]
    refs = [timed(lambda: plain_full_decode(path, references_only=True)) for _ in range(runs)]
    handler = _StrategyLog()
    log = logging.getLogger("bot.media.video_analysis")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        analysis = [timed(lambda: analyse_video(info)) for _ in range(runs)]
    finally:
        log.removeHandler(handler)
    result = analysis[-1][2]
    found = result.cut_times_s  # type: ignore[attr-defined]
    exact, missed, false, _worst = match_cuts(found, truth)
    if missed or false:
        print(f"  {spec.name}: found {[round(t, 3) for t in found]}\n  {spec.name}: true  "
              f"{[round(t, 3) for t in truth.times_s]}", file=sys.stderr)  # fmt: skip
    return Row(
        name=spec.name,
        decode_cpu=min(c for _w, c, _o in decode),
        decode_wall=min(w for w, _c, _o in decode),
        refs_cpu=min(c for _w, c, _o in refs),
        oracle=oracle_bound(path, truth),
        analysis_cpu=min(c for _w, c, _o in analysis),
        analysis_wall=min(w for w, _c, _o in analysis),
        frames=truth.frames,
        decoded=int(result.frames_decoded),  # type: ignore[attr-defined]
        mode=handler.mode,
        exact=exact,
        true=len(truth.times_s),
        missed=missed,
        false=false,
    )


def print_table(rows: Sequence[Row]) -> None:
    print(f"{'clip':17s} {'decode CPU s':>12s} {'analysis CPU s':>14s} {'ratio':>6s} {'refs-only':>9s} "
          f"{'oracle':>6s} {'wall s (dec/an)':>16s} {'strategy':>11s} {'decoded':>11s} {'cuts exact/true':>15s} "
          f"{'missed':>6s} {'false':>5s}")  # fmt: skip
    for r in rows:
        print(f"{r.name:17s} {r.decode_cpu:12.2f} {r.analysis_cpu:14.2f} {r.ratio:6.2f} {r.refs_ratio:9.2f} "
              f"{r.oracle:6.2f} {r.decode_wall:7.2f}/{r.analysis_wall:<8.2f} {r.mode:>11s} "
              f"{r.decoded:5d}/{r.frames:<5d} {r.exact:>7d}/{r.true:<7d} {r.missed:6d} {r.false:5d}")  # fmt: skip
    if rows:
        ratios = [r.ratio for r in rows]
        print(
            f"refs-only decode mean {statistics.mean(r.refs_ratio for r in rows):.2f}, oracle bound mean "
            f"{statistics.mean(r.oracle for r in rows):.2f} (fractions of a full decode)"
        )
        print(f"mean ratio {statistics.mean(ratios):.2f}, worst {max(ratios):.2f}; "
              f"cuts exact {sum(r.exact for r in rows)}/{sum(r.true for r in rows)}, "
              f"missed {sum(r.missed for r in rows)}, false {sum(r.false for r in rows)}")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="best of N timings per clip (default 1)")
    parser.add_argument("--duration", type=float, default=30.0, help="clip length in s (default 30)")
    parser.add_argument("--scale", type=float, default=1.0, help="frame size factor (0.5: 1080p -> 540p)")
    parser.add_argument("--only", nargs="*", help="clip names to run (default: all)")
    parser.add_argument("--make-only", action="store_true", help="make the cached clips, measure nothing")
    args = parser.parse_args(argv)

    folder = cache_dir()
    chosen = [s for s in MATRIX if not args.only or s.name in args.only]
    print(f"matrix: {len(chosen)} clips of {args.duration:g} s in {folder}")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (shared machines vary: compare CPU s)"
    )
    rows = []
    for spec in chosen:
        size = (round(spec.size[0] * args.scale) // 2 * 2, round(spec.size[1] * args.scale) // 2 * 2)
        started = time.perf_counter()
        path, truth = make_matrix_clip(spec, folder, size=size, duration_s=args.duration)
        made = time.perf_counter() - started
        if made > 1.0:
            print(f"  made {path.name} in {made:.0f} s", file=sys.stderr)
        if not args.make_only:
            rows.append(measure(spec, path, truth, args.runs))
            print(f"  {spec.name}: ratio {rows[-1].ratio:.2f}", file=sys.stderr)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
