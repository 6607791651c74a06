"""Files past the chat platforms' limits: the engine's side of the upload page and the download links.

The web server (``bot.web``) lends the engine a :class:`LinkOffers` (``Engine.offer_links``); without one
nothing here runs and the engine behaves as it always has. With one:

- a job renders at **full quality** (no platform cap), and :func:`full_quality` looks at the result: one
  that fits the chat goes as it is; one that does not is kept for a download link, and the chat gets a
  platform-fitted preview (the backend's ``export`` under the limit, the same fitting as before) and the
  link; an export offers the link whatever the size ("export" / "导出");
- "upload" / "上传" / ``/upload`` with no file, and a file over the platform's download limit, are
  answered with an upload link (:func:`upload_sentence`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from bot.backends.base import Backend, BackendEvent, ExportOptions, Rendered, Said
from bot.errors import InputRejected
from bot.language import say
from bot.sessions import Job, SessionStore

__all__ = [
    "LinkOffers",
    "OfferedLink",
    "backend_session_of",
    "download_sentence",
    "full_quality",
    "mb_text",
    "upload_sentence",
]

logger = logging.getLogger(__name__)

_MIB = 1024 * 1024


@dataclass(frozen=True)
class OfferedLink:
    """A link made for one chat: where it is, how long it works, and (uploads) the largest file it takes."""

    url: str
    ttl_s: float
    limit_bytes: int | None = None


class LinkOffers(Protocol):
    """What the web server lends the engine. Both may raise ``InputRejected`` (too many links for a chat)."""

    async def upload_link(self, platform: str, chat_id: str, user_id: str, lang: str) -> OfferedLink:
        """A one-time upload page for this chat; what arrives through it is served as if sent in the chat."""
        ...

    async def download_link(self, platform: str, chat_id: str, user_id: str, lang: str, path: Path) -> OfferedLink:
        """A download link to a copy of ``path`` (the caller may delete its own file afterwards)."""
        ...


def _mib(size_bytes: float) -> str:
    mib = size_bytes / _MIB
    return f"{mib:.0f}" if mib >= 10 else f"{mib:.1f}"


def mb_text(size_bytes: float) -> str:
    """Bytes as decimal megabytes, as ``MUSICCOG_MAX_INPUT_MB`` counts them ("500", "0.05")."""
    mb = size_bytes / 1_000_000
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.2g}"


def _hours(ttl_s: float) -> str:
    return f"{ttl_s / 3600:.2g}"


def upload_sentence(link: OfferedLink, lang: str, refusal: InputRejected | None = None) -> str:
    """The upload link in words; after ``refusal`` (why the chat's own way failed) when there is one."""
    limit = mb_text(link.limit_bytes) if link.limit_bytes is not None else "?"
    values = {"url": link.url, "hours": _hours(link.ttl_s), "limit_mb": limit}
    if refusal is None:
        return say("web_upload_link", lang, **values)
    return say("web_upload_link_too_big", lang, reason=refusal.in_language(lang), **values)


def download_sentence(link: OfferedLink, lang: str, size_bytes: int) -> str:
    return say("web_full_quality", lang, url=link.url, hours=_hours(link.ttl_s), size_mb=_mib(size_bytes))


async def backend_session_of(store: SessionStore, session_id: str) -> str | None:
    """The backend session a chat session points at now (a batch moves it from item to item)."""
    session = await store.get_session(session_id)
    return session.backend_session_id if session is not None else None


async def full_quality(
    events: AsyncIterator[BackendEvent],
    offers: LinkOffers,
    backend: Backend,
    backend_id: Callable[[], Awaitable[str | None]],
    *,
    limit: int | None,
    job: Job,
    lang: str,
    export: bool,
) -> AsyncIterator[BackendEvent]:
    """The job's events with every full-quality result that is over ``limit`` replaced by a preview under it
    and followed by a download link (``Said``); an ``export`` is followed by its link whatever its size.
    ``backend_id()`` is the backend session that made the result (asked when one arrives: a batch makes
    each item in a session of its own)."""
    async for event in events:
        if not isinstance(event, Rendered):
            yield event
            continue
        size = (await asyncio.to_thread(event.path.stat)).st_size
        over = limit is not None and size > limit
        if not over and not export:
            yield event
            continue
        try:
            link = await offers.download_link(job.platform, job.chat_id, job.user_id, lang, event.path)
            sentence = download_sentence(link, lang, size)
        except InputRejected as refused:
            sentence = refused.in_language(lang)
        made_by = await backend_id() if over else None
        if made_by is None:
            yield event
            yield Said(sentence)
            continue
        logger.info("a %d-byte result is over the chat's %d-byte limit: a preview and a link", size, limit)
        async for preview in backend.export(made_by, ExportOptions(max_size_bytes=limit)):
            if isinstance(preview, Rendered):
                preview = replace(preview, notes=event.notes, notes_in=event.notes_in)
            yield preview
        yield Said(sentence)
