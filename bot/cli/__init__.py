"""The ``musiccog`` command line (console script ``bot.cli:main``)."""

from __future__ import annotations

from bot.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
