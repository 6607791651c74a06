"""Fixtures of the web tests: the adapter tests' own (a 2 s clip with one cut, PTB's timedelta mode)."""

from __future__ import annotations

from tests.adapters.conftest import _ptb_timedelta, clip

__all__ = ["_ptb_timedelta", "clip"]
