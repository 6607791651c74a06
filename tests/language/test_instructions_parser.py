"""The language side of the instruction parser: neutral items out, and the package stays a leaf."""

from __future__ import annotations

import ast
import pathlib

import pytest

import bot.language
from bot.language.instructions import ParsedEdit, Problem, read_message
from bot.language.instructions.numbers import cn_number

LANGUAGE_DIR = pathlib.Path(bot.language.__file__).parent


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("calmer and quieter", ["shift_mood", "change_volume"]),
        ("换一首，音量 30%", ["next_track", "set_volume"]),
        ("for discord", ["fit_platform"]),
        ("title 'Day 1' for 4s", ["set_title"]),
    ],
)
def test_messages_read_as_edit_kinds_in_the_order_written(text: str, kinds: list[str]) -> None:
    read = read_message(text)
    assert [item.kind for item in read.items if isinstance(item, ParsedEdit)] == kinds


def test_items_carry_their_values_as_data() -> None:
    (title,) = read_message("title 'Day 1' for 4s").items
    assert title == ParsedEdit("set_title", {"text": "Day 1", "duration_s": 4.0})
    (platform,) = read_message("发到discord").items
    assert platform == ParsedEdit("fit_platform", {"platform": "discord"})
    assert read_message("标题「」").items == (Problem("title_empty"),)


def test_language_is_read_outside_the_quotes() -> None:
    assert read_message("title 「第一天」").language == "en"
    assert read_message("小声点").language == "zh"


def test_chinese_numerals() -> None:
    assert [cn_number(text) for text in ("十二", "四十五", "一百二十", "两", "x")] == [12, 45, 120, 2, None]


def test_the_language_package_imports_nothing_else_from_the_project() -> None:
    outside: list[str] = []
    for path in LANGUAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            outside.extend(
                f"{path.name}: {name}"
                for name in names
                if name.split(".")[0] in ("bot", "adapters", "bench") and not name.startswith("bot.language")
            )
    assert outside == []
