"""detect_speech: finds speech-like sound to ~0.1 s at its edges, and nothing in tones, music or noise."""

from __future__ import annotations

import numpy as np
import pytest

from bot.media.speech import detect_speech
from tests.mediagen import coloured_noise, music_like, speech_like

SR = 48000
TALK = ((1.0, 3.0), (4.2, 6.0), (7.5, 9.2))
EDGE_TOL_S = 0.1


def assert_matches(found: tuple[tuple[float, float], ...], talk: tuple[tuple[float, float], ...]) -> None:
    assert len(found) == len(talk), f"found {found}, expected {talk}"
    for (a, b), (ta, tb) in zip(found, talk, strict=True):
        assert abs(a - ta) <= EDGE_TOL_S, f"start {a} vs {ta}"
        assert abs(b - tb) <= EDGE_TOL_S, f"end {b} vs {tb}"


def test_speech_like_mono_found_within_100_ms() -> None:
    assert_matches(detect_speech(speech_like(10.0, talk=TALK), SR), TALK)


@pytest.mark.parametrize("channels", [2, 6])
def test_multichannel_input_is_averaged(channels: int) -> None:
    voice = speech_like(10.0, talk=TALK)
    samples = np.zeros((channels, len(voice)), dtype=np.float32)
    samples[0] = voice  # only one channel speaks (5.1: as if on the left)
    samples[channels // 2] = voice
    assert_matches(detect_speech(samples, SR), TALK)


def test_samples_by_channels_layout_is_accepted() -> None:
    voice = speech_like(10.0, talk=TALK)
    assert_matches(detect_speech(np.stack([voice, voice], axis=1), SR), TALK)


@pytest.mark.parametrize("rate", [16000, 44100, 22050])
def test_other_sample_rates(rate: int) -> None:
    assert_matches(detect_speech(speech_like(10.0, talk=TALK, sample_rate=rate), rate), TALK)


def test_speech_over_moderate_noise_is_still_found() -> None:
    mix = speech_like(10.0, talk=TALK) + coloured_noise(10.0, colour="pink", level_dbfs=-35)
    assert_matches(detect_speech(mix, SR), TALK)


def test_pauses_under_300_ms_are_merged_and_longer_ones_split() -> None:
    talk = ((1.0, 2.0), (2.2, 3.0), (4.0, 5.0))  # 200 ms pause, then a 1 s one
    found = detect_speech(speech_like(6.0, talk=talk), SR)
    assert_matches(found, ((1.0, 3.0), (4.0, 5.0)))


def test_blips_are_dropped() -> None:
    assert detect_speech(speech_like(4.0, talk=((1.0, 1.1),)), SR) == ()


def test_sine_tone_is_not_speech() -> None:
    t = np.arange(10 * SR) / SR
    assert detect_speech((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR) == ()


def test_low_hum_is_not_speech() -> None:
    t = np.arange(10 * SR) / SR
    hum = 0.1 * np.sin(2 * np.pi * 120 * t) + 0.05 * np.sin(2 * np.pi * 240 * t)
    assert detect_speech(hum.astype(np.float32), SR) == ()


def test_music_like_tones_are_not_speech() -> None:
    assert detect_speech(music_like(10.0), SR) == ()


@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
def test_moderate_noise_is_not_speech(colour: str) -> None:
    # -26 dBFS white noise alone makes webrtcvad fire on ~74 % of frames.
    assert detect_speech(coloured_noise(10.0, colour=colour, level_dbfs=-26), SR) == ()


def test_silence_and_tiny_inputs() -> None:
    assert detect_speech(np.zeros(5 * SR, dtype=np.float32), SR) == ()
    assert detect_speech(np.zeros(100, dtype=np.float32), SR) == ()
    assert detect_speech(np.zeros((2, 0), dtype=np.float32), SR) == ()


def test_intervals_are_plain_floats() -> None:
    found = detect_speech(speech_like(4.0, talk=((1.0, 3.0),)), SR)
    assert found and all(type(x) is float for pair in found for x in pair)
