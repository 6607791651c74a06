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
    DUCK_ATTACK_S,
    DUCK_RELEASE_S,
    SAMPLE_RATE,
    SILENT_LUFS,
    SPEECH_PREROLL_S,
    db_to_gain,
    gain_to_db,
    limiter_gain,
    merge_short_pauses,
    mix_levels,
    raised_cosine,
)
from bot.media.models import MixOptions, SyncPlan

__all__ = ["BLOCK", "CHANNELS", "CONTEXT", "MixedFile", "RawAudio", "bed_block", "duck_block", "mix_to_file"]

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


def bed_block(music: np.ndarray, plan: SyncPlan, a: int, b: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``build_music_bed(music, plan)[:, a:b]``, computed for that range only."""
    n_out = int(round(plan.video_duration_s * sample_rate))
    bed = np.zeros((2, b - a), dtype=np.float32)
    n_src = music.shape[1]
    for seg in plan.segments:
        src0 = int(round(seg.source_start_s * sample_rate))
        dst0 = int(round(seg.timeline_start_s * sample_rate))
        length = min(int(round(seg.duration_s * sample_rate)), n_out - dst0, n_src - src0)
        if length <= 0:
            continue
        lo, hi = max(dst0, a), min(dst0 + length, b)
        if hi <= lo:
            continue
        piece = music[:, src0 + lo - dst0 : src0 + hi - dst0].astype(np.float32, copy=True)
        xf = min(int(round(seg.crossfade_in_s * sample_rate)), length)
        fade_hi = min(dst0 + xf, hi)
        if xf > 0 and fade_hi > lo:
            ramp = np.linspace(0.0, np.pi / 2, xf)[lo - dst0 : fade_hi - dst0]
            piece[:, : fade_hi - lo] *= np.sin(ramp)
            # the previous piece already covers this stretch and fades out there
            bed[:, lo - a : fade_hi - a] *= np.cos(ramp)
        bed[:, lo - a : hi - a] += piece
    fade_in = min(int(plan.fade_in_s * sample_rate), n_out)
    fade_out = min(int(plan.fade_out_s * sample_rate), n_out)
    if fade_in and a < fade_in:
        bed[:, : min(b, fade_in) - a] *= raised_cosine(fade_in)[a : min(b, fade_in)]
    if fade_out and b > n_out - fade_out:
        start = max(a, n_out - fade_out)
        curve = raised_cosine(fade_out)[::-1]
        bed[:, start - a :] *= curve[start - (n_out - fade_out) : b - (n_out - fade_out)]
    return bed


def duck_block(
    speech_intervals: tuple[tuple[float, float], ...],
    n: int,
    a: int,
    b: int,
    *,
    duck_db: float,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """``duck_envelope(speech_intervals, n, duck_db=duck_db)[a:b]``, computed for that range only."""
    if duck_db >= 0:
        return np.ones(b - a, dtype=np.float32)
    depth = np.zeros(b - a, dtype=np.float32)
    attack = max(1, int(DUCK_ATTACK_S * sample_rate))
    release = max(1, int(DUCK_RELEASE_S * sample_rate))

    def raise_to(start: int, values: np.ndarray) -> None:
        lo, hi = max(start, a), min(start + len(values), b)
        if hi > lo:
            window = depth[lo - a : hi - a]
            depth[lo - a : hi - a] = np.maximum(window, values[lo - start : hi - start])

    for start_s, end_s in merge_short_pauses(speech_intervals):
        s0 = int(max(0.0, start_s - SPEECH_PREROLL_S) * sample_rate)
        s1 = int(min(n / sample_rate, end_s) * sample_rate)
        if s1 <= 0 or s0 >= n:
            continue
        lo, hi = max(s0, 0, a), min(s1, b)
        if hi > lo:
            depth[lo - a : hi - a] = 1.0
        ramp_in_start = max(0, s0 - attack)
        raise_to(ramp_in_start, raised_cosine(s0 - ramp_in_start))
        ramp_out_end = min(n, s1 + release)
        raise_to(s1, raised_cosine(ramp_out_end - s1)[::-1])
    return np.asarray(10 ** ((depth * duck_db) / 20.0), dtype=np.float32)


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
