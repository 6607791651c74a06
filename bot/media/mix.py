"""The audio chain, in numpy: lay the music by the plan, duck it under speech, mix, normalise.

Doing this in numpy instead of one FFmpeg ``filter_complex`` keeps every gain explicit and testable
(the ducking envelope is returned, not inferred) and costs about 0.3 s for a minute at 48 kHz.
Loudness is ITU-R BS.1770 (``loudness.py``); true peak is measured 4× oversampled and held under
the ceiling by a look-ahead limiter, with a margin for the AAC encoder's overshoot.

This module holds whole arrays (a montage's sound, tests); a clip's soundtrack, which may be ten minutes long, is
mixed by :mod:`bot.media.mix_stream` in blocks with the same arithmetic (``mix_levels``, ``limiter_gain``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from bot.media.loudness import integrated_loudness, true_peak_dbtp, true_peak_envelope
from bot.media.models import MixOptions, SyncPlan

__all__ = [
    "AAC_PEAK_MARGIN_DB",
    "AMBIENCE_LUFS",
    "DUCK_ATTACK_S",
    "DUCK_RELEASE_S",
    "INTERSAMPLE_HEADROOM",
    "MUSIC_LEAD_LUFS",
    "MUSIC_UNDER_SPEECH_LUFS",
    "ORIGINAL_WITH_SPEECH_LUFS",
    "SAMPLE_RATE",
    "SHORT_PAUSE_S",
    "SILENT_LUFS",
    "SPEECH_PREROLL_S",
    "SPEECH_SHARE_FOR_VOICE_MIX",
    "Mastered",
    "MixLevels",
    "MixResult",
    "bed_block",
    "build_music_bed",
    "db_to_gain",
    "duck_block",
    "duck_envelope",
    "gain_to_db",
    "limit",
    "limiter_gain",
    "master",
    "merge_short_pauses",
    "mix",
    "mix_levels",
    "raised_cosine",
]

SAMPLE_RATE = 48000
SPEECH_PREROLL_S = 0.12
"""The music starts dipping this long before speech so the first syllable is never masked."""
SHORT_PAUSE_S = 0.3
"""Pauses shorter than this count as speech, so the music does not pump between words."""
DUCK_ATTACK_S = 0.15
DUCK_RELEASE_S = 0.45
ORIGINAL_WITH_SPEECH_LUFS = -16.0
MUSIC_UNDER_SPEECH_LUFS = -21.0
"""Music bed at 100 % when the clip has speech: 5 dB under the voice, before ducking."""
AMBIENCE_LUFS = -24.0
MUSIC_LEAD_LUFS = -16.0
"""Without speech the music leads and the original sound (ambience) sits well under it."""
SPEECH_SHARE_FOR_VOICE_MIX = 0.08
AAC_PEAK_MARGIN_DB = 0.7
"""AAC at 192 kbit/s overshoots the PCM true peak by up to ~0.5 dB on music; keep this much spare."""
SILENT_LUFS = -60.0
INTERSAMPLE_HEADROOM = 10 ** (-3.5 / 20)
"""Band-limited audio's true peak rarely exceeds its sample peak by 3 dB: only stretches this close to
the ceiling are oversampled."""


@dataclass(frozen=True)
class MixResult:
    samples: np.ndarray
    """float32 (2, n) at ``SAMPLE_RATE``."""
    loudness_lufs: float
    true_peak_dbtp: float
    music_gain: np.ndarray
    """The music's gain (linear, per sample, before final normalisation) including ducking and fades."""


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    return 20.0 * math.log10(max(gain, 1e-12))


def limit(samples: np.ndarray, ceiling_dbtp: float, sample_rate: int = SAMPLE_RATE) -> tuple[np.ndarray, float]:
    """Look-ahead peak limiter; returns the limited samples and their true peak (dBTP)."""
    peaks, gain = limiter_gain(samples, ceiling_dbtp, sample_rate)
    if gain is None:
        return samples, gain_to_db(float(peaks.max()))
    return (samples * gain[None, :]).astype(np.float32), gain_to_db(float((peaks * gain).max()))


def limiter_gain(
    samples: np.ndarray, ceiling_dbtp: float, sample_rate: int = SAMPLE_RATE
) -> tuple[np.ndarray, np.ndarray | None]:
    """The samples' true-peak envelope and the limiter's per-sample gain (None: nothing to limit).

    The minimum filter (width 2L) followed by a moving average (width L) never exceeds the gain each
    peak needs, and the average makes the gain change smoothly over L (5 ms).
    """
    ceiling = db_to_gain(ceiling_dbtp)
    peaks = true_peak_envelope(samples, only_above=ceiling * INTERSAMPLE_HEADROOM)
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if need.min() >= 1.0:
        return peaks, None
    look = max(3, int(0.005 * sample_rate))
    gain = minimum_filter1d(need, size=2 * look + 1)
    gain = uniform_filter1d(gain, size=look)
    return peaks, np.minimum(gain, need)


def raised_cosine(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, endpoint=True)) if n > 0 else np.zeros(0)


def build_music_bed(music: np.ndarray, plan: SyncPlan, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The track laid out on the video's timeline: segments, equal-power crossfades, fade in/out."""
    return bed_block(music, plan, 0, int(round(plan.video_duration_s * sample_rate)), sample_rate)


def bed_block(music: np.ndarray, plan: SyncPlan, a: int, b: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The music bed's samples ``[a, b)`` (see :func:`build_music_bed`), computed for that range only: a long
    clip's mix goes block by block (``mix_stream``)."""
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
    """The ducking envelope's samples ``[a, b)`` of ``n`` (see :func:`duck_envelope`), for that range only."""
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


def merge_short_pauses(
    intervals: tuple[tuple[float, float], ...], *, max_pause_s: float = SHORT_PAUSE_S
) -> list[tuple[float, float]]:
    """Speech intervals with pauses shorter than ``max_pause_s`` closed: the music stays down between words."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start - merged[-1][1] < max_pause_s:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def duck_envelope(
    speech_intervals: tuple[tuple[float, float], ...],
    n: int,
    *,
    duck_db: float,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Linear music gain: 1 outside speech, ``duck_db`` inside, with raised-cosine attack/release."""
    return duck_block(speech_intervals, n, 0, n, duck_db=duck_db, sample_rate=sample_rate)


def _fit_length(samples: np.ndarray, n: int) -> np.ndarray:
    if samples.shape[1] >= n:
        return samples[:, :n]
    return np.pad(samples, ((0, 0), (0, n - samples.shape[1])))


@dataclass(frozen=True)
class MixLevels:
    """The gains the mix applies, from the loudness of its two sources."""

    music_gain: float
    """Linear, on the music bed (ducking multiplies it)."""
    original_gain: float
    """Linear, on the original sound (0.0 when it is left out)."""
    target_lufs: float
    """The loudness the mastering aims at."""


def mix_levels(
    *,
    orig_lufs: float | None,
    music_lufs: float,
    speech_intervals: tuple[tuple[float, float], ...],
    n: int,
    options: MixOptions,
    sample_rate: int = SAMPLE_RATE,
) -> MixLevels:
    """The music's and the original sound's gains and the mastering target (``orig_lufs`` None: music alone)."""
    speech_s = sum(e - s for s, e in speech_intervals)
    voiced = orig_lufs is not None and speech_s >= SPEECH_SHARE_FOR_VOICE_MIX * (n / sample_rate)
    music_target = MUSIC_UNDER_SPEECH_LUFS if voiced else MUSIC_LEAD_LUFS
    volume_db = gain_to_db(max(options.music_volume_pct, 0.0) / 100.0) if options.music_volume_pct > 0 else -120.0
    music_gain_db = (music_target - music_lufs if math.isfinite(music_lufs) else 0.0) + volume_db
    if orig_lufs is None:
        # Music alone: its level is the output's level. 100 % (or more) is the loudness target, and each
        # step down lowers the whole output by as much, as the user asked (normalising would undo it).
        return MixLevels(db_to_gain(music_gain_db), 0.0, options.target_lufs + min(0.0, volume_db))
    orig_target = ORIGINAL_WITH_SPEECH_LUFS if voiced else AMBIENCE_LUFS
    return MixLevels(db_to_gain(music_gain_db), db_to_gain(orig_target - orig_lufs), options.target_lufs)


def mix(
    *,
    music_bed: np.ndarray,
    original: np.ndarray | None,
    speech_intervals: tuple[tuple[float, float], ...],
    options: MixOptions,
    sample_rate: int = SAMPLE_RATE,
) -> MixResult:
    """Mix the music bed with the original sound and master to the loudness target."""
    n = music_bed.shape[1]
    keep = options.keep_original and original is not None
    orig = _fit_length(original, n) if keep and original is not None else None
    orig_lufs = integrated_loudness(orig, sample_rate) if orig is not None else float("-inf")
    if orig is not None and not orig_lufs > SILENT_LUFS:
        orig = None  # a silent track adds nothing but noise after normalisation
    music_lufs = integrated_loudness(music_bed, sample_rate)
    levels = mix_levels(
        orig_lufs=orig_lufs if orig is not None else None,
        music_lufs=music_lufs,
        speech_intervals=speech_intervals,
        n=n,
        options=options,
        sample_rate=sample_rate,
    )
    ducking = (
        duck_envelope(speech_intervals, n, duck_db=options.duck_db, sample_rate=sample_rate)
        if orig is not None and options.duck and speech_intervals
        else np.ones(n, dtype=np.float32)
    )
    music_gain = ducking * levels.music_gain
    out = music_bed * music_gain[None, :]
    if orig is not None:
        out = out + orig * levels.original_gain
    options = replace(options, target_lufs=levels.target_lufs)
    mastered = master(out.astype(np.float32), options=options, sample_rate=sample_rate)
    return MixResult(
        samples=mastered.samples,
        loudness_lufs=mastered.loudness_lufs,
        true_peak_dbtp=mastered.true_peak_dbtp,
        music_gain=music_gain,
    )


@dataclass(frozen=True)
class Mastered:
    samples: np.ndarray
    loudness_lufs: float
    true_peak_dbtp: float


def master(samples: np.ndarray, *, options: MixOptions, sample_rate: int = SAMPLE_RATE) -> Mastered:
    """Normalise to the target loudness and hold the true peak under the ceiling.

    Gain moves loudness exactly, so only the limiter's effect needs re-measuring; each pass makes up
    what the limiter took, and two or three passes land within 0.3 LU.
    """
    ceiling = options.true_peak_dbtp - AAC_PEAK_MARGIN_DB
    loudness = integrated_loudness(samples, sample_rate)
    if not math.isfinite(loudness):
        return Mastered(samples, loudness, true_peak_dbtp(samples))
    out = samples
    peak_dbtp = float("-inf")
    for _ in range(3):
        out = (out * db_to_gain(options.target_lufs - loudness)).astype(np.float32)
        loudness = options.target_lufs
        before = out
        out, peak_dbtp = limit(out, ceiling, sample_rate)
        if out is before:  # nothing to limit: loudness is exactly on target
            break
        loudness = integrated_loudness(out, sample_rate)
        if abs(loudness - options.target_lufs) < 0.3:
            break
    return Mastered(out, loudness, peak_dbtp)
