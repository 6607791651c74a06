"""File facts both chat adapters word the same way: sizes in MiB and extensions safe to put on disk."""

from __future__ import annotations

import re
from pathlib import Path

MIB = 1024 * 1024
"""Telegram's and Discord's "MB" is a mebibyte (Telegram's download limit is 20 × 1024 × 1024 bytes)."""
DEFAULT_SUFFIX: dict[str, str] = {"voice": ".ogg", "audio": ".mp3"}
"""What to call a download whose name says nothing, by ``MediaRef.kind`` (videos default to ``.mp4``)."""
_SUFFIX_RE = re.compile(r"\.[a-z0-9]{1,5}")


def mib_text(size_bytes: float) -> str:
    """Bytes as MiB, whole numbers unless small ("25", "1.5")."""
    mb = size_bytes / MIB
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.2g}"


def safe_suffix(name: str | None) -> str | None:
    """A plain file extension from a name we did not choose, or None (nothing else reaches the disk)."""
    if not name:
        return None
    suffix = Path(name).suffix.lower()
    return suffix if _SUFFIX_RE.fullmatch(suffix) else None
