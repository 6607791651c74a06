"""The pick's reason is values until someone reads it: worded in English or Chinese from the same values."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.language.reasons import PickReason, honest_sentence, peak_sentence, word_reason
from bot.language.vocabulary import MOOD_COORDINATES

LIBRARY_MOODS = tuple(sorted(MOOD_COORDINATES))

PICK = PickReason(
    title="Quiet Morning",
    bpm=92.4,
    key="C",
    mode="major",
    moods=("calm", "tender"),
    request_words=("calm", "warm"),
    cuts_on_beat=3,
    cuts_total=4,
)


def test_a_pick_is_worded_in_english_as_it_always_was() -> None:
    assert word_reason(PICK, "en") == (
        '"Quiet Morning" is calm and tender (92 BPM, C major), matching your request for calm, warm; '
        "3 of 4 cuts land on its beats."
    )


def test_the_same_values_read_in_chinese() -> None:
    text = word_reason(PICK, "zh")
    assert text.startswith("《Quiet Morning》风格平静又温柔（92 BPM，C 大调）")
    assert "4 个剪辑点中有 3 个" in text
    assert not any(word in text for word in ("matching", "major", "cuts", "calm and"))


def test_the_clip_speaks_when_no_words_did() -> None:
    looked = PickReason(title="T", bpm=120.0, key="A", mode="minor", moods=("energetic",), clip_pace="fast",
                        clip_motion="lots", clip_colours="bright")  # fmt: skip
    assert "suiting the clip's fast cuts, lots of motion and bright, colourful pictures" in word_reason(looked, "en")
    assert "快速剪辑、大量运动和明亮多彩的画面" in word_reason(looked, "zh")
    assert "A 小调" in word_reason(looked, "zh") and "A minor" in word_reason(looked, "en")


def test_honest_words_and_the_big_moment_follow_the_pick() -> None:
    epic = PickReason(title="Run", bpm=150.0, key="Bb", mode="major", moods=("energetic",),
                      request_words=("epic", "cinematic"), unmatched_words=("epic", "cinematic"),
                      used_moods=("energetic", "nostalgic"), library_moods=LIBRARY_MOODS,
                      hit_at_s=21.2, track_peak_s=64.0)  # fmt: skip
    english = word_reason(epic, "en")
    assert english.endswith(
        "No epic, cinematic tracks here — I used energetic and nostalgic ones instead. "
        "Moods I have: calm, energetic, happy, nostalgic, tender. "
        "The track's big moment (1:04 into it) lands at 0:21, where the action peaks."
    )
    chinese = word_reason(epic, "zh")
    assert "这里没有“epic，cinematic”风格的曲子 — 我改用了动感又怀旧的。" in chinese
    assert "我有的情绪：平静，动感，欢快，怀旧，温柔。" in chinese
    assert chinese.endswith("这首曲子的高潮（第 1:04）落在视频的 0:21，正是画面最精彩的地方。")
    assert " 这" not in chinese, "Chinese sentences follow each other without a space"


def test_a_pinned_moment_says_it_was_asked_for() -> None:
    pinned = replace(PICK, hit_at_s=20.0, track_peak_s=48.0, hit_pinned=True)
    assert word_reason(pinned, "en").endswith("The track's big moment (0:48 into it) lands at 0:20, as you asked.")
    assert word_reason(pinned, "zh").endswith("这首曲子的高潮（第 0:48）按你的要求落在视频的 0:20。")


def test_words_nothing_stood_in_for_say_the_clip_chose() -> None:
    unknown = PickReason(title="", bpm=0.0, unmatched_words=("qwerty",), library_moods=("calm",))
    assert honest_sentence(unknown, "en") == "I don't know “qwerty” as a mood, so the clip chose. Moods I have: calm."
    assert honest_sentence(unknown, "zh").startswith("我不认识“qwerty”")
    assert honest_sentence(PICK, "en") == "" and peak_sentence(None, 3.0) == ""


@pytest.mark.parametrize("cuts", [0, 2])
def test_a_users_song_says_it_is_theirs_and_no_cuts_is_not_zero_of_zero(cuts: int) -> None:
    song = PickReason(title="my_song", bpm=100.0, own_song=True, cuts_on_beat=min(cuts, 1), cuts_total=cuts)
    english = word_reason(song, "en")
    assert english.startswith('"my_song" is the song you chose (100 BPM)')
    assert ("0 of 0" in english) is False and ("1 of 2 cuts" in english) is bool(cuts)
    assert word_reason(song, "zh").startswith("“my_song”是你选的歌（100 BPM）")


def test_values_survive_json() -> None:
    with_peak = replace(PICK, hit_at_s=4.0, track_peak_s=17.2)
    data = json.loads(json.dumps(with_peak.to_dict()))
    assert PickReason.from_dict(data) == with_peak
    with pytest.raises(TypeError):
        PickReason.from_dict({**data, "surprise": 1})
