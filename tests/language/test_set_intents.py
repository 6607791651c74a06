"""The words for several items: one film or each separately, and an instruction aimed at one item of a batch."""

from __future__ import annotations

import pytest

from bot.language.intents import SetChoice, Targeted, set_choice, targeted_item


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("montage", SetChoice.FILM),
        ("a 60-second travel montage", SetChoice.FILM),
        ("one video please", SetChoice.FILM),
        ("combine them", SetChoice.FILM),
        ("合成一个视频", SetChoice.FILM),
        ("剪成一个", SetChoice.FILM),
        ("each", SetChoice.EACH),
        ("separately, calm", SetChoice.EACH),
        ("分别", SetChoice.EACH),
        ("一个一个来", SetChoice.EACH),
        ("calm", None),
        ('title "Each day"', None),
        (None, None),
    ],
)
def test_set_choice(text: str | None, choice: SetChoice | None) -> None:
    assert set_choice(text) == choice


@pytest.mark.parametrize(
    ("text", "targeted"),
    [
        ("the second one: calmer", Targeted(2, "calmer")),
        ("second: quieter", Targeted(2, "quieter")),
        ("#3 another track", Targeted(3, "another track")),
        ("video 3 — louder", Targeted(3, "louder")),
        ("the last one: louder", Targeted(-1, "louder")),
        ("第二个：更安静", Targeted(2, "更安静")),
        ("第3个 换一首", Targeted(3, "换一首")),
        ("最后一个 大声点", Targeted(-1, "大声点")),
        ("the second half quieter", None),  # an edit of the current video, not of item 2
        ("more energetic", None),
        ("the second one", None),  # nothing asked of it
    ],
)
def test_targeted_item(text: str, targeted: Targeted | None) -> None:
    assert targeted_item(text) == targeted
