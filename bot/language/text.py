"""Pure text helpers for user-supplied words: cleaning them to keep as data, labels from file names, and
seconds written for replies.

They live in the language package (not in ``bot.media.timeline``, where they started) because the engine
and the backends word replies with them too, and neither may import the media pipeline.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath

__all__ = ["MAX_LABEL_CHARS", "clean_text", "format_seconds", "label_from_path"]

MAX_LABEL_CHARS = 80
"""The longest label made from a file name (a timeline's video label, a song's title)."""


def clean_text(text: str, max_chars: int) -> str:
    """User text made safe to keep as data: control/format characters gone, whitespace collapsed, length capped.

    CJK and emoji are kept (zero-width joiners too, or emoji sequences would break apart).
    """
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and ch not in "\u200d\ufe0f"):
            continue
        else:
            kept.append(ch)
    collapsed = re.sub(r"\s+", " ", "".join(kept)).strip()
    return collapsed[:max_chars].rstrip()


def label_from_path(path: str) -> str:
    """A human label from a file name: ``city_timelapse.mp4`` -> ``city timelapse``."""
    stem = PurePath(path.replace("\\", "/")).stem
    label = clean_text(re.sub(r"[_\-.]+", " ", stem), MAX_LABEL_CHARS)
    return label or "video"


def format_seconds(value: float) -> str:
    """Compact seconds for replies: 10 -> ``10``, 2.5 -> ``2.5``, 3.333 -> ``3.33`` (unit added by the caller)."""
    if abs(value - round(value)) < 1e-6:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
