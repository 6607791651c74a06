"""Every phrase key the code names exists, and is given exactly the values its English template asks for.

A typo in a key would otherwise reach the user as the key itself (``_Worded`` still takes a non-key as a
literal sentence while the last raises are converted), so the raises are read from the source.
"""

from __future__ import annotations

import ast
import pathlib
import re
import string

import pytest

import bot
from bot.language import has_phrase
from bot.language.phrases import TABLES

ROOT = pathlib.Path(bot.__file__).parent.parent
SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "adapters").rglob("*.py")])
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_WORDED = {"InputRejected", "BackendRefused", "say", "Phrase", "text_reply"}
"""Calls whose first argument is a phrase key; ``Phrase.of(key, ...)`` too (a phrase kept as a value)."""


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def _keyed_calls() -> list[tuple[str, str, set[str] | None]]:
    """(where, key, keyword names or None when ``**values`` is passed) for every literal-key call."""
    calls: list[tuple[str, str, set[str] | None]] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "of" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                name = func.value.id  # Phrase.of(key, **values)
            first = node.args[0]
            if name not in _WORDED or not isinstance(first, ast.Constant) or not isinstance(first.value, str):
                continue
            if not _KEY.match(first.value):
                continue  # a literal sentence (transitional) or a computed key
            keywords = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords if k.arg}
            calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", first.value, keywords))
    return calls


CALLS = _keyed_calls()


def test_the_scan_finds_the_raises() -> None:
    assert any(key == "not_a_video" for _, key, _ in CALLS)


@pytest.mark.parametrize(("where", "key", "keywords"), CALLS, ids=[where for where, _, _ in CALLS])
def test_every_named_key_exists_with_its_values(where: str, key: str, keywords: set[str] | None) -> None:
    assert has_phrase(key), f"{where}: no phrase {key!r}"
    if keywords is not None:
        assert keywords == _fields(TABLES["en"][key]), f"{where}: values differ from the template's"


def test_the_scan_finds_phrases_kept_as_values() -> None:
    assert any(key == "note_volume" and where.startswith("bot/media/edits.py") for where, key, _ in CALLS)
