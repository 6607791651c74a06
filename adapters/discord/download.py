"""Discord attachments as the engine's media: a ``MediaRef`` from an attachment, and its download from the CDN.

Attachments above ``settings.max_input_bytes`` are refused from the size Discord announced, before any byte
is fetched; the download itself goes through :func:`bot.links.save_capped` (the one capped streaming
download), so a size that was missing or wrong is enforced on the bytes too. Links in a message are not
ours: :func:`adapters.files.fetch_media` sends them through ``bot.links``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import httpx

from adapters.files import DEFAULT_SUFFIX, mib_text, safe_suffix
from bot.config import Settings
from bot.engine.messages import MediaKind, MediaRef
from bot.errors import InputRejected
from bot.links import save_capped

__all__ = ["attachment_ref", "download_attachment", "too_big"]

logger = logging.getLogger(__name__)


def attachment_ref(attachment: discord.Attachment, *, chosen: bool = False) -> MediaRef | None:
    """An attachment as a ``MediaRef`` (``file_id`` = its CDN URL).

    Images (not GIFs, which may move) are photos; text files that merely travel with a message are not ours
    (None); an attachment given to a command (``chosen``) always is, so the pipeline's probe answers with
    its own clear sentence.
    """
    mime = (attachment.content_type or "").split(";")[0].strip().lower()
    kind: MediaKind
    if mime.startswith("video/"):
        kind = "video"
    elif mime.startswith("audio/"):
        kind = "voice" if attachment.is_voice_message() else "audio"
    elif mime.startswith("image/") and not mime.endswith("gif"):
        kind = "photo"
    elif mime.startswith("text/") and not chosen:
        return None
    else:
        kind = "document"
    return MediaRef(
        kind=kind,
        file_id=attachment.url,
        file_name=attachment.filename,
        mime_type=mime or None,
        size_bytes=attachment.size,
    )


def too_big(size_bytes: int | None, limit_bytes: int) -> InputRejected:
    """The refusal of a file over ``limit_bytes`` (its size when known)."""
    if size_bytes:
        return InputRejected("discord_file_too_big", size_mb=mib_text(size_bytes), limit_mb=mib_text(limit_bytes))
    return InputRejected("discord_file_too_big_unsized", limit_mb=mib_text(limit_bytes))


async def download_attachment(settings: Settings, media: MediaRef, folder: Path) -> Path:
    """An attachment from Discord's CDN into ``folder``, at most ``settings.max_input_bytes``."""
    limit = settings.max_input_bytes
    assert media.file_id is not None
    if media.size_bytes is not None and media.size_bytes > limit:
        raise too_big(media.size_bytes, limit)
    suffix = (
        safe_suffix(media.file_name)
        or safe_suffix(httpx.URL(media.file_id).path)
        or DEFAULT_SUFFIX.get(media.kind, ".mp4")
    )
    target = folder / f"input{suffix}"
    timeout = httpx.Timeout(settings.link_read_timeout_s, connect=settings.link_connect_timeout_s)
    try:
        async with (
            asyncio.timeout(settings.link_timeout_s),
            httpx.AsyncClient(timeout=timeout, follow_redirects=True, trust_env=False) as client,
            client.stream("GET", media.file_id) as response,
        ):
            if response.status_code != 200:
                logger.info("discord attachment answered HTTP %s", response.status_code)
                raise InputRejected("discord_download_failed")
            await save_capped(response, target, max_bytes=limit, too_big=lambda size: too_big(size, limit))
    except (httpx.HTTPError, TimeoutError) as exc:
        raise InputRejected("discord_download_failed") from exc
    return target
