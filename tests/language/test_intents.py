"""The words side of intents: the text classifier, the reply language, and the /start and /help texts.

The engine's routing of buttons and attachments is tested in ``tests/engine/test_routing.py``.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import bot.language.intents as intents
from bot.language.intents import (
    Classified,
    Intent,
    asks_for_song,
    choose_language,
    classify_text,
    detect_language,
    help_text,
    normalise_language,
    start_text,
)


@pytest.mark.parametrize(
    ("text", "language"),
    [("make it calm", "en"), ("换一首", "zh"), ("lo-fi 一点", "zh"), ("123 !!", None), (None, None), ("", None)],
)
def test_detect_language(text: str | None, language: str | None) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("chosen", "text", "hint", "language"),
    [
        ("en", "换一首", "zh-hans", "en"),
        (None, "换一首", "en", "zh"),
        (None, "lo-fi", "zh-CN", "zh"),
        (None, "calm", "en-US", "en"),
        (None, "calm", "de", "en"),
        (None, None, None, "en"),
    ],
)
def test_choose_language(chosen: str | None, text: str | None, hint: str | None, language: str) -> None:
    assert choose_language(chosen, text, hint) == language


def test_start_and_help_texts() -> None:
    assert "privacy" in start_text("en").lower() and "/new" in start_text("en")
    assert "隐私" in start_text("zh") and "/new" in start_text("zh")
    assert help_text("en").startswith(start_text("en")) and "another track" in help_text("en")
    assert help_text("zh").startswith(start_text("zh")) and "换一首" in help_text("zh")


def test_a_link_is_classified_as_an_upload_of_that_url() -> None:
    found = classify_text("upbeat travel vibe https://example.com/clip.mp4.")
    assert found == Classified(Intent.UPLOAD, text="upbeat travel vibe", url="https://example.com/clip.mp4")


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh-hans", "zh"),
        ("zh_CN", "zh"),
        ("en-US", "en"),
        ("中文", "zh"),
        ("English", "en"),
        ("de", None),
        (None, None),
    ],
)
def test_normalise_language(code: str | None, language: str | None) -> None:
    assert normalise_language(code) == language


@pytest.mark.parametrize(
    ("caption", "wanted"),
    [("use this song", True), ("as background music", True), ("用这首歌", True), ("calm", False), (None, False)],
)
def test_asks_for_song(caption: str | None, wanted: bool) -> None:
    assert asks_for_song(caption) is wanted


def test_the_language_package_stays_a_leaf() -> None:
    """Nothing under bot.language imports the rest of the project (``bot.errors`` imports it)."""
    for path in Path(inspect.getfile(intents)).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            outside = [name for name in names if name.startswith("bot.") and not name.startswith("bot.language")]
            assert outside == [], f"{path.name} imports {outside}"


def test_exported_members_match_all() -> None:
    defined = {
        name
        for name, value in vars(intents).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == intents.__name__
    }
    assert defined | {"COMMANDS"} == set(intents.__all__)
