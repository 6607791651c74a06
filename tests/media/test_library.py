from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.media import library
from bot.store import LibraryStore
from tests.mediagen import run_ffmpeg, write_wav


def click_track(path: Path, *, bpm: float = 100.0, seconds: float = 8.0, sr: int = 48000) -> Path:
    """Clicks on every beat (accented downbeats) over a C major drone."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    drone = sum(0.05 * np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0))
    clicks = np.zeros(n)
    period = 60.0 / bpm
    for k, start in enumerate(np.arange(0.1, seconds - 0.1, period)):
        i = int(start * sr)
        burst = np.exp(-np.arange(800) / 120.0) * np.sin(2 * np.pi * 1500 * np.arange(800) / sr)
        clicks[i : i + 800] += (0.6 if k % 4 == 0 else 0.35) * burst[: len(clicks[i : i + 800])]
    mono = (drone + clicks).astype(np.float32)
    wav = write_wav(path.with_suffix(".wav"), mono, sr)
    if path.suffix != ".wav":
        run_ffmpeg(["-i", str(wav), str(path)])
        wav.unlink()
    return path


@pytest.fixture(scope="module")
def music_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("music")
    (root / "calm").mkdir()
    (root / "epic").mkdir()
    click_track(root / "calm" / "slow_one.wav", bpm=70)
    click_track(root / "epic" / "big_one.mp3", bpm=140)
    tagged = click_track(root / "tagged.flac", bpm=100)
    from mutagen.flac import FLAC

    audio = FLAC(str(tagged))
    audio["title"] = "Sunny Walk"
    audio["artist"] = "Test Band"
    audio["genre"] = "Acoustic"
    audio["mood"] = "happy"
    audio["bpm"] = "100"
    audio.save()
    return root


def test_folders_and_tags_become_moods(music_root: Path, tmp_path: Path) -> None:
    with LibraryStore(tmp_path / "lib.sqlite3") as store:
        tracks = {Path(t.path).name: t for t in library.scan([music_root], store=store)}
    assert set(tracks) == {"slow_one.wav", "big_one.mp3", "tagged.flac"}
    assert tracks["slow_one.wav"].moods == ("calm",)
    assert tracks["slow_one.wav"].moods_source == "folder"
    assert tracks["big_one.mp3"].moods == ("energetic",), "a folder named epic means energetic"
    tagged = tracks["tagged.flac"]
    assert tagged.title == "Sunny Walk"
    assert tagged.tags.artist == "Test Band"
    assert tagged.tags.genre == "Acoustic"
    assert tagged.moods == ("happy",)
    assert tagged.moods_source == "tags"
    assert tagged.tags.bpm == 100.0
    assert library.track_report(tagged)["bpm_source"] == "tags"
    assert tracks["slow_one.wav"].bpm == pytest.approx(70, rel=0.04)


def test_rescans_are_incremental(music_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.media import music_analysis

    calls: list[str] = []
    real = music_analysis.analyse_file

    def counting(path: Path, **kwargs: object) -> object:
        calls.append(Path(path).name)
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(music_analysis, "analyse_file", counting)
    db = tmp_path / "lib.sqlite3"
    root = tmp_path / "music"
    (root / "calm").mkdir(parents=True)
    click_track(root / "calm" / "a.wav", bpm=80)
    click_track(root / "calm" / "b.wav", bpm=90)
    with LibraryStore(db) as store:
        assert len(library.scan([root], store=store)) == 2
    assert sorted(calls) == ["a.wav", "b.wav"]
    calls.clear()
    with LibraryStore(db) as store:
        assert len(library.scan([root], store=store)) == 2
    assert calls == [], "unchanged files are never analysed again"
    (root / "calm" / "a.wav").rename(root / "calm" / "renamed.wav")
    click_track(root / "calm" / "c.wav", bpm=120)
    with LibraryStore(db) as store:
        tracks = library.scan([root], store=store)
    assert sorted(Path(t.path).name for t in tracks) == ["b.wav", "c.wav", "renamed.wav"]
    assert calls == ["c.wav"], "a renamed file is found by its content hash"


def test_analyze_cli_prints_one_json_object_per_track(music_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["library", "analyze", str(music_root), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3
    for row in rows:
        for key in ("path", "duration_s", "bpm", "bpm_source", "key", "mode", "loudness_lufs", "moods",
                    "moods_source", "beats"):  # fmt: skip
            assert key in row
        assert 1 <= len(row["moods"]) <= 2
        assert row["mode"] in ("major", "minor")


def test_ignore_tags_uses_audio_only(music_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["library", "analyze", str(music_root / "tagged.flac"), "--ignore-tags", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["bpm_source"] == "audio"
    assert row["moods_source"] == "audio"
    assert row["bpm"] == pytest.approx(100, rel=0.04)


def test_library_list_and_operator_dirs(
    music_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUSICCOG_LIBRARY_DIRS", str(music_root))
    monkeypatch.setenv("MUSICCOG_USE_STARTER_PACK", "false")
    from bot.config import get_settings

    get_settings.cache_clear()
    assert main(["library", "list"]) == 0
    out = capsys.readouterr().out
    assert "3 tracks" in out
    assert "Sunny Walk" in out


def test_starter_pack_is_indexed_on_first_use() -> None:
    tracks = library.load_library()
    assert len(tracks) >= 28
    moods = {t.moods[0] for t in tracks}
    assert moods >= {"calm", "energetic", "happy", "nostalgic", "tender"}


def test_missing_folder_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["library", "analyze", "/nonexistent/music"]) == 2
    assert "No such file or folder" in capsys.readouterr().err


def test_a_fresh_install_reads_the_starter_pack_without_listening_to_it(tmp_path: Path) -> None:
    """The pack's analyses ship with the code: a first load on a fresh data dir never imports librosa."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from bot.media.library import load_library; tracks = load_library(); "
        "print(len(tracks), 'librosa' in sys.modules)"
    )
    env = {**os.environ, "MUSICCOG_DATA_DIR": str(tmp_path / "fresh")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    count, listened = result.stdout.split()
    assert int(count) >= 28 and listened == "False"


def test_the_shipped_pack_analyses_match_a_live_analysis() -> None:
    """Guards the shipped cache against analysers that changed without ``library.write_pack_cache()``."""
    from bot.media.library import ANALYSIS_VERSION, content_hash, iter_audio_files, read_tags, starter_pack_dir
    from bot.media.music_analysis import analyse_file
    from bot.media.pack_cache import cached_analysis

    pack = starter_pack_dir()
    assert pack is not None
    path = min(iter_audio_files(pack), key=lambda p: p.stat().st_size)
    live = analyse_file(path, bpm_hint=read_tags(path, root=pack).bpm)
    assert cached_analysis(content_hash(path), ANALYSIS_VERSION) == live
