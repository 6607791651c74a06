"""``musiccog render`` with timeline edits: instructions, the user's song, title, aspect, size, saved timelines."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from bot.cli import main
from tests.mediagen import make_clip, write_wav


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("edits") / "trip.mp4", duration_s=4.0, cut_times_s=(1.0, 2.0, 3.0))


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sr = 48000
    t = np.arange(8 * sr) / sr
    beat = (np.mod(t, 0.5) < 0.05) * np.sin(2 * np.pi * 1000 * t)
    tune = 0.2 * np.sin(2 * np.pi * 330 * t) + 0.5 * beat
    return write_wav(tmp_path_factory.mktemp("song") / "my_song.wav", tune.astype(np.float32), sr)


def render_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["render", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_instructions_are_applied_in_order_and_reported(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = render_json(capsys, str(clip), "-o", str(tmp_path / "a.mp4"), "--prompt", "happy")
    data = render_json(
        capsys, str(clip), "-o", str(tmp_path / "b.mp4"), "--prompt", "happy",
        "--instruction", "another track", "--instruction", "quieter, title 'Day 1'", "--instruction", "qwerty",
    )  # fmt: skip
    reports = data["instructions"]
    assert isinstance(reports, list) and len(reports) == 3
    assert [r["understood"] for r in reports] == [True, True, False]
    assert reports[2]["edits"] == [] and "I can change" in reports[2]["reply"]
    assert data["track"]["id"] != first["track"]["id"]  # type: ignore[index]
    summary = str(data["timeline_summary"])
    assert summary.startswith("Timeline (3 tracks): 1. Video: trip (0-4s) 2. BGM: ")
    assert '(0-4s, 71%) 3. Title: "Day 1" (0-3s)' in summary
    assert data["timeline"]["music"]["volume_pct"] == pytest.approx(70.795)  # type: ignore[index]
    assert not data["video_copied"], "a title is a visual edit: re-encoded"
    for key in ("output_size_bytes", "width", "height"):
        assert key in data


def test_saved_timelines_round_trip_and_are_deterministic(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    args = ["--prompt", "calm", "--instruction", "更欢快", "--instruction", "音量 40%"]
    render_json(capsys, str(clip), "-o", str(tmp_path / "1.mp4"), *args, "--timeline-out", str(a))
    render_json(capsys, str(clip), "-o", str(tmp_path / "2.mp4"), *args, "--timeline-out", str(b))
    assert a.read_bytes() == b.read_bytes(), "the same edits give the same JSON"
    again = render_json(capsys, str(clip), "-o", str(tmp_path / "3.mp4"), "--timeline-in", str(a))
    assert again["timeline"] == json.loads(a.read_text())
    assert again["timeline"]["music"]["volume_pct"] == 40.0  # type: ignore[index]
    assert again["video_copied"] is True, "no visual edit: the copy path stays"


def test_the_users_song_is_the_music_and_stays_out_of_the_library(
    clip: Path, song: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = render_json(capsys, str(clip), "-o", str(tmp_path / "s.mp4"), "--song", str(song))
    assert data["track"]["path"] == str(song.resolve())  # type: ignore[index]
    assert "BGM: my song" in str(data["timeline_summary"])
    assert main(["library", "list"]) == 0
    assert "my_song" not in capsys.readouterr().out


@pytest.mark.parametrize(("aspect", "size"), [("9:16", (180, 320)), ("1:1", (180, 180)), ("16:9", (320, 180))])
def test_aspect_changes_without_upscaling(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], aspect: str, size: tuple[int, int]
) -> None:
    out = tmp_path / "shape.mp4"
    data = render_json(capsys, str(clip), "-o", str(out), "--aspect", aspect, "--title", "第一天")
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == size
        assert container.streams.audio
    assert (data["width"], data["height"]) == size


def test_fit_to_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    noisy = make_clip(
        tmp_path / "noisy.mp4", duration_s=4.0, size=(640, 360),
        video_source="testsrc2=s=640x360:r=30:d=4,noise=alls=30:allf=t",
        video_args=("-crf", "8", "-preset", "ultrafast"),
    )  # fmt: skip
    assert noisy.stat().st_size > 2_000_000
    out = tmp_path / "small.mp4"
    data = render_json(capsys, str(noisy), "-o", str(out), "--max-size", "500KB")
    assert out.stat().st_size <= 500_000
    assert data["output_size_bytes"] == out.stat().st_size
    with av.open(str(out)) as container:
        assert container.streams.audio
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 115


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--title", "  "], "title is empty"),
        (["--max-size", "2KB"], "can't fit"),
        (["--max-size", "lots"], "size"),
    ],
)
def test_edit_errors_are_clear(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    out = tmp_path / "x.mp4"
    assert main(["render", str(clip), "-o", str(out), *args]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert reason in last.lower()
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_song_that_is_not_audio_is_refused(clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "song.mp3"
    fake.write_text("not music at all")
    assert main(["render", str(clip), "-o", str(tmp_path / "y.mp4"), "--song", str(fake)]) == 2
    assert "audio" in capsys.readouterr().err.strip().splitlines()[-1].lower()


def test_a_videos_soundtrack_can_be_the_song(clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    donor = make_clip(tmp_path / "concert.mp4", duration_s=6.0, audio="sine")
    data = render_json(capsys, str(clip), "-o", str(tmp_path / "v.mp4"), "--song", str(donor))
    assert data["track"]["path"] == str(donor.resolve())  # type: ignore[index]
    assert data["loudness_lufs"] == pytest.approx(-14.0, abs=1.0)


def test_operator_may_share_user_songs(
    clip: Path, song: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import get_settings

    monkeypatch.setenv("MUSICCOG_SHARE_USER_SONGS", "true")
    get_settings.cache_clear()
    render_json(capsys, str(clip), "-o", str(tmp_path / "s.mp4"), "--song", str(song))
    assert main(["library", "list"]) == 0
    assert "My Song" in capsys.readouterr().out


def test_the_copy_is_kept_when_it_already_fits(clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = render_json(capsys, str(clip), "-o", str(tmp_path / "c.mp4"), "--max-size", "10MiB")
    assert data["video_copied"] is True
    assert int(data["output_size_bytes"]) <= 10 * 1024 * 1024  # type: ignore[call-overload]


def test_a_roomy_cap_leaves_a_vertical_render_as_it_was(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cap is a ceiling: a 9:16 re-encode with ``--max-size`` far above its size is the same size as without."""
    shape = ("--aspect", "9:16", "--fit", "blur")
    free = render_json(capsys, str(clip), "-o", str(tmp_path / "free.mp4"), *shape)
    capped = render_json(capsys, str(clip), "-o", str(tmp_path / "capped.mp4"), *shape, "--max-size", "50MB")
    assert not free["video_copied"] and not capped["video_copied"]
    assert capped["output_size_bytes"] == pytest.approx(free["output_size_bytes"], rel=0.03)
