"""Measure what a rendered file really contains (decoded back with PyAV)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from bot.media.audio_io import decode_audio
from bot.media.loudness import integrated_loudness, true_peak_dbtp


def video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [bytes(p) for p in container.demux(stream) if p.size]


def output_audio_facts(path: Path) -> dict[str, float]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        facts = {
            "sample_rate": float(stream.codec_context.sample_rate),
            "channels": float(stream.codec_context.channels),
            "codec_is_aac": float(stream.codec_context.name == "aac"),
        }
    samples = decode_audio(path, sample_rate=48000, channels=2)
    facts["loudness_lufs"] = integrated_loudness(samples, 48000)
    facts["true_peak_dbtp"] = true_peak_dbtp(samples)
    return facts


def band_level_db(samples: np.ndarray, freq: float, start_s: float, end_s: float, sr: int = 48000) -> float:
    seg = samples[0, int(start_s * sr) : int(end_s * sr)]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    freqs = np.fft.rfftfreq(len(seg), 1 / sr)
    band = (freqs > freq - 60) & (freqs < freq + 60)
    return float(20 * np.log10(spectrum[band].max() / len(seg) + 1e-12))


def video_duration_s(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f for f in container.demux(stream) if f.size]
        last = max(p.pts + (p.duration or 0) for p in frames)
        first = min(p.pts for p in frames)
        return float((last - first) * stream.time_base)


def top_level_boxes(path: Path) -> list[bytes]:
    """The MP4's top-level box types in file order (ftyp, moov, mdat, ...)."""
    kinds: list[bytes] = []
    data = path.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        kinds.append(kind)
        if size < 8:
            break
        pos += size
    return kinds
