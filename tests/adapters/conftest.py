"""Fixtures shared by the adapter tests: a small spawn pool, a 2 s clip with one cut, PTB's timedelta mode."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.mediagen import make_clip


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-telegram-bot 22 warns unless durations are timedeltas; opt in as the next major version will."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Two worker processes per test module, as a small bot would run."""
    executor = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 2 s 160×90 clip with a cut at 1 s, as bytes (what a user uploads)."""
    path = make_clip(tmp_path_factory.mktemp("clip") / "trip.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,))
    return path.read_bytes()
