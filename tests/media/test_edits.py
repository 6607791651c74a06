"""Every edit has words in every language, from the phrase tables (media holds no prose)."""

from __future__ import annotations

import pytest

from bot.language import LANGS
from bot.language.instructions import ParsedEdit
from bot.media.edits import (
    ASPECTS,
    MOOD_SHIFTS,
    ChangeVolume,
    Edit,
    NextTrack,
    PreviousTrack,
    RemoveTitle,
    SetAspect,
    SetDucking,
    SetFit,
    SetMaxHeight,
    SetMood,
    SetOriginalAudio,
    SetTargetSize,
    SetTitle,
    SetVolume,
    ShiftMood,
    StartMusic,
    describe_edit,
)
from bot.media.instructions import EDIT_TYPES, edit_from
from bot.platforms import DISCORD, TELEGRAM

EVERY_EDIT: list[Edit] = [
    NextTrack(),
    PreviousTrack(),
    *(ShiftMood(direction) for direction in MOOD_SHIFTS),
    SetMood(("piano", "calm")),
    ChangeVolume(-2),
    SetVolume(40),
    SetOriginalAudio(True),
    SetOriginalAudio(False),
    SetDucking(True),
    SetDucking(False),
    StartMusic(12.5),
    StartMusic(90.0),
    StartMusic(None, skip_intro=True),
    StartMusic(None),
    SetTitle("Day 1"),
    SetTitle("Day 1", 4.0),
    RemoveTitle(),
    *(SetAspect(aspect) for aspect in ASPECTS),
    SetFit("crop"),
    SetFit("blur"),
    SetMaxHeight(None),
    SetMaxHeight(720),
    SetTargetSize(None),
    SetTargetSize(8_000_000),
    SetTargetSize(TELEGRAM.upload_limit_bytes, TELEGRAM.name),
]


@pytest.mark.parametrize("edit", EVERY_EDIT, ids=repr)
def test_every_edit_is_worded_in_every_language(edit: Edit) -> None:
    words = {lang: describe_edit(edit, lang) for lang in LANGS}
    assert all(words.values())
    assert len(set(words.values())) == len(LANGS) or isinstance(edit, SetMaxHeight)


def test_english_wording_is_unchanged() -> None:
    assert describe_edit(StartMusic(12.5)) == "music starts at 12.5 s"
    assert describe_edit(StartMusic(12.5), "zh") == "音乐从 12.5 秒 开始"
    assert describe_edit(SetTargetSize(8_000_000)) == "under 8 MB"
    assert describe_edit(SetMood(("piano", "calm")), "zh") == "风格：piano, calm"


def test_every_edit_kind_is_built_from_a_parsed_item() -> None:
    assert {cls.kind for cls in EDIT_TYPES.values()} == set(EDIT_TYPES)
    assert edit_from(ParsedEdit("set_volume", {"pct": 30.0})) == SetVolume(30.0)
    assert edit_from(ParsedEdit("fit_platform", {"platform": "discord"})) == SetTargetSize(
        DISCORD.upload_limit_bytes, "Discord"
    )
