"""A step's arguments cross machines with their paths made relative, and nothing can point outside a root."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.media.timeline import Timeline
from bot.scale.parcel import ParcelError, pack, safe_relative, sanitised_relative, unpack


def test_paths_under_the_root_move_to_the_other_root_and_settings_stay_behind(tmp_path: Path) -> None:
    bot_root, worker_root = tmp_path / "bot", tmp_path / "worker"
    source = bot_root / "abc" / "source.mp4"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"video")
    timeline = Timeline.for_video(str(source), 5.0)
    secret = Settings(telegram_bot_token="123:SECRET")
    packed = pack(
        (str(source), timeline, str(bot_root / "abc" / "renders" / "out.mp4"), secret, "/elsewhere"), bot_root
    )
    assert packed.files == {"abc/source.mp4": source}  # only existing files are sent along
    assert b"SECRET" not in packed.data and str(bot_root).encode() not in packed.data
    mine = Settings()
    (path, moved, output, settings, other), names = unpack(packed.data, worker_root, mine, sanitise=True)
    assert path == str(worker_root / "abc" / "source.mp4") and moved.video.path == path
    assert output == str(worker_root / "abc" / "renders" / "out.mp4")
    assert settings is mine and other == "/elsewhere"
    assert names[output] == "abc/renders/out.mp4"
    back = pack((moved,), worker_root, names=names)  # the result's way home
    (again,), _ = unpack(back.data, bot_root, None, sanitise=False)
    assert again.video.path == str(source) and back.files == {}


def test_relative_paths_never_leave_the_root() -> None:
    for bad in ("../x", "a/../../x", "/etc/passwd", "", ".", "a\\b"):
        with pytest.raises(ParcelError):
            safe_relative(bad)
    assert str(sanitised_relative("abc/items/01-my clip (1).MOV")) == "abc/items/01-my_clip__1_.MOV"
    assert str(sanitised_relative("abc/.hidden")) == "abc/hidden"


def test_a_result_cannot_carry_settings(tmp_path: Path) -> None:
    packed = pack(Settings(), tmp_path)
    with pytest.raises(ParcelError):
        unpack(packed.data, tmp_path, None, sanitise=False)
