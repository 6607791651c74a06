"""Backends: who makes the videos. The engine speaks only the :class:`Backend` protocol.

``LocalBackend`` (the embedded pipeline in worker processes) is imported from ``bot.backends.local``
so that importing the protocol does not pull in numpy, PyAV and librosa.
"""

from __future__ import annotations

from bot.backends.base import (
    Backend,
    BackendEvent,
    Credits,
    ExportOptions,
    LinkUploader,
    MontageMaker,
    NotUnderstood,
    Rendered,
    Said,
    SessionState,
    Stage,
    Warmable,
)

__all__ = [
    "Backend",
    "BackendEvent",
    "Credits",
    "ExportOptions",
    "LinkUploader",
    "MontageMaker",
    "NotUnderstood",
    "Rendered",
    "Said",
    "SessionState",
    "Stage",
    "Warmable",
]
