"""A sample clip made on the spot with FFmpeg's test sources, for ``musiccog demo`` and the benchmark."""

from __future__ import annotations

import itertools
import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

from bot.media.render import ffmpeg_exe

__all__ = ["cuts_source", "make_demo_clip", "speech_like", "write_wav"]


def cuts_source(
    duration_s: float, cut_times_s: Sequence[float], *, size: tuple[int, int], fps: int, post: str = ""
) -> str:
    """A lavfi graph of testsrc2 shots, each visibly different (hue, negation), cut at ``cut_times_s``.

    ``post`` is a filter chain applied to the whole (e.g. ``noise=alls=12:allf=t`` for film grain).
    """
    w, h = size
    bounds = [0.0, *sorted(cut_times_s), duration_s]
    frames = [round(t * fps) for t in bounds]  # whole frames from the start, so cuts never drift
    parts = []
    for k, (a, b) in enumerate(itertools.pairwise(frames)):
        look = f"hue=h={(k * 137) % 360}" + (",negate" if k % 2 else "")
        parts.append(f"testsrc2=s={w}x{h}:r={fps},trim=end_frame={b - a},{look}[s{k}]")
    labels = "".join(f"[s{k}]" for k in range(len(parts)))
    return ";".join(parts) + f";{labels}concat=n={len(parts)}:v=1:a=0{',' + post if post else ''}[out0]"


def speech_like(
    duration_s: float,
    *,
    sample_rate: int = 48000,
    talk: Sequence[tuple[float, float]] = ((1.0, 3.0),),
    level_dbfs: float = -20.0,
    seed: int = 1,
) -> np.ndarray:
    """A voiced, syllabic, formant-shaped signal inside each ``talk`` interval, silence elsewhere.

    Syllables of 120-220 ms with 40-90 ms gaps (shorter than the 300 ms pause rule),
    a 110-140 Hz pulse train through two vowel formants: close enough to speech for a VAD.
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * sample_rate)
    out = np.zeros(n, dtype=np.float64)
    for start_s, end_s in talk:
        t = start_s
        while t < end_s:
            syl = min(rng.uniform(0.12, 0.22), end_s - t)
            i0, i1 = int(t * sample_rate), min(n, int((t + syl) * sample_rate))
            if i1 <= i0:
                break
            tt = np.arange(i1 - i0) / sample_rate
            f0 = rng.uniform(110, 140) * (1 + 0.05 * np.sin(2 * np.pi * 3 * tt))
            phase = 2 * np.pi * np.cumsum(f0) / sample_rate
            voiced = sum(np.sin(k * phase) / k for k in range(1, 30))
            f1, f2 = rng.choice([(700, 1200), (300, 2300), (500, 900), (400, 1900)])
            sos1 = butter(2, [f1 * 0.8, f1 * 1.2], btype="band", fs=sample_rate, output="sos")
            sos2 = butter(2, [f2 * 0.85, f2 * 1.15], btype="band", fs=sample_rate, output="sos")
            seg = sosfilt(sos1, voiced) + 0.6 * sosfilt(sos2, voiced)
            env = np.sin(np.pi * np.arange(len(seg)) / len(seg)) ** 0.5
            out[i0:i1] += seg * env
            t += syl + rng.uniform(0.04, 0.09)
    peak = np.sqrt(np.mean(out[out != 0] ** 2)) if np.any(out) else 1.0
    out = out / peak * 10 ** (level_dbfs / 20)
    return out.astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = 48000) -> Path:
    """Write float samples (n,) or (n, channels) as 16-bit PCM."""
    data = samples if samples.ndim == 2 else samples[:, None]
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return path


def make_demo_clip(
    path: Path,
    *,
    duration_s: float = 12.0,
    size: tuple[int, int] = (1280, 720),
    cut_times_s: Sequence[float] | None = None,
    talk: Sequence[tuple[float, float]] = ((2.5, 5.5), (8.0, 10.0)),
    grain: int = 0,
    video_args: Sequence[str] = ("-preset", "veryfast"),
) -> Path:
    """An H.264 clip with hard cuts (every 2 s by default) and someone "talking" in ``talk``.

    ``grain`` adds film-grain noise (strength 0-100), which brings testsrc2 up to a camera's bitrate.
    """
    cuts = list(cut_times_s) if cut_times_s is not None else [float(t) for t in range(2, int(duration_s), 2)]
    room_tone = np.random.default_rng(5).normal(0, 0.003, int(duration_s * 48000)).astype(np.float32)
    voice = speech_like(duration_s, talk=talk, level_dbfs=-22.0) + room_tone
    wav = path.with_name(f".{path.stem}-voice.wav")
    write_wav(wav, voice)
    post = f"noise=alls={grain}:allf=t" if grain else ""
    args = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", cuts_source(duration_s, cuts, size=size, fps=30, post=post),
        "-i", str(wav),
        "-c:v", "libx264", *video_args, "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart", str(path),
    ]  # fmt: skip
    try:
        subprocess.run(args, check=True, timeout=1800, capture_output=True)
    finally:
        wav.unlink(missing_ok=True)
    return path
