"""Telegram files as the engine's media: a ``MediaRef`` from a message, and its download through ``getFile``.

The public Bot API lets a bot download ≤ 20 MB (a local ``--local`` server: 2000 MB): an oversize file is
refused from the size Telegram announced, before ``getFile``, and ``getFile``'s own "file is too big" is
turned into the same sentence. Links are not ours: :func:`adapters.files.fetch_media` sends them through
``bot.links``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram import Animation, Audio, Document, Message, PhotoSize, Voice
from telegram import Video as TgVideo
from telegram.error import BadRequest
from telegram.ext import ExtBot

from adapters.files import DEFAULT_SUFFIX, MIB, mib_text, safe_suffix
from bot.config import Settings
from bot.engine.messages import MediaKind, MediaRef
from bot.errors import PlatformFileTooBig

__all__ = ["download_file", "media_ref", "too_big"]


def media_ref(message: Message) -> MediaRef | None:
    """The file a message carries (video, photo, animation, audio, voice or document), or None.

    A photo sent as a photo is its largest size; one sent as a file (an image document) is a photo too."""
    kind: MediaKind
    item: TgVideo | Animation | Audio | Voice | Document | PhotoSize
    if message.video is not None:
        kind, item = "video", message.video
    elif message.animation is not None:  # before document: animations arrive as both
        kind, item = "animation", message.animation
    elif message.audio is not None:
        kind, item = "audio", message.audio
    elif message.voice is not None:
        kind, item = "voice", message.voice
    elif message.photo:
        kind, item = "photo", max(message.photo, key=lambda size: size.width * size.height)
    elif message.document is not None:
        mime = message.document.mime_type or ""
        if mime.startswith("audio/"):
            kind = "audio"
        elif mime.startswith("image/") and mime != "image/gif":
            kind = "photo"
        else:
            kind = "document"
        item = message.document
    else:
        return None
    return MediaRef(
        kind=kind,
        file_id=item.file_id,
        file_name=getattr(item, "file_name", None),
        mime_type=getattr(item, "mime_type", None),
        size_bytes=item.file_size,
    )


def too_big(size_bytes: int | None, settings: Settings) -> PlatformFileTooBig:
    """The refusal of a file over Telegram's download limit (its size when known; the way out depends on
    whether a local Bot API server already lifted the limit)."""
    key = "telegram_file_too_big" + ("_local" if settings.telegram_local_mode else "")
    limit_mb = settings.telegram_download_limit_bytes // MIB
    if size_bytes:
        return PlatformFileTooBig(key, size_mb=mib_text(size_bytes), limit_mb=limit_mb)
    return PlatformFileTooBig(key + "_unsized", limit_mb=limit_mb)


async def download_file(bot: ExtBot[Any], settings: Settings, media: MediaRef, folder: Path) -> Path:
    """A Telegram file (``media.file_id``) into ``folder`` through ``getFile``."""
    assert media.file_id is not None
    if media.size_bytes is not None and media.size_bytes > settings.telegram_download_limit_bytes:
        raise too_big(media.size_bytes, settings)
    try:
        file = await bot.get_file(media.file_id)
    except BadRequest as exc:
        if "too big" in exc.message.casefold():
            raise too_big(media.size_bytes, settings) from exc
        raise
    suffix = safe_suffix(file.file_path) or safe_suffix(media.file_name) or DEFAULT_SUFFIX.get(media.kind, ".mp4")
    return Path(await file.download_to_drive(custom_path=folder / f"input{suffix}"))
