from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from bot.media.loudness import integrated_loudness, true_peak_dbtp


@pytest.mark.parametrize("seconds", [0.5, 3.3, 12.0])
def test_loudness_agrees_with_pyloudnorm(seconds: float) -> None:
    rng = np.random.default_rng(int(seconds * 10))
    x = rng.normal(0, 0.1, (2, int(seconds * 48000))).astype(np.float32)
    x[:, : x.shape[1] // 3] *= 0.02  # a quiet part, so both gates matter
    reference = pyloudnorm.Meter(48000).integrated_loudness(x.T.astype(np.float64))
    assert integrated_loudness(x, 48000) == pytest.approx(reference, abs=0.02)


def test_silence_and_short_input_are_minus_infinity() -> None:
    assert integrated_loudness(np.zeros((2, 48000), np.float32), 48000) == float("-inf")
    assert integrated_loudness(np.ones((2, 100), np.float32), 48000) == float("-inf")


def test_true_peak_sees_between_the_samples() -> None:
    n = np.arange(48000)
    sine = np.sin(2 * np.pi * 12000 * n / 48000 + np.pi / 4).astype(np.float32)[None]
    assert 20 * np.log10(np.abs(sine).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_dbtp(sine) == pytest.approx(0.0, abs=0.3)


def test_true_peak_close_to_long_filter_reference_on_music_like_signal() -> None:
    rng = np.random.default_rng(2)
    from scipy.signal import butter, sosfilt

    x = sosfilt(butter(4, 15000, fs=48000, output="sos"), rng.normal(0, 0.2, (2, 48000))).astype(np.float32)
    reference = 20 * np.log10(np.abs(resample_poly(x, 4, 1, axis=-1)).max())
    assert true_peak_dbtp(x) == pytest.approx(reference, abs=0.2)
