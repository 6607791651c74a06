"""``--language``: the command line words the reason (and a refusal) in English by default, or in Chinese."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.mediagen import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("cli-lang") / "eight.mp4", duration_s=8.0, size=(160, 90),
                     cut_times_s=(2.0, 4.0, 6.0), audio=None)  # fmt: skip


def test_english_by_default_and_the_json_keeps_its_fields(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["render", str(clip), "-o", str(tmp_path / "o.mp4"), "--prompt", "epic cinematic", "--hit-at", "4"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "No epic, cinematic tracks here" in data["reason"] and "matching your request" in data["reason"]
    assert data["unmatched_words"] == ["epic", "cinematic"] and data["used_moods"]
    assert {"hit_at_s", "track_peak_s", "ending", "cuts_on_beat_ratio"} <= set(data) and "why" not in data
    assert main([*args, "--overwrite"]) == 0
    assert f"Why:       {data['reason']}" in capsys.readouterr().out


def test_chinese_words_the_reason_the_moment_and_the_summary(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["render", str(clip), "-o", str(tmp_path / "o.mp4"), "--prompt", "平静", "--hit-at", "4"]
    assert main([*args, "--language", "zh"]) == 0
    out = capsys.readouterr().out
    why = next(line for line in out.splitlines() if line.startswith("Why:"))
    assert "符合你要的平静" in why and "matching" not in why
    assert "这首曲子的高潮" in why and "落在视频的 0:04" in why, why
    assert "时间线" in out
    assert main([*args, "--language", "zh", "--json", "--overwrite"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reason"] == why.removeprefix("Why:").strip() and data["hit_at_s"] is not None


def test_a_refusal_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nothere.mp4"
    assert main(["render", str(missing), "--language", "zh"]) == 2
    assert capsys.readouterr().err.strip() == f"找不到文件 {missing}。"


def test_a_film_says_its_reason_in_chinese_and_reports_its_moment_and_ending(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "film.mp4"
    args = ["montage", str(clip), str(clip), "-o", str(out), "--duration", "8", "--prompt", "史诗", "--language", "zh"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"ending", "hit_at_s", "track_peak_s", "unmatched_words", "used_moods"} <= set(data)
    assert data["ending"] in ("natural", "bar_fade") and data["unmatched_words"] == ["史诗"]
    assert "这里没有“史诗”风格的曲子" in data["reason"] and "matching" not in data["reason"]
