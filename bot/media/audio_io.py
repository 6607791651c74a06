"""Decode any audio (or a video's soundtrack) to a numpy array with PyAV.

librosa cannot read MP4/M4A without extra backends, and PyAV ships FFmpeg: one decoder for all.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from bot.errors import InputRejected

__all__ = ["decode_audio"]


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
    layout = "mono" if channels == 1 else "stereo"
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
            chunks: list[np.ndarray] = []
            total = 0
            limit = int(max_duration_s * sample_rate) if max_duration_s else None
            for frame in container.decode(stream):
                if resampler is None and frame.format.name == "fltp" and frame.sample_rate == sample_rate:
                    arr = _to_channels(frame.to_ndarray(), channels)
                    chunks.append(arr)
                    total += arr.shape[1]
                else:
                    resampler = resampler or av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
                    frame.pts = None  # let the resampler count samples; pts gaps are not our concern here
                    for out in resampler.resample(frame):
                        arr = out.to_ndarray()
                        chunks.append(arr)
                        total += arr.shape[1]
                if limit is not None and total >= limit:
                    break
            if resampler is not None:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray())
    except InputRejected:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InputRejected("audio_undecodable") from exc
    if not chunks:
        return np.zeros((channels, 0), dtype=np.float32)
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if limit is not None:
        samples = samples[:, :limit]
    return samples


def _to_channels(planes: np.ndarray, channels: int) -> np.ndarray:
    """Planar (c, n) float samples as ``channels`` channels (mono is duplicated or averaged)."""
    if planes.shape[0] == channels:
        return planes
    if channels == 1:
        return planes.mean(axis=0, keepdims=True)
    return np.repeat(planes[:1], channels, axis=0)
