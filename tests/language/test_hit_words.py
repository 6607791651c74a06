"""Words that pin the track's big moment ("drop at 20 s", "高潮在20秒"), never read as a film length."""

from __future__ import annotations

import pytest

from bot.language.instructions import ParsedEdit, read_message


@pytest.mark.parametrize(
    ("text", "at_s"),
    [
        ("drop at 20 s", 20.0),
        ("drop at 20", 20.0),
        ("put the drop at 0:21", 21.0),
        ("the chorus should land at 12s", 12.0),
        ("big moment at 8 seconds", 8.0),
        ("climax around 15 s", 15.0),
        ("高潮在20秒", 20.0),
        ("高潮放在第15秒", 15.0),
        ("让音乐的高潮落在视频的10秒", 10.0),
        ("副歌在 0:30", 30.0),
    ],
)
def test_a_pinned_moment_is_read_in_english_and_chinese(text: str, at_s: float) -> None:
    assert read_message(text).items == (ParsedEdit("set_hit", {"at_s": at_s}),)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("calm, drop at 4 s", ["set_mood", "set_hit"]),
        ("平静，高潮在4秒", ["set_mood", "set_hit"]),
        ("drop the third clip", ["drop_item"]),
        ("straight to the drop", ["start_music"]),
        ("30 s", ["set_length"]),
    ],
)
def test_the_pin_leaves_the_other_phrases_alone(text: str, kinds: list[str]) -> None:
    assert [item.kind for item in read_message(text).items if isinstance(item, ParsedEdit)] == kinds
