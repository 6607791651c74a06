"""Files as both chat adapters handle them: sizes in MiB, extensions safe to put on disk, and the one way
media is fetched for the engine (links through ``bot.links``, platform files through the platform)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.config import Settings
from bot.engine.messages import MediaRef
from bot.links import fetch_url
from bot.web.files import is_web_upload, take_upload

__all__ = ["DEFAULT_SUFFIX", "MIB", "PlatformDownload", "fetch_media", "mib_text", "safe_suffix"]

MIB = 1024 * 1024
"""Telegram's and Discord's "MB" is a mebibyte (Telegram's download limit is 20 × 1024 × 1024 bytes)."""
DEFAULT_SUFFIX: dict[str, str] = {"voice": ".ogg", "audio": ".mp3", "photo": ".jpg"}
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


PlatformDownload = Callable[[MediaRef, Path], Awaitable[Path]]
"""How one platform turns its own file reference (a Telegram file id, a Discord CDN URL) into a file."""


async def fetch_media(
    media: MediaRef, folder: Path, *, settings: Settings, platform_download: PlatformDownload
) -> Path:
    """What every adapter hands the engine to fetch media: a link through :func:`bot.links.fetch_url` (the SSRF
    guard, capped at ``settings.max_input_bytes``), a file from the upload page from its folder, anything
    else through the platform's own download."""
    if media.url is not None:
        return await fetch_url(media.url, folder, max_bytes=settings.max_input_bytes, settings=settings)
    if is_web_upload(media):  # it came through the upload page (bot.web): already on this machine
        return await take_upload(media, folder, settings)
    return await platform_download(media, folder)
