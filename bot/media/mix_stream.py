"""The audio chain of :mod:`bot.media.mix` for a clip's soundtrack, in blocks through temporary files.

``mix`` holds ten minutes of 48 kHz stereo as several whole float arrays (230 MB each): the original sound, the
music bed, their mix, the mastered mix and the bytes for FFmpeg. Here every step walks the timeline in blocks of
``BLOCK`` samples and the passes meet in raw float files on disk (interleaved ``f32le``, which FFmpeg reads as
it is): the original sound is decoded once into one, each master pass writes the next, and the renderer reads the
last. The arithmetic is ``mix``'s, sample for sample: the music bed and the ducking gain are computed for a
block's range only, loudness is :class:`~bot.media.loudness.LoudnessMeter` (the same figure), and the
limiter sees ``CONTEXT`` samples either side of its block, more than its look-ahead and interpolator reach.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.media.audio_io import iter_audio
from bot.media.loudness import LoudnessMeter, true_peak_envelope
from bot.media.mix import (
    AAC_PEAK_MARGIN_DB,
    SAMPLE_RATE,
    SILENT_LUFS,
    bed_block,
    db_to_gain,
    duck_block,
    gain_to_db,
    limiter_gain,
    mix_levels,
)
from bot.media.models import MixOptions, SyncPlan

__all__ = ["BLOCK", "CHANNELS", "CONTEXT", "MixedFile", "RawAudio", "mix_to_file"]

CHANNELS = 2
BLOCK = 614_400
"""12.8 s at 48 kHz: a whole number of 100 ms loudness steps and of the true-peak meter's 4096-sample chunks."""
CONTEXT = 4096
"""Samples read either side of a limiter block: its 5 ms look-ahead filters and 12-tap interpolator reach 372."""
_BYTES = 4 * CHANNELS


class RawAudio:
    """A stereo float32 soundtrack on disk as interleaved ``f32le``, read and written in ranges of samples."""

    def __init__(self, path: Path, n: int = 0) -> None:
        self.path = path
        self.n = n

    def read(self, a: int, b: int) -> np.ndarray:
        """Samples ``[a, b)`` shaped ``(2, b - a)``."""
        with self.path.open("rb") as file:
            file.seek(a * _BYTES)
            data = file.read((b - a) * _BYTES)
        return np.frombuffer(data, dtype="<f4").reshape(-1, CHANNELS).T

    def writer(self) -> Callable[[np.ndarray], None]:
        """Append ``(2, k)`` blocks (the file is started empty)."""
        self.path.write_bytes(b"")
        self.n = 0

        def write(block: np.ndarray) -> None:
            with self.path.open("ab") as file:
                file.write(np.ascontiguousarray(block.T, dtype="<f4").tobytes())
            self.n += block.shape[1]

        return write


@dataclass(frozen=True)
class MixedFile:
    path: Path
    """The mastered mix, raw stereo ``f32le`` at ``SAMPLE_RATE``."""
    loudness_lufs: float
    true_peak_dbtp: float


def _ranges(n: int) -> Iterator[tuple[int, int]]:
    for a in range(0, n, BLOCK):
        yield a, min(n, a + BLOCK)


def _decode_fitted(path: str, n: int, target: RawAudio) -> float:
    """Decode ``path``'s sound into ``target``, cut or padded with silence to ``n`` samples; its loudness."""
    write = target.writer()
    meter = LoudnessMeter(SAMPLE_RATE, CHANNELS)
    for chunk in iter_audio(path, sample_rate=SAMPLE_RATE, channels=CHANNELS):
        chunk = chunk[:, : n - target.n]
        if chunk.shape[1]:
            meter.feed(chunk)
            write(chunk)
        if target.n >= n:
            break
    while target.n < n:
        pad = np.zeros((CHANNELS, min(BLOCK, n - target.n)), dtype=np.float32)
        meter.feed(pad)
        write(pad)
    return meter.integrated()


def mix_to_file(
    *,
    music: np.ndarray,
    plan: SyncPlan,
    original_path: str | None,
    speech_intervals: tuple[tuple[float, float], ...],
    options: MixOptions,
    workdir: Path,
) -> MixedFile:
    """``mix(music_bed=build_music_bed(music, plan), original=decode_audio(original_path), ...)`` into a file.

    ``original_path``: the clip whose sound is kept (None: the music alone). ``workdir`` receives the raw files
    (the caller removes it); the result's ``path`` is one of them.
    """
    n = int(round(plan.video_duration_s * SAMPLE_RATE))
    original = RawAudio(workdir / "original.f32") if options.keep_original and original_path else None
    orig_lufs = _decode_fitted(original_path, n, original) if original is not None and original_path else -math.inf
    if original is not None and not orig_lufs > SILENT_LUFS:
        original.path.unlink()
        original = None  # a silent track adds nothing but noise after normalisation
    music_meter = LoudnessMeter(SAMPLE_RATE, CHANNELS)
    for a, b in _ranges(n):
        music_meter.feed(bed_block(music, plan, a, b))
    levels = mix_levels(
        orig_lufs=orig_lufs if original is not None else None,
        music_lufs=music_meter.integrated(),
        speech_intervals=speech_intervals,
        n=n,
        options=options,
    )
    ducked = original is not None and options.duck and bool(speech_intervals)
    mixed = RawAudio(workdir / "mix-0.f32")
    write = mixed.writer()
    meter = LoudnessMeter(SAMPLE_RATE, CHANNELS)
    for a, b in _ranges(n):
        ducking = (
            duck_block(speech_intervals, n, a, b, duck_db=options.duck_db) if ducked else np.ones(b - a, np.float32)
        )
        block = bed_block(music, plan, a, b) * (ducking * levels.music_gain)[None, :]
        if original is not None:
            block = block + original.read(a, b) * levels.original_gain
        block = block.astype(np.float32)
        meter.feed(block)
        write(block)
    if original is not None:
        original.path.unlink()
    return _master(mixed, meter.integrated(), replace(options, target_lufs=levels.target_lufs), workdir)


def _master(mixed: RawAudio, loudness: float, options: MixOptions, workdir: Path) -> MixedFile:
    """:func:`bot.media.mix.master` pass by pass, each pass read from the last one's file."""
    ceiling = options.true_peak_dbtp - AAC_PEAK_MARGIN_DB
    if not math.isfinite(loudness):
        peak = 0.0
        for (a, b), (ca, cb) in _blocks(mixed.n):
            peak = max(peak, float(true_peak_envelope(mixed.read(ca, cb))[a - ca : b - ca].max()))
        return MixedFile(mixed.path, loudness, gain_to_db(peak) if mixed.n else -math.inf)
    current = mixed
    peak_dbtp = -math.inf
    for index in range(1, 4):
        gain = db_to_gain(options.target_lufs - loudness)
        loudness = options.target_lufs
        out = RawAudio(workdir / f"mix-{index}.f32")
        limited, peak_dbtp, meter = _gain_and_limit(current, out, gain, ceiling)
        current.path.unlink()
        current = out
        if not limited:  # nothing to limit: loudness is exactly on target
            break
        loudness = meter.integrated()
        if abs(loudness - options.target_lufs) < 0.3:
            break
    return MixedFile(current.path, loudness, peak_dbtp)


def _blocks(n: int) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    """Each block's range, and that range widened by ``CONTEXT`` each side (within the track)."""
    for a, b in _ranges(n):
        yield (a, b), (max(0, a - CONTEXT), min(n, b + CONTEXT))


def _gain_and_limit(
    source: RawAudio, target: RawAudio, gain: float, ceiling_dbtp: float
) -> tuple[bool, float, LoudnessMeter]:
    """``limit(source * gain, ceiling)`` into ``target``, block by block: whether anything was limited, the true
    peak after it (dBTP) and the output's loudness meter."""
    write = target.writer()
    meter = LoudnessMeter(SAMPLE_RATE, CHANNELS)
    limited = False
    peak_after = np.float32(0.0)
    for (a, b), (ca, cb) in _blocks(source.n):
        window = (source.read(ca, cb) * gain).astype(np.float32)
        peaks, limiter = limiter_gain(window, ceiling_dbtp, SAMPLE_RATE)
        block, peaks = window[:, a - ca : b - ca], peaks[a - ca : b - ca]
        if limiter is not None:
            limited = True
            block_gain = limiter[a - ca : b - ca]
            block = (block * block_gain[None, :]).astype(np.float32)
            peaks = peaks * block_gain
        peak_after = max(peak_after, peaks.max())
        meter.feed(block)
        write(block)
    return limited, gain_to_db(float(peak_after)), meter
