"""Decode any audio (or a video's soundtrack) to a numpy array with PyAV.

librosa cannot read MP4/M4A without extra backends, and PyAV ships FFmpeg: one decoder for all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from bot.errors import InputRejected

__all__ = ["decode_audio", "iter_audio"]


def decode_audio(
    path: str | Path,
    *,
    sample_rate: int = 48000,
    channels: int = 2,
    max_duration_s: float | None = None,
) -> np.ndarray:
    """Decode the first audio stream to float32 samples shaped ``(channels, n)``.

    Any channel layout (mono, stereo, 5.1, ...) is down- or up-mixed by FFmpeg's resampler to
    ``channels`` (1 or 2). Raises :class:`InputRejected` if there is no audio stream or it cannot
    be decoded.
    """
    chunks = list(iter_audio(path, sample_rate=sample_rate, channels=channels, max_duration_s=max_duration_s))
    total = sum(chunk.shape[1] for chunk in chunks)
    samples = np.empty((channels, total), dtype=np.float32)
    at = 0
    chunks.reverse()
    while chunks:  # each decoded chunk is freed as soon as it is copied: never two whole soundtracks at once
        chunk = chunks.pop()
        samples[:, at : at + chunk.shape[1]] = chunk
        at += chunk.shape[1]
    return samples


def iter_audio(
    path: str | Path,
    *,
    sample_rate: int = 48000,
    channels: int = 2,
    max_duration_s: float | None = None,
) -> Iterator[np.ndarray]:
    """:func:`decode_audio`'s samples as consecutive float32 ``(channels, k)`` chunks, as they are decoded."""
    layout = "mono" if channels == 1 else "stereo"
    limit = int(max_duration_s * sample_rate) if max_duration_s else None
    total = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputRejected("no_audio_track")
            stream = container.streams.audio[0]
            stream.codec_context.thread_type = "AUTO"
            ctx = stream.codec_context
            # Mono/stereo float at the wanted rate (AAC and Opus at 48 kHz) needs no resampler,
            # which costs ~60 µs a frame; anything else goes through FFmpeg's swresample.
            direct = ctx.sample_rate == sample_rate and ctx.format is not None and ctx.format.name == "fltp"
            direct = direct and ctx.channels in (1, 2)
            resampler = None if direct else av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
            for frame in container.decode(stream):
                if resampler is None and frame.format.name == "fltp" and frame.sample_rate == sample_rate:
                    arrays = [_to_channels(frame.to_ndarray(), channels)]
                else:
                    resampler = resampler or av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
                    frame.pts = None  # let the resampler count samples; pts gaps are not our concern here
                    arrays = [out.to_ndarray() for out in resampler.resample(frame)]
                for arr in arrays:
                    arr = _cut(arr, limit, total)
                    total += arr.shape[1]
                    yield arr.astype(np.float32, copy=False)
                if limit is not None and total >= limit:
                    return
            if resampler is not None:
                for out in resampler.resample(None):
                    arr = _cut(out.to_ndarray(), limit, total)
                    total += arr.shape[1]
                    yield arr.astype(np.float32, copy=False)
    except InputRejected:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InputRejected("audio_undecodable") from exc


def _cut(arr: np.ndarray, limit: int | None, total: int) -> np.ndarray:
    """``arr`` without what lies past ``limit`` samples (``total`` already given)."""
    return arr if limit is None else arr[:, : max(0, limit - total)]


def _to_channels(planes: np.ndarray, channels: int) -> np.ndarray:
    """Planar (c, n) float samples as ``channels`` channels (mono is duplicated or averaged)."""
    if planes.shape[0] == channels:
        return planes
    if channels == 1:
        return planes.mean(axis=0, keepdims=True)
    return np.repeat(planes[:1], channels, axis=0)
