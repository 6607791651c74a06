"""What both backends do with finished renders: keep a record of the last one, and prune old files."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from bot.backends.base import Rendered
from bot.language.reasons import PickReason

__all__ = ["RENDERS_KEPT", "prune_renders", "rendered_from_json", "rendered_to_json"]

RENDERS_KEPT = 2
"""The render just made and the one before (it may still be uploading to a chat)."""


def rendered_to_json(rendered: Rendered) -> dict[str, Any]:
    """A JSON-safe dict of ``rendered`` (path as text; an unknown loudness, NaN, as null)."""
    data = dataclasses.asdict(rendered)
    data["path"] = str(rendered.path)
    data["why"] = None if rendered.why is None else rendered.why.to_dict()
    if not math.isfinite(rendered.loudness_lufs):
        data["loudness_lufs"] = None
    return data


def rendered_from_json(data: dict[str, Any]) -> Rendered:
    """The inverse of :func:`rendered_to_json`; raises ``KeyError``/``TypeError`` on a damaged record (a record
    written before reasons were kept as values has no ``why``: its ``reason`` sentence is shown)."""
    values = dict(data)
    values["path"] = Path(values["path"])
    why = values.get("why")
    values["why"] = PickReason.from_dict(why) if why is not None else None
    if values.get("loudness_lufs") is None:
        values["loudness_lufs"] = float("nan")
    return Rendered(**values)


def prune_renders(folder: Path, newest: Path) -> None:
    """Delete all but the newest ``RENDERS_KEPT`` MP4s in ``folder`` (never ``newest``)."""
    renders = sorted(folder.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
    keep = {newest, *renders[:RENDERS_KEPT]}
    for path in renders:
        if path not in keep:
            path.unlink(missing_ok=True)
