"""Music analysis: synthetic signals with known answers, then the bundled pack against its catalog."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from bench.eval_music import Summary, TrackResult, evaluate_pack, pack_dir
from bot.errors import InputRejected
from bot.media.models import ENERGY_HOP_S, MOODS, AudioFeatures
from bot.media.mood import MOOD_PROTOTYPES, infer_moods
from bot.media.music_analysis import analyse_file, analyse_samples

SR = 48000
C_MAJOR = (130.81, 261.63, 329.63, 392.00)


def _chord(freqs: tuple[float, ...], n: int, *, amp: float = 0.05, sr: int = SR) -> np.ndarray:
    """Harmonic tones (4 partials) for each frequency: enough timbre for a chroma."""
    t = np.arange(n) / sr
    out = np.zeros(n)
    for f in freqs:
        for h, a in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.2)):
            out += a * np.sin(2 * np.pi * f * h * t)
    return amp * out / len(freqs)


def click_track(
    bpm: float,
    *,
    duration_s: float = 16.0,
    first_s: float = 0.5,
    meter: int = 4,
    lead_s: float = 0.0,
    tail_s: float = 0.0,
    chord: tuple[float, ...] = C_MAJOR,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mono clicks (noise bursts) over a chord drone; every ``meter``-th click louder, with a kick.

    Returns the samples (with ``lead_s``/``tail_s`` of digital silence around) and the click times.
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * SR)
    y = _chord(chord, n)
    times = np.arange(first_s, duration_s - 0.3, 60.0 / bpm)
    k = np.arange(int(0.06 * SR))
    burst = np.exp(-k / (0.008 * SR))
    kick = np.sin(2 * np.pi * 55 * k / SR) * np.exp(-k / (0.04 * SR))
    for i, t in enumerate(times):
        s = int(round(t * SR))
        accent = i % meter == 0
        y[s : s + k.size] += (0.6 if accent else 0.3) * rng.standard_normal(k.size) * burst
        if accent:
            y[s : s + k.size] += 0.8 * kick
    y = np.concatenate([np.zeros(int(lead_s * SR)), y, np.zeros(int(tail_s * SR))])
    return y.astype(np.float32), times + lead_s


def _stereo(y: np.ndarray) -> np.ndarray:
    return np.vstack([y, y])


def _nearest_distance(times: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.array([np.min(np.abs(times - t)) for t in targets])


# --- synthetic signals -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def click_100() -> tuple[AudioFeatures, np.ndarray]:
    y, clicks = click_track(100.0)
    return analyse_samples(_stereo(y), SR), clicks


def test_click_track_tempo_and_beats(click_100: tuple[AudioFeatures, np.ndarray]) -> None:
    f, clicks = click_100
    assert f.bpm == pytest.approx(100.0, rel=0.01)
    beats = np.asarray(f.beat_times_s)
    assert len(beats) == len(clicks)
    assert _nearest_distance(beats, clicks).max() < 0.020  # every click has a beat within 20 ms
    assert _nearest_distance(clicks, beats).max() < 0.020  # and no beat is off the clicks


def test_click_track_downbeats_follow_the_accents(click_100: tuple[AudioFeatures, np.ndarray]) -> None:
    f, clicks = click_100
    assert f.beats_per_bar == 4
    accented = clicks[::4]
    downbeats = np.asarray(f.downbeat_times_s)
    assert len(downbeats) == len(accented)
    assert _nearest_distance(accented, downbeats).max() < 0.020


def test_click_track_over_a_c_major_drone(click_100: tuple[AudioFeatures, np.ndarray]) -> None:
    f, _ = click_100
    assert (f.key, f.mode) == ("C", "major")
    assert f.duration_s == pytest.approx(16.0, abs=1e-3)


def test_waltz_is_three_beats_per_bar() -> None:
    y, clicks = click_track(120.0, meter=3)
    f = analyse_samples(_stereo(y), SR)
    assert f.bpm == pytest.approx(120.0, rel=0.01)
    assert f.beats_per_bar == 3
    assert _nearest_distance(clicks[::3], np.asarray(f.downbeat_times_s)).max() < 0.020


def test_silence_around_the_music_is_measured_and_has_no_beats() -> None:
    y, _ = click_track(90.0, duration_s=10.0, first_s=0.05, lead_s=1.0, tail_s=0.5)
    f = analyse_samples(_stereo(y), SR)
    assert f.leading_silence_s == pytest.approx(1.0, abs=0.02)
    assert f.trailing_silence_s == pytest.approx(0.5, abs=0.02)
    assert min(f.beat_times_s) >= 1.0 - 0.02
    assert f.bpm == pytest.approx(90.0, rel=0.01)


@pytest.mark.parametrize(
    ("progression", "key", "mode"),
    [
        # I-IV-V-I in C major; i-iv-V-i in A minor (harmonic minor: E major with G#).
        (
            [
                (130.81, 261.63, 329.63, 392.00),
                (174.61, 349.23, 440.00, 523.25),
                (196.00, 392.00, 493.88, 587.33),
                (130.81, 261.63, 329.63, 392.00),
            ],
            "C",
            "major",
        ),
        (
            [
                (110.00, 220.00, 261.63, 329.63),
                (146.83, 293.66, 349.23, 440.00),
                (164.81, 329.63, 415.30, 493.88),
                (110.00, 220.00, 261.63, 329.63),
            ],
            "A",
            "minor",
        ),
    ],
)
def test_key_and_mode_of_chord_progressions(progression: list[tuple[float, ...]], key: str, mode: str) -> None:
    seg = int(2.0 * SR)
    y = np.concatenate([_chord(c, seg, amp=0.2) for c in progression * 3]).astype(np.float32)
    f = analyse_samples(y, SR)  # 1-D: mono
    assert (f.key, f.mode) == (key, mode)


def test_loudness_and_energy_curve() -> None:
    t = np.arange(int(6.0 * SR)) / SR
    y = 0.3 * np.sin(2 * np.pi * 997 * t)
    y[: int(3.0 * SR)] *= 10 ** (-30 / 20)  # first half 30 dB quieter
    stereo = _stereo(y.astype(np.float32))
    f = analyse_samples(stereo, SR)
    reference = pyloudnorm.Meter(SR).integrated_loudness(stereo.T.astype(np.float64))
    assert f.loudness_lufs == pytest.approx(reference, abs=0.05)
    assert len(f.energy_curve) == math.ceil(6.0 / ENERGY_HOP_S)
    assert max(f.energy_curve) == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 for v in f.energy_curve)
    assert max(f.energy_curve[:6]) < 0.05 and min(f.energy_curve[6:]) > 0.95


def test_digital_silence_has_no_beats_and_floor_loudness() -> None:
    f = analyse_samples(np.zeros((2, 5 * SR), np.float32), SR)
    assert f.bpm == 0.0 and f.beat_times_s == () and f.downbeat_times_s == ()
    assert f.leading_silence_s == pytest.approx(5.0)
    assert f.loudness_lufs == -70.0
    assert f.audio_moods and set(f.audio_moods) <= set(MOODS)


def test_empty_audio_is_rejected() -> None:
    with pytest.raises(InputRejected):
        analyse_samples(np.zeros((2, 0), np.float32), SR)


def test_analyze_file_decodes_any_rate(tmp_path: Path) -> None:
    y, clicks = click_track(110.0, duration_s=12.0)
    path = tmp_path / "clicks.wav"
    soundfile.write(path, np.interp(np.arange(0, len(y), SR / 44100), np.arange(len(y)), y), 44100)
    f = analyse_file(path)
    assert f.duration_s == pytest.approx(12.0, abs=0.01)
    assert f.bpm == pytest.approx(110.0, rel=0.01)
    assert _nearest_distance(np.asarray(f.beat_times_s), clicks).max() < 0.020


# --- mood model --------------------------------------------------------------------------------


def test_mood_prototypes_cover_the_vocabulary() -> None:
    assert set(MOOD_PROTOTYPES) == set(MOODS)


@pytest.mark.parametrize(
    ("bpm", "mode", "expected"),
    [
        (68.0, "major", "calm"),
        (80.0, "minor", "nostalgic"),
        (95.0, "major", "tender"),
        (118.0, "major", "happy"),
        (150.0, "minor", "energetic"),
        (150.0, "major", "energetic"),
        (0.0, "major", "calm"),  # no beat: slow
    ],
)
def test_mood_from_tempo_and_mode(bpm: float, mode: str, expected: str) -> None:
    moods = infer_moods(bpm=bpm, mode=mode, mode_margin=0.2)
    assert moods[0] == expected
    assert 1 <= len(moods) <= 2


def test_ambiguous_mode_falls_back_on_tempo_and_gives_a_second_mood() -> None:
    assert infer_moods(bpm=75.0, mode="minor", mode_margin=0.0)[:2] in (("calm", "nostalgic"), ("nostalgic", "calm"))
    assert len(infer_moods(bpm=106.0, mode="major", mode_margin=0.2)) == 2  # between tender and happy


# --- the bundled pack --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> tuple[list[TrackResult], Summary]:
    return evaluate_pack()


def _track(pack: tuple[list[TrackResult], Summary], name: str) -> TrackResult:
    return next(r for r in pack[0] if r.name == name)


@pytest.mark.parametrize(
    "name",
    ["calm_acoustic_1", "energetic_electronic_s411", "happy_acoustic_2", "nostalgic_acoustic_1", "tender_electronic_1"],
)
def test_pack_track_tempo_mode_and_beats(pack: tuple[list[TrackResult], Summary], name: str) -> None:
    r = _track(pack, name)
    f = r.features
    assert r.tempo_ok, f"{name}: {f.bpm:.1f} BPM vs catalog {r.catalog.bpm}"
    assert r.mode_ok, f"{name}: {f.key} {f.mode} vs catalog {r.catalog.key} {r.catalog.mode}"
    beats = np.asarray(f.beat_times_s)
    music_s = f.duration_s - f.leading_silence_s - f.trailing_silence_s
    assert len(beats) == pytest.approx(music_s * f.bpm / 60.0, rel=0.1)
    assert np.median(np.diff(beats)) == pytest.approx(60.0 / f.bpm, rel=0.02)
    assert len(f.downbeat_times_s) == pytest.approx(len(beats) / f.beats_per_bar, abs=1)
    assert set(f.downbeat_times_s) <= set(f.beat_times_s)


def test_pack_reports_measured_not_catalog_tempo(pack: tuple[list[TrackResult], Summary]) -> None:
    """The catalog says 123 BPM for all three; the audio plays at ~123.0, ~124.0 and ~122.2."""
    assert _track(pack, "happy_electronic_1").features.bpm == pytest.approx(123.0, abs=0.3)
    assert _track(pack, "happy_electronic_2").features.bpm == pytest.approx(124.0, abs=0.3)
    assert _track(pack, "happy_electronic_s411").features.bpm == pytest.approx(122.2, abs=0.4)


def test_pack_targets(pack: tuple[list[TrackResult], Summary]) -> None:
    results, s = pack
    detail = [
        f"{r.name}: {r.features.bpm:.1f}/{r.catalog.bpm:.0f} {r.features.mode}/{r.catalog.mode} "
        f"{'/'.join(r.features.audio_moods)}/{r.folder_mood}"
        for r in results
        if not (r.tempo_ok and r.mode_ok and r.mood_ok)
    ]
    assert s.n == 28
    assert s.tempo >= 26, detail
    assert s.tempo_octave == 28, detail
    assert s.mode >= 23, detail
    assert s.mood >= 22, detail


def test_bpm_hint_picks_the_octave_but_beats_stay_measured(pack: tuple[list[TrackResult], Summary]) -> None:
    """calm_acoustic_s411 measures 136 BPM (its eighth notes); a 68 BPM tag picks the slow level."""
    plain = _track(pack, "calm_acoustic_s411").features
    path = next(pack_dir().rglob("calm_acoustic_s411.opus"))
    hinted = analyse_file(path, bpm_hint=68.0)
    assert hinted.bpm == pytest.approx(68.0, rel=0.04)
    # The hinted beats are the measured beats' every other one, not a synthetic 68 BPM grid
    # (the grid's re-seated ends may land on a nearby onset instead).
    distance = _nearest_distance(np.asarray(plain.beat_times_s), np.asarray(hinted.beat_times_s))
    assert np.mean(distance < 0.02) >= 0.95


def test_a_hint_far_from_every_candidate_changes_nothing(pack: tuple[list[TrackResult], Summary]) -> None:
    plain = _track(pack, "happy_acoustic_1").features
    hinted = analyse_file(next(pack_dir().rglob("happy_acoustic_1.opus")), bpm_hint=97.0)
    assert hinted.bpm == pytest.approx(plain.bpm, rel=1e-6)
    assert hinted.beat_times_s == plain.beat_times_s
