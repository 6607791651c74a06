"""A step's arguments cross machines with their paths made relative, and nothing can point outside a root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import Settings
from bot.media.timeline import Timeline
from bot.scale.parcel import ParcelError, identity, pack, safe_relative, sanitised_relative, unpack


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


def test_the_same_work_asked_again_has_the_same_identity_and_its_outputs_take_the_new_names(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    source = root / "abc" / "source.mp4"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"video")
    timeline = Timeline.for_video(str(source), 5.0)
    first_output, second_output = str(root / "abc" / "renders" / "1.mp4"), str(root / "abc" / "renders" / "2.mp4")
    first, second = (timeline, str(source), first_output), (timeline, str(source), second_output)
    assert identity(first, root) == identity(second, root)  # an output's fresh name is not the work
    assert identity(first, root) != identity((timeline, str(source), str(root / "abc" / "other" / "1.mp4")), root)
    assert identity(first, root) != identity((Timeline.for_video(str(source), 4.0), str(source), first_output), root)
    old, new = pack(first, root), pack(second, root)
    assert old.fresh == ["abc/renders/1.mp4"] and new.fresh == ["abc/renders/2.mp4"]
    rename = dict(zip(old.fresh, new.fresh, strict=True))
    (_, _, output), _ = unpack(old.data, root, None, sanitise=False, rename=rename)
    assert output == second_output  # a reused result's file lands where this run expects it


@dataclass(frozen=True)
class Measured:
    """Made like an analysis: a value and how long making it took."""

    value: int
    stage_times_s: dict[str, float] = field(default_factory=dict)


def test_timings_are_not_part_of_an_identity(tmp_path: Path) -> None:
    assert identity(Measured(1, {"probe": 0.1}), tmp_path) == identity(Measured(1, {"probe": 0.7}), tmp_path)
    assert identity(Measured(1), tmp_path) != identity(Measured(2), tmp_path)
