"""The mood vocabulary: words in both languages map onto the five canonical moods and the styles."""

from __future__ import annotations

from bot.language.vocabulary import MOOD_COORDINATES, canonical_mood, parse_mood_words


def test_english_and_chinese_words_name_moods_and_styles() -> None:
    request = parse_mood_words("Make it lo-fi and 浪漫")
    assert request.moods == ("calm", "tender", "nostalgic")
    assert request.weights == (1.0, 1.0, 0.5)
    assert request.styles == ("electronic",)
    assert request.words == ("lo-fi", "浪漫")


def test_no_words_is_an_empty_request() -> None:
    assert parse_mood_words(None).empty and parse_mood_words("the video").empty


def test_canonical_moods() -> None:
    assert canonical_mood("Calm") == "calm"
    assert canonical_mood("romantic") == "tender"
    assert canonical_mood("polka") is None
    assert set(MOOD_COORDINATES) == {"calm", "nostalgic", "tender", "happy", "energetic"}
