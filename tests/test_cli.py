"""``musiccog`` end to end: render output, JSON shape, and every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.mediagen import make_clip, run_ffmpeg


@pytest.fixture(scope="module")
def good_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("cli") / "good.mp4", duration_s=4.0, cut_times_s=(1.0, 2.0, 3.0))


@pytest.fixture
def clean_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private TMPDIR, to prove nothing is left behind in temp dirs."""
    scratch = tmp_path / "scratch-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_render_json(good_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.mp4"
    code = main(["render", str(good_clip), "-o", str(out), "--prompt", "upbeat", "--json", "--music-volume", "60"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("output", "track", "reason", "alternatives", "cuts", "cut_times", "music_offset_s",
                "cuts_on_beat_ratio", "loudness_lufs", "video_copied", "elapsed_s"):  # fmt: skip
        assert key in data, key
    assert set(data["track"]) >= {"id", "title", "path", "bpm", "moods"}
    assert data["output"] == str(out) and out.exists()
    assert data["cuts"] == 3 and len(data["cut_times"]) == 3
    assert data["video_copied"] is True
    assert data["track"]["moods"][0] in ("happy", "energetic")


def test_render_human_summary(good_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(good_clip), "-o", str(tmp_path / "o.mp4"), "--mute-original"]) == 0
    out = capsys.readouterr().out
    for word in ("Track:", "Why:", "BPM", "cuts on beat", "LUFS", "Time:"):
        assert word in out


def _zero_bytes(d: Path) -> Path:
    (d / "empty.mp4").write_bytes(b"")
    return d / "empty.mp4"


def _text_as_mp4(d: Path) -> Path:
    (d / "notes.mp4").write_text("these are my holiday notes, not a video\n" * 50)
    return d / "notes.mp4"


def _truncated_index_at_end(d: Path) -> Path:
    full = make_clip(d / "full.mp4", duration_s=4.0)
    data = full.read_bytes()
    (d / "cut.mp4").write_bytes(data[: len(data) // 2])
    full.unlink()
    return d / "cut.mp4"


def _truncated_index_in_front(d: Path) -> Path:
    full = make_clip(d / "full.mp4", duration_s=4.0, extra_args=("-movflags", "+faststart"))
    data = full.read_bytes()
    (d / "cut.mp4").write_bytes(data[: int(len(data) * 0.6)])
    full.unlink()
    return d / "cut.mp4"


def _audio_only(d: Path) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(d / "song.m4a")])
    return d / "song.m4a"


def _image(d: Path) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:d=1", "-frames:v", "1", str(d / "photo.png")])
    return d / "photo.png"


def _missing(d: Path) -> Path:
    return d / "does-not-exist.mp4"


def _good(d: Path) -> Path:
    return make_clip(d / "fine.mp4", duration_s=4.0)


BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], dict[str, str], str]] = {
    "zero bytes": (_zero_bytes, {}, "empty"),
    "text renamed .mp4": (_text_as_mp4, {}, "isn't a video"),
    "truncated, index at end": (_truncated_index_at_end, {}, "damaged"),
    "truncated, index in front": (_truncated_index_in_front, {}, "damaged"),
    "audio only": (_audio_only, {}, "no video"),
    "too long": (_good, {"MUSICCOG_MAX_DURATION_S": "2"}, "too long"),
    "too large": (_good, {"MUSICCOG_MAX_INPUT_MB": "0.01"}, "too big"),
    "too many pixels": (_good, {"MUSICCOG_MAX_PIXELS": "10000"}, "resolution"),
    "missing file": (_missing, {}, "not be found"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gets_one_clear_line_and_exit_2(
    case: str, tmp_path: Path, clean_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make, env, expected = BAD_INPUTS[case]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    source = make(inputs)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from bot.config import get_settings

    get_settings.cache_clear()
    outdir = tmp_path / "outdir"
    outdir.mkdir()
    code = main(["render", str(source), "-o", str(outdir / "result.mp4")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err, "a reason is printed"
    last = err[-1]
    assert "Traceback" not in "\n".join(err)
    assert 10 < len(last) < 200 and last.endswith((".", "!")), last
    assert expected.lower() in last.lower()
    assert list(outdir.iterdir()) == [], "no partial output"
    assert list(clean_tmp.iterdir()) == [], "nothing left in temp dirs"


def test_render_a_photo_makes_a_short_film(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A still picture is no longer bad input (issue #11): a Ken Burns film of it with music, 8 s by default
    or ``--duration``, ending on a bar line."""
    photo = _image(tmp_path)
    out = tmp_path / "photo-music.mp4"
    assert main(["render", str(photo), "-o", str(out), "--json", "--prompt", "calm"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output"] == str(out) and out.stat().st_size > 0
    assert abs(data["duration_s"] - 8.0) <= 2.5 and data["video_copied"] is False
    assert data["timeline"]["segments"][0]["kind"] == "photo"
    longer = tmp_path / "longer.mp4"
    assert main(["render", str(photo), "-o", str(longer), "--json", "--duration", "14", "--aspect", "9:16"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert abs(data["duration_s"] - 14.0) <= 2.5
    assert data["height"] > data["width"], "vertical as asked"


def test_render_a_heic_photo_makes_a_short_film(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An iPhone's HEIC (HEVC in a HEIF container: it opens as a one-frame MP4) is a photo, not a bad clip."""
    pillow_heif = pytest.importorskip("pillow_heif")
    from PIL import Image

    heic = tmp_path / "photo.heic"
    with Image.open(_image(tmp_path)) as picture:
        pillow_heif.from_pillow(picture.convert("RGB")).save(str(heic), quality=90)
    out = tmp_path / "heic-music.mp4"
    assert main(["render", str(heic), "-o", str(out), "--json", "--duration", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["timeline"]["segments"][0]["kind"] == "photo"
    assert abs(data["duration_s"] - 5.0) <= 2.5 and out.stat().st_size > 0


def test_render_an_unreadable_photo_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny = tmp_path / "tiny.png"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=8x8:d=1", "-frames:v", "1", str(tiny)])
    assert main(["render", str(tiny), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "too small" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


def test_the_installed_command_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    empty = _zero_bytes(tmp_path)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "render", str(empty), "-o", str(tmp_path / "x.mp4")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(".")
    assert not (tmp_path / "x.mp4").exists()


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["transmogrify"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "variable"),
    [("telegram", "TELEGRAM_BOT_TOKEN"), ("discord", "DISCORD_BOT_TOKEN")],
)
def test_a_bot_without_its_token_says_which_variable_to_set(
    command: str, variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.config import get_settings

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    assert main([command]) == 2
    assert variable in capsys.readouterr().err.strip().splitlines()[-1]


def test_a_folder_and_a_missing_file_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(tmp_path), "-o", str(tmp_path / "x.mp4")]) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err.strip().splitlines()[-1]
    missing = tmp_path / "holiday.mp4"
    assert main(["render", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err.strip().splitlines()[-1]


def test_an_existing_output_is_kept_unless_overwrite_is_asked(
    good_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.mp4"
    out.write_bytes(b"an earlier result")
    assert main(["render", str(good_clip), "-o", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    written = Path(json.loads(captured.out)["output"])
    assert written == tmp_path / "result-2.mp4" and str(written) in captured.err
    assert out.read_bytes() == b"an earlier result"
    assert (written.stat().st_mode & 0o777) == 0o644, "an ordinary file, not a private temporary one"
    assert main(["render", str(good_clip), "-o", str(out), "--overwrite", "--json"]) == 0
    assert Path(json.loads(capsys.readouterr().out)["output"]) == out and out.stat().st_size > 1000
