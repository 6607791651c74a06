"""The one serving loop of every chat adapter: an event in, the engine's replies out onto a :class:`Surface`.

Why one loop: Telegram and Discord did the same four things each in their own words — pace the engine's
replies (:class:`~bot.engine.progress.ProgressPacer`), show progress as one status edited in place, show
everything else as messages, and on failure log once with an error id and apologise with that id. The
platforms differ only in *where* a reply goes, which is the :class:`Surface` an adapter hands in:

- ``progress(text)`` shows or updates the status (a platform hiccup there is swallowed by the surface: a
  missed status edit is no failure);
- ``show(reply)`` shows a text, an error or a video (its failures end the event with an apology);
- ``finish()`` tidies up once the event is over (the status message goes away); it never raises.

A surface whose status is a message (Telegram, a Discord reply) also names it (:class:`StatusNamed`), and the
loop tells the engine, so a restart after a crash removes the "Mixing… 50%" the dead process left. A job's
last reply carries a ``delivery_id``: the loop tells the engine whether the platform took it, and a refusal
(the platform's API down or slow) is retried by the engine from the job row instead of apologised for.

The adapter keeps what is truly its own: acknowledging at once (Telegram's ``answerCallbackQuery``,
Discord's ``defer``), typing indicators, and tracking its running events for shutdown.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol, runtime_checkable

from adapters.runtime import AdapterRuntime
from bot.engine.messages import Incoming, Progress, Reply, Text, new_error_id
from bot.language import say

__all__ = ["ChatGone", "StatusNamed", "Surface", "apology", "log_failure", "report_failure", "serve"]

logger = logging.getLogger(__name__)


class ChatGone(Exception):
    """Nothing can be delivered to this chat any more: the user blocked the bot, or the chat is gone.

    Surfaces turn their platform's way of saying so (Telegram 403 "bot was blocked by the user", "chat not
    found"; Discord 50007 "Cannot send messages to this user") into this; the serving loop then stops the
    chat's job quietly with one log line instead of apologising into the void."""


class Surface(Protocol):
    """Where one event's replies are shown (a Telegram chat, a Discord interaction, message or channel)."""

    async def progress(self, text: str) -> None:
        """Show ``text`` as the event's status, replacing the previous one; never raises for the platform."""

    async def show(self, reply: Reply) -> None:
        """Show one reply that is not progress (a progress given here is shown as a plain text)."""

    async def finish(self) -> None:
        """The event is over: remove what only made sense while it ran; never raises for the platform."""


@runtime_checkable
class StatusNamed(Protocol):
    """A surface whose status is a message it can name (the engine keeps the name with the job)."""

    @property
    def status_ref(self) -> str | None:
        """The status message as the adapter's ``clear_status`` will need it, or None while there is none."""


def apology(error_id: str, lang: str = "en") -> Text:
    """The one sentence a user reads when something failed on our side, with the id the log has too."""
    return Text(say("adapters_apology", lang, error_id=error_id), lang=lang)


def log_failure(exc: BaseException, *, platform: str) -> str:
    """Log ``exc`` with its trace under a new error id (the one a user may quote); return the id."""
    error_id = new_error_id()
    logger.error("%s event failed (error %s)", platform, error_id, exc_info=exc)
    return error_id


async def report_failure(surface: Surface, exc: BaseException, *, platform: str, lang: str = "en") -> None:
    """Log ``exc`` with its trace and a new error id, then tell the human one plain sentence with that id."""
    error_id = log_failure(exc, platform=platform)
    try:
        await surface.show(apology(error_id, lang))
    except Exception as undelivered:  # the platform itself is failing: the log line above is what is left
        logger.warning("%s: could not deliver the apology for error %s (%r)", platform, error_id, undelivered)


async def serve(runtime: AdapterRuntime, surface: Surface, incoming: Incoming) -> None:
    """Stream the engine's replies for ``incoming`` onto ``surface``: paced progress, then the results.

    Failures are reported here (logged with an id, apologised for in the language of the last reply); a
    chat that can no longer be reached (``ChatGone``) has its job stopped with one log line; cancellation
    (shutdown) passes through. The surface is finished in every case.
    """
    lang = "en"
    engine = runtime.engine
    replies = runtime.pacer.pace(incoming.chat_id, engine.handle(incoming))
    noted: str | None = None
    current: Reply | None = None
    try:
        async for reply in replies:
            lang, current = reply.lang, reply
            if isinstance(reply, Progress):
                await surface.progress(reply.text)
                ref = surface.status_ref if isinstance(surface, StatusNamed) else None
                if ref != noted:
                    noted = ref
                    await engine.note_status(incoming.platform, incoming.chat_id, ref)
                continue
            try:
                await surface.show(reply)
            except ChatGone:
                raise
            except Exception as exc:
                if getattr(reply, "delivery_id", None) is None:
                    raise
                logger.warning(  # the engine sends it again, from the job row: no apology into a failing API
                    "%s chat %s: the result was not delivered (%r); it will be sent again",
                    incoming.platform,
                    incoming.chat_id,
                    exc,
                )
                await engine.undelivered(reply)
                return
            await engine.delivered(reply)
    except ChatGone as gone:
        logger.info(
            "%s chat %s can no longer be reached (%s): its job is stopped", incoming.platform, incoming.chat_id, gone
        )
        if current is not None:
            await engine.unreachable(current)
        await engine.chat_gone(incoming.platform, incoming.chat_id)
    except Exception as exc:
        await report_failure(surface, exc, platform=incoming.platform, lang=lang)
    finally:
        runtime.pacer.forget(incoming.chat_id)
        await surface.finish()
        if noted is not None:
            with contextlib.suppress(Exception):  # the message is gone; forgetting it is tidiness
                await engine.status_removed(incoming.platform, incoming.chat_id, noted)
