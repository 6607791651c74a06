"""The library's analyses shared through PostgreSQL: a second machine (its own index file, the same database)
analyses nothing the first one did; an unreachable database costs nothing but the sharing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.media import library, music_analysis
from bot.store import LibraryStore
from tests.media.test_library import click_track


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = music_analysis.analyse_file

    def counting(path: Path, **kwargs: object) -> object:
        calls.append(Path(path).name)
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(music_analysis, "analyse_file", counting)
    return calls


def test_a_second_machine_reuses_the_first_ones_analyses(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    root = tmp_path / "music"
    (root / "calm").mkdir(parents=True)
    click_track(root / "calm" / "a.wav", bpm=80)
    click_track(root / "calm" / "b.wav", bpm=90)
    with LibraryStore(tmp_path / "machine-a.sqlite3", analyses_url=postgres_url) as store:
        first = library.scan([root], store=store)
    assert sorted(calls) == ["a.wav", "b.wav"]
    calls.clear()
    with LibraryStore(tmp_path / "machine-b.sqlite3", analyses_url=postgres_url) as store:
        second = library.scan([root], store=store)
    assert calls == [], "the other machine's analyses are read from PostgreSQL"
    assert [(t.id, t.bpm, t.moods) for t in second] == [(t.id, t.bpm, t.moods) for t in first]


def test_an_unreachable_database_only_costs_the_sharing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    root = tmp_path / "music"
    (root / "calm").mkdir(parents=True)
    click_track(root / "calm" / "a.wav", bpm=80)
    nowhere = "postgresql://postgres@127.0.0.1:9/none"  # the discard port: connection refused at once
    with LibraryStore(tmp_path / "lib.sqlite3", analyses_url=nowhere) as store:
        assert len(library.scan([root], store=store)) == 1
    with LibraryStore(tmp_path / "lib.sqlite3", analyses_url=nowhere) as store:
        assert len(library.scan([root], store=store)) == 1
    assert calls == ["a.wav"], "this machine's own cache still works"
