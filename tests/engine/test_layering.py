"""The engine's boundaries: no media pipeline, no chat platform library, no sentences of its own."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import bot.engine

FORBIDDEN = ("bot.media", "telegram", "discord")
ENGINE_MODULES = sorted(info.name for info in pkgutil.iter_modules(bot.engine.__path__, "bot.engine."))


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(Path(bot.engine.__path__[0]).glob("*.py")), ids=lambda p: p.name)
def test_the_engine_imports_no_media_and_no_platform(path: Path) -> None:
    bad = [name for name in _imports(path) if name.split(".")[0] in FORBIDDEN or name.startswith(FORBIDDEN)]
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_every_engine_module_lists_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)) and all(hasattr(module, item) for item in exported), name
