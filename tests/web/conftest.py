"""Fixtures of the web tests: a 2 s clip with one cut, and PTB's timedelta mode (as the adapter tests)."""

from __future__ import annotations

import pytest

from tests.mediagen import make_clip


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 2 s 160×90 clip with a cut at 1 s, as bytes (what a user uploads)."""
    path = make_clip(tmp_path_factory.mktemp("clip") / "trip.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,))
    return path.read_bytes()
