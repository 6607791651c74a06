"""The phrase tables: every language has the same keys with the same placeholders, and errors word themselves."""

from __future__ import annotations

import pickle
import string

import pytest

from bot.errors import BackendRefused, InputRejected
from bot.language import LANGS, say
from bot.language.phrases import TABLES


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_table_has_the_english_keys_with_the_same_placeholders(lang: str) -> None:
    english, other = TABLES["en"], TABLES[lang]
    assert sorted(set(english) - set(other)) == [], f"{lang} lacks phrases"
    assert sorted(set(other) - set(english)) == [], f"{lang} has phrases English lacks"
    for key, template in english.items():
        assert _fields(other[key]) == _fields(template), f"{lang}:{key} placeholders differ"


def test_say_words_in_the_language_and_falls_back_to_english() -> None:
    assert say("send_video_first", "zh") != say("send_video_first", "en")
    assert say("send_video_first", "fr") == say("send_video_first", "en")
    with pytest.raises(KeyError):
        say("no such phrase")


def test_errors_word_themselves_and_survive_a_process_boundary() -> None:
    error = InputRejected("send_video_first")
    assert error.reason == str(error) == say("send_video_first")
    assert error.in_language("zh") == say("send_video_first", "zh")
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, InputRejected) and again.in_language("zh") == error.in_language("zh")
    refused = pickle.loads(pickle.dumps(BackendRefused("send_video_first")))
    assert isinstance(refused, BackendRefused) and refused.key == "send_video_first"


def test_a_phrase_value_is_worded_where_it_is_read_with_its_nested_values_in_the_same_language() -> None:
    from bot.language import Phrase

    change = Phrase.of("edit_change_volume", gain="−3")
    note = Phrase.of("note_volume", change=change, pct=71)
    assert note.worded("en") == say("note_volume", "en", change=say("edit_change_volume", "en", gain="−3"), pct=71)
    assert note.worded("zh") == say("note_volume", "zh", change=say("edit_change_volume", "zh", gain="−3"), pct=71)
    assert note.worded("en") != note.worded("zh")
