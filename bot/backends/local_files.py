"""The local backend's session folder: where each thing is kept, how the user's items are copied into it,
what the last render was made from, and how long the steps are expected to take (for progress estimates)."""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.backends.base import Rendered
from bot.backends.renders import rendered_from_json
from bot.media.timeline import Timeline

__all__ = [
    "SessionPaths",
    "copy_items",
    "expected_analyse_s",
    "expected_render_s",
    "item_name",
    "move_item",
    "read_last",
    "shown_name",
]

logger = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_NAME_CHARS = 40


@dataclass(frozen=True)
class SessionPaths:
    """Where a session keeps each thing (see ``bot.backends.local``)."""

    root: Path

    @property
    def analysis(self) -> Path:
        return self.root / "analysis.pickle"

    @property
    def timeline(self) -> Path:
        return self.root / "timeline.json"

    @property
    def last(self) -> Path:
        return self.root / "last.json"

    @property
    def renders(self) -> Path:
        return self.root / "renders"

    @property
    def items(self) -> Path:
        return self.root / "items"

    @property
    def language(self) -> Path:
        return self.root / "language"

    def source(self) -> Path | None:
        found = sorted(self.root.glob("source.*"))
        return found[0] if found else None


def expected_analyse_s(source: Path) -> float:
    """Rough analysis time from the file size (measured ~0.1 s per MB on 2 cores, plus start-up)."""
    try:
        return 1.0 + source.stat().st_size / 10_000_000
    except OSError:
        return 5.0


def expected_render_s(timeline: Timeline) -> float:
    """Rough render time: ~0.07× the clip's length on the copy path, far more when the picture is re-encoded
    (always, for a film of several items)."""
    duration_s = max(1.0, timeline.duration_s)
    output = timeline.output
    plain = timeline.title is None and output.aspect is None and output.max_height is None
    copies_picture = plain and not timeline.is_montage
    return 1.0 + duration_s * (0.07 if copies_picture else 0.8)


def read_last(path: Path) -> tuple[str, Rendered, bool] | None:
    """What the last render was made from, the render, and whether it was fitted under an upload limit."""
    try:
        record = json.loads(path.read_text("utf-8"))
        return str(record["timeline"]), rendered_from_json(record["rendered"]), bool(record.get("fitted", False))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring an unreadable last-render record %s", path)
        return None


def item_name(index: int, original_name: str) -> str:
    """``03-beach.jpg``: the film position, then the user's file name made safe (letters, digits, ``._-``)."""
    original = Path(original_name)
    stem = _SAFE_NAME.sub("_", original.stem).strip("._")[:_NAME_CHARS] or "item"
    suffix = _SAFE_NAME.sub("", original.suffix.lower())[:10]
    return f"{index:02d}-{stem}{suffix}"


def shown_name(item: Path) -> str:
    """The name a copied item is called by in a reply: the user's file name as it was made safe."""
    return item.name.split("-", 1)[1] if "-" in item.name else item.name


def copy_items(media_paths: Sequence[Path], folder: Path) -> list[Path]:
    """Copy the items into ``folder`` in film order; a file that cannot be read is copied as empty, so the
    analysis names it as unusable like any other bad item."""
    folder.mkdir(parents=True, exist_ok=True)
    copies: list[Path] = []
    for index, path in enumerate(media_paths, start=1):
        target = folder / item_name(index, path.name)
        try:
            shutil.copyfile(path, target)
        except OSError:
            logger.info("montage item %d could not be copied", index)
            target.write_bytes(b"")
        copies.append(target)
    return copies


def move_item(source: Path, folder: Path, index: int, original_name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / item_name(index, original_name)
    source.replace(target)
    return target
