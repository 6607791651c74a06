"""Test media made on the spot with FFmpeg's lavfi sources and numpy: no binaries in the repo."""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from bot.demo import cuts_source

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: Sequence[str]) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=600)


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
            from scipy.signal import butter, sosfilt

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
