"""A finished upload, served to its chat as if the file had been sent there.

The file enters the engine as an ``Incoming`` of the link's chat and user with a ``MediaRef`` naming it
(:func:`bot.web.files.upload_file_id`): the engine routes, collects, queues and runs it exactly as it does
a chat attachment (the same sniffing, probe, quotas and job path; the adapter's fetcher copies the file
in). The adapter serves it in the chat as it serves a message (``Engine.serve_in_chat``: a status message
kept up to date, the results, the delivery acknowledged); an adapter that offers no such way gets the
replies through its notifier: the first progress as a message, then the results and failures.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.engine.engine import Engine
from bot.engine.messages import Incoming, MediaKind, MediaRef, Progress, Text, new_error_id
from bot.language import say
from bot.web.files import upload_file_id
from bot.web.tokens import WebLink

__all__ = ["AUDIO_SUFFIXES", "serve_upload"]

logger = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".m4a", ".wav", ".ogg", ".flac", ".mp3", ".aac"})
"""What the sniffer calls audio: a song for the current clip, as an audio file sent in the chat is."""


async def serve_upload(engine: Engine, link: WebLink, path: Path) -> None:
    """Hand the uploaded file at ``path`` to the engine for ``link``'s chat; deliver what it says."""
    kind: MediaKind = "audio" if path.suffix in AUDIO_SUFFIXES else "video"
    media = MediaRef(
        kind=kind,
        file_id=upload_file_id(path),
        file_name=link.file_name,
        size_bytes=path.stat().st_size,
    )
    incoming = Incoming(
        link.platform, link.chat_id, link.user_id, text=link.caption or None, media=media, language=link.lang
    )
    progressed = False
    lang = link.lang
    try:
        if await engine.serve_in_chat(incoming):
            return
        async for reply in engine.handle(incoming):
            lang = reply.lang
            if isinstance(reply, Progress):
                if progressed:
                    continue
                progressed = True
                reply = Text(reply.text, lang=reply.lang)
            await engine.notify(link.platform, link.chat_id, reply)
    except Exception:
        error_id = new_error_id()
        logger.exception("serving an uploaded file failed (error %s)", error_id)
        try:
            apology = Text(say("adapters_apology", lang, error_id=error_id), lang=lang)
            await engine.notify(link.platform, link.chat_id, apology)
        except Exception:
            logger.warning("could not tell the chat about error %s", error_id)
