from __future__ import annotations

import numpy as np
import pytest

from bot.media.loudness import integrated_loudness, true_peak_dbtp
from bot.media.mix import (
    SAMPLE_RATE,
    build_music_bed,
    duck_envelope,
    master,
    mix,
)
from bot.media.models import MixOptions
from bot.media.sync import plan_sync
from tests.media.audio_checks import band_level_db
from tests.media.factories import grid_features
from tests.mediagen import speech_like

SR = SAMPLE_RATE


def tone(freq: float, seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    mono = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([mono, mono])


def test_duck_envelope_depth_and_smoothness() -> None:
    speech = ((2.0, 4.0), (4.2, 6.0))
    env = duck_envelope(speech, 10 * SR, duck_db=-12.0)
    db = 20 * np.log10(env)
    inside = db[int(2.3 * SR) : int(5.8 * SR)]
    outside = np.concatenate([db[: int(1.5 * SR)], db[int(7 * SR) :]])
    assert outside.min() > -0.01
    assert inside.max() <= -11.9, "the 200 ms pause counts as speech"
    assert outside.mean() - inside.mean() >= 8.0
    assert np.abs(np.diff(db)).max() < 0.01, "attack and release are smooth, no clicks"


def test_music_is_ducked_at_least_8_db_under_speech() -> None:
    duration = 10.0
    talk = ((2.0, 4.5), (6.0, 8.0))
    voice = speech_like(duration, talk=talk, sample_rate=SR)
    original = np.stack([voice, voice])
    bed = tone(7000.0, duration)  # far above the voice's harmonics: measurable on its own
    result = mix(music_bed=bed, original=original, speech_intervals=talk, options=MixOptions())
    inside = band_level_db(result.samples, 7000.0, 2.6, 4.3)
    outside = band_level_db(result.samples, 7000.0, 0.3, 1.6)
    assert outside - inside >= 8.0
    assert integrated_loudness(result.samples, 48000) == pytest.approx(-14.0, abs=1.0)
    assert true_peak_dbtp(result.samples) <= -1.0


def test_mute_original_drops_the_voice_and_the_ducking() -> None:
    duration = 6.0
    talk = ((1.0, 4.0),)
    voice = speech_like(duration, talk=talk, sample_rate=SR)
    bed = tone(7000.0, duration)
    result = mix(
        music_bed=bed,
        original=np.stack([voice, voice]),
        speech_intervals=talk,
        options=MixOptions(keep_original=False),
    )
    assert np.allclose(result.music_gain, result.music_gain[0])
    assert band_level_db(result.samples, 7000.0, 1.5, 3.5) == pytest.approx(
        band_level_db(result.samples, 7000.0, 4.5, 5.5), abs=0.5
    )


def test_music_volume_changes_the_balance() -> None:
    duration = 8.0
    talk = ((0.5, 7.5),)
    voice = speech_like(duration, talk=talk, sample_rate=SR)
    bed = tone(7000.0, duration)
    loud = mix(music_bed=bed, original=np.stack([voice, voice]), speech_intervals=talk, options=MixOptions())
    quiet = mix(
        music_bed=bed,
        original=np.stack([voice, voice]),
        speech_intervals=talk,
        options=MixOptions(music_volume_pct=35.0),
    )
    drop = band_level_db(loud.samples, 7000, 3, 5) - band_level_db(quiet.samples, 7000, 3, 5)
    assert drop == pytest.approx(-20 * np.log10(0.35), abs=1.5)


def test_master_meets_loudness_and_true_peak_on_peaky_input() -> None:
    rng = np.random.default_rng(0)
    clicks = np.zeros((2, 5 * SR), dtype=np.float32)
    clicks[:, :: SR // 4] = 0.9
    noise = (rng.normal(0, 0.02, (2, 5 * SR))).astype(np.float32)
    out = master(clicks + noise, options=MixOptions()).samples
    assert integrated_loudness(out, 48000) == pytest.approx(-14.0, abs=1.0)
    assert true_peak_dbtp(out) <= -1.0


def test_music_bed_loops_without_gaps() -> None:
    track = grid_features(bpm=120, duration_s=10.0, first_beat_s=0.0)
    plan = plan_sync(cut_times_s=(), video_duration_s=25.0, track=track)
    rng = np.random.default_rng(1)
    music = (rng.normal(0, 0.1, (2, 10 * SR))).astype(np.float32)
    bed = build_music_bed(music, plan)
    assert bed.shape == (2, 25 * SR)
    body = bed[:, int(1 * SR) : int(22 * SR)]
    window = SR // 20
    rms = np.sqrt(np.mean(body[0, : len(body[0]) // window * window].reshape(-1, window) ** 2, axis=1))
    assert rms.min() > 0.5 * np.median(rms), "no dips at the loop joins (equal-power crossfades)"
    assert np.abs(bed[:, -10:]).max() < 1e-3, "fades out at the end"


@pytest.mark.parametrize(
    ("volume_pct", "expected_lufs"), [(100.0, -14.0), (200.0, -14.0), (50.0, -20.02), (25.0, -26.04)]
)
def test_without_original_sound_the_music_level_is_the_output_level(volume_pct: float, expected_lufs: float) -> None:
    """No original sound to balance against: 100 % is the loudness target and each step down lowers the output."""
    sr = 48000
    t = np.arange(6 * sr) / sr
    bed = np.stack([0.2 * np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32)
    result = mix(music_bed=bed, original=None, speech_intervals=(), options=MixOptions(music_volume_pct=volume_pct))
    assert result.loudness_lufs == pytest.approx(expected_lufs, abs=0.3)
    assert result.true_peak_dbtp <= -1.0
