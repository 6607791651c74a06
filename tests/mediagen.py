"""Test media made on the spot with FFmpeg's lavfi sources and numpy: no binaries in the repo."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import imageio_ffmpeg

from bot.demo import cuts_source, speech_like, write_wav

__all__ = ["FFMPEG", "cuts_source", "make_clip", "run_ffmpeg", "speech_like", "write_wav"]

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: Sequence[str]) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=600)


def make_clip(
    path: Path,
    *,
    duration_s: float = 6.0,
    size: tuple[int, int] = (320, 180),
    fps: int = 30,
    cut_times_s: Sequence[float] = (),
    video_source: str | None = None,
    audio: str | None = "sine",
    audio_wav: Path | None = None,
    audio_channels: int = 2,
    vcodec: str = "libx264",
    video_args: Sequence[str] = ("-preset", "ultrafast", "-pix_fmt", "yuv420p"),
    extra_args: Sequence[str] = (),
) -> Path:
    """An MP4 (or whatever ``path``'s suffix says) with hard cuts at ``cut_times_s``.

    ``video_source`` replaces the default testsrc2-with-hue-cuts chain (a lavfi graph).
    ``audio``: ``"sine"``, ``"noise"``, ``None`` (no audio track), or ignored when ``audio_wav`` is given.
    """
    vsrc = video_source or cuts_source(duration_s, cut_times_s, size=size, fps=fps)
    args: list[str] = ["-f", "lavfi", "-i", vsrc]
    if audio_wav is not None:
        args += ["-i", str(audio_wav)]
    elif audio == "sine":
        args += ["-f", "lavfi", "-i", f"sine=f=440:r=48000:d={duration_s}"]
    elif audio == "noise":
        args += ["-f", "lavfi", "-i", f"anoisesrc=a=0.05:r=48000:d={duration_s}"]
    args += ["-t", f"{duration_s}", "-c:v", vcodec, *video_args]
    if audio_wav is not None or audio in ("sine", "noise"):
        args += ["-c:a", "aac", "-b:a", "128k", "-ac", str(audio_channels)]
    args += [*extra_args, str(path)]
    run_ffmpeg(args)
    return path


# ---- added for the probe / video-analysis / speech tests -------------------------------------

import itertools  # noqa: E402  (this section is appended to the module, so its imports are here)

import numpy as np  # noqa: E402


def with_grain(graph: str, strength: int = 40) -> str:
    """``graph`` (a lavfi chain, or a labelled graph ending in ``[out0]``) with temporal grain."""
    grain = f"noise=alls={strength}:allf=t"
    if graph.endswith("[out0]"):
        return graph[: -len("[out0]")] + f",{grain}[out0]"
    return f"{graph},{grain}"


def pan_source(duration_s: float, *, size: tuple[int, int] = (320, 180), fps: int = 30, speed: float = 1.0) -> str:
    """A camera pan: a window sliding diagonally over a testsrc2 three times the frame size."""
    w, h = size
    return (
        f"testsrc2=s={3 * w}x{3 * h}:r={fps}:d={duration_s},"
        f"crop={w}:{h}:x='min(t*{100 * speed},{2 * w})':y='min(t*{50 * speed},{2 * h})'"
    )


def scroll_source(duration_s: float, *, size: tuple[int, int] = (320, 180), fps: int = 30) -> str:
    """A fast wrap-around scroll (1 % of the width per frame): lots of motion, same content."""
    w, h = size
    return f"testsrc2=s={w}x{h}:r={fps}:d={duration_s},scroll=h=0.01:v=0.005"


def zoom_source(duration_s: float, *, size: tuple[int, int] = (320, 180), fps: int = 30) -> str:
    """A steady zoom-in to 2x on the centre (zoompan, one output frame per input frame)."""
    w, h = size
    return (
        f"testsrc2=s={2 * w}x{2 * h}:r={fps}:d={duration_s},"
        f"zoompan=z='min(zoom+0.004,2)':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s={w}x{h}:fps={fps}"
    )


def fade_through_black_source(
    duration_s: float, *, at_s: float, fade_s: float = 1.0, size: tuple[int, int] = (320, 180), fps: int = 30
) -> str:
    """Shot A fades out to black over ``fade_s`` ending at ``at_s``; shot B fades in from black."""
    w, h = size
    first, second = at_s, duration_s - at_s
    return (
        f"testsrc2=s={w}x{h}:r={fps}:d={first},fade=t=out:st={first - fade_s}:d={fade_s}[a];"
        f"testsrc2=s={w}x{h}:r={fps}:d={second},hue=h=137,negate,fade=t=in:st=0:d={fade_s}[b];"
        "[a][b]concat=n=2:v=1:a=0[out0]"
    )


def crossfade_source(
    duration_s: float, *, at_s: float, fade_s: float = 1.0, size: tuple[int, int] = (320, 180), fps: int = 30
) -> str:
    """Shot A dissolves into a very different shot B (xfade) from ``at_s`` over ``fade_s``."""
    w, h = size
    first = at_s + fade_s
    second = duration_s - at_s
    return (
        f"testsrc2=s={w}x{h}:r={fps}:d={first}[a];"
        f"testsrc2=s={w}x{h}:r={fps}:d={second},hue=h=137,negate[b];"
        f"[a][b]xfade=transition=fade:duration={fade_s}:offset={at_s}[out0]"
    )


def tinted_source(duration_s: float, *, size: tuple[int, int] = (320, 180), fps: int = 30, look: str) -> str:
    """``look="warm"``: bright, saturated, orange and moving; ``"cold"``: the same in blue;
    ``"grey"``: a dark grey still."""
    w, h = size
    if look == "cold":
        return (
            f"testsrc2=s={w}x{h}:r={fps}:d={duration_s},scroll=h=0.01,"
            "colorbalance=rs=-0.5:bs=0.4:rm=-0.5:bm=0.4:rh=-0.4:bh=0.3"
        )
    if look == "warm":
        return (
            f"testsrc2=s={w}x{h}:r={fps}:d={duration_s},scroll=h=0.01,"
            "colorbalance=rs=0.4:gs=0.1:bs=-0.5:rm=0.4:bm=-0.5:rh=0.3:bh=-0.4,eq=brightness=0.08:saturation=1.4"
        )
    if look == "grey":
        return f"color=c=0x333333:s={w}x{h}:r={fps}:d={duration_s}"
    raise ValueError(look)


def music_like(duration_s: float, *, sample_rate: int = 48000, level_dbfs: float = -20.0, seed: int = 3) -> np.ndarray:
    """Sustained harmonic notes (9 partials, legato, 250-500 ms each) over a held C-major pad."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sample_rate)
    t_all = np.arange(n) / sample_rate
    out = np.zeros(n)
    for f in (130.81, 164.81, 196.0):
        out += 0.3 * np.sin(2 * np.pi * f * t_all)
    notes = (220.0, 246.94, 261.63, 293.66, 329.63, 349.23, 392.0, 440.0)
    pos = 0
    while pos < n:
        end = min(n, pos + int(rng.uniform(0.25, 0.5) * sample_rate))
        tt = np.arange(end - pos) / sample_rate
        env = np.minimum(1.0, tt / 0.02) * np.minimum(1.0, tt[::-1] / 0.02)
        f0 = rng.choice(notes)
        out[pos:end] += env * sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in range(1, 10))
        pos = end
    out = out / np.sqrt(np.mean(out**2)) * 10 ** (level_dbfs / 20)
    return out.astype(np.float32)


def coloured_noise(
    duration_s: float, *, colour: str = "white", sample_rate: int = 48000, level_dbfs: float = -26.0, seed: int = 5
) -> np.ndarray:
    """White, pink (1/f) or brown (1/f^2) Gaussian noise at an RMS level."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sample_rate)
    spectrum = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1 / sample_rate)
    f[0] = f[1]
    power = {"white": 0.0, "pink": 1.0, "brown": 2.0}[colour]
    x = np.fft.irfft(spectrum / f ** (power / 2), n)
    x = x / np.sqrt(np.mean(x**2)) * 10 ** (level_dbfs / 20)
    return x.astype(np.float32)


def truncate_copy(src: Path, dst: Path, fraction: float) -> Path:
    """The first ``fraction`` of ``src``'s bytes, as an interrupted upload leaves them."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def remux(src: Path, dst: Path, *, input_args: Sequence[str] = (), output_args: Sequence[str] = ()) -> Path:
    """Copy streams into a new container, e.g. ``input_args=("-display_rotation", "90")``."""
    run_ffmpeg([*input_args, "-i", str(src), "-c", "copy", *output_args, str(dst)])
    return dst


def shaky_source(duration_s: float, *, size: tuple[int, int] = (320, 180), fps: int = 30) -> str:
    """A hand-held camera: the frame wanders and jitters (several incommensurate sines) over testsrc2."""
    w, h = size
    return (
        f"testsrc2=s={3 * w}x{3 * h}:r={fps}:d={duration_s},"
        f"crop={w}:{h}:x='{w}+{w // 4}*sin(2*PI*t*1.3)+{w // 8}*sin(2*PI*t*3.7)':"
        f"y='{h}+{h // 4}*sin(2*PI*t*0.9)+{h // 6}*sin(2*PI*t*4.1)'"
    )


MIXED_LOOKS = (
    "testsrc2=s={w}x{h}:r={fps}",
    "mandelbrot=s={w}x{h}:r={fps}",
    "gradients=s={w}x{h}:r={fps}:speed=0.05:seed=7:nb_colors=2:c0=0x2050a0:c1=0xe09020:x0=0:y0=0:x1={w}:y1={h}",
    "life=s={w}x{h}:r={fps}:seed=7:mold=10:ratio=0.3:death_color=#203040:life_color=#f0c020",
    "rgbtestsrc=s={w}x{h}:r={fps},scroll=h=0.004",
    "cellauto=s={w}x{h}:r={fps}:rule=110:seed=7",
)


def mixed_cuts_source(
    duration_s: float, cut_times_s: Sequence[float], *, size: tuple[int, int] = (320, 180), fps: int = 30
) -> str:
    """Hard cuts between unrelated moving pictures (fractal zoom, gradients, cellular automata...),
    like cuts between real scenes; ``cuts_source`` only recolours one pattern.

    Each shot is cut to a whole number of frames counted from the start, so the cut lands on the
    frame nearest ``cut_times_s`` without drifting (per-shot durations would each round up)."""
    w, h = size
    bounds = [0, *(round(t * fps) for t in sorted(cut_times_s)), round(duration_s * fps)]
    parts = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        src = MIXED_LOOKS[k % len(MIXED_LOOKS)].format(w=w, h=h, fps=fps)
        parts.append(f"{src},trim=end_frame={b - a},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[m{k}]")
    labels = "".join(f"[m{k}]" for k in range(len(parts)))
    return ";".join(parts) + f";{labels}concat=n={len(parts)}:v=1:a=0[out0]"


def flash_source(duration_s: float, *, at_s: float, size: tuple[int, int] = (320, 180), fps: int = 30) -> str:
    """One white frame (a photo flash) at ``at_s`` in an otherwise continuous shot."""
    w, h = size
    n = int(round(at_s * fps))
    return f"testsrc2=s={w}x{h}:r={fps}:d={duration_s},drawbox=c=white:t=fill:enable='eq(n,{n})'"


def make_photo(
    path: Path,
    *,
    size: tuple[int, int] = (640, 480),
    source: str = "testsrc2",
    orientation: int | None = None,
    taken_at: str | None = None,
) -> Path:
    """A still picture (format from the suffix); a JPEG may carry EXIF orientation and DateTimeOriginal
    (``"2024:05:01 10:20:30"``), written by hand as a camera would."""
    w, h = size
    run_ffmpeg(["-f", "lavfi", "-i", f"{source}=s={w}x{h}", "-frames:v", "1", str(path)])
    if orientation is None and taken_at is None:
        return path
    import struct

    def ifd(entries: list[tuple[int, int, int, bytes]], next_offset: int = 0) -> bytes:
        body = struct.pack(">H", len(entries))
        for tag, kind, count, value in entries:
            body += struct.pack(">HHI", tag, kind, count) + value
        return body + struct.pack(">I", next_offset)

    stamp = (taken_at or "2000:01:01 00:00:00").encode() + b"\x00"
    ifd0_entries = 2
    exif_at = 8 + 2 + 12 * ifd0_entries + 4
    stamp_at = exif_at + 2 + 12 + 4
    first = ifd([(0x0112, 3, 1, struct.pack(">HH", orientation or 1, 0)), (0x8769, 4, 1, struct.pack(">I", exif_at))])
    second = ifd([(0x9003, 2, len(stamp), struct.pack(">I", stamp_at))])
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + first + second + stamp
    app1 = b"Exif\x00\x00" + tiff
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:])
    return path
