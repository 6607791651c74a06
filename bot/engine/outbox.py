"""A job's last reply kept in its row until its chat has it, and the courier that sends it again when not.

Why: the result of a job is its point. When the chat platform's API is down or slow just as a render
finishes (Telegram answering 502 for half a minute), the send fails; kept only in memory, the result was
lost for good. So the runner writes the last reply into the job's row (``job_deliveries``) *before* handing
it on:

- to a waiting adapter (``HANDED``): the serving loop then says whether the platform took it
  (:meth:`Courier.delivered`) or not (:meth:`Courier.undelivered`, which makes it ``PENDING``);
- to nobody (``PENDING``): the courier sends it through the platform's ``notify``.

The courier's loop sends every due ``PENDING`` reply; a failure waits ``delivery_retry_first_s``, then
twice as long each time up to ``delivery_retry_max_s``, and after ``delivery_max_tries`` the reply is
dropped with one log line. The schedule lives in the row, so a restart in the middle of an outage picks up
where the last process was. A reply is marked delivered only once the platform took it: exactly once, as
long as the process does not die between the platform's answer and the row's update.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.database import cancelling
from bot.engine.messages import Button, Error, Fact, Progress, Reply, Text, Video
from bot.engine.platform_links import PlatformLinks
from bot.sessions import Delivery, DeliveryState, JobState, SessionStore

__all__ = ["LEASE_S", "Courier", "FinalReply", "clear_stale_statuses", "reply_from_json", "reply_to_json"]

logger = logging.getLogger(__name__)

LEASE_S = 120.0
"""A due reply is claimed for this long while it is sent (its next try moved on): another process on the same
database does not send it too, and a process that dies mid-send leaves it to be tried again after this."""

FinalReply = Text | Video | Error
"""What can end a job: its result, a sentence, or a failure."""


def reply_to_json(reply: FinalReply) -> str:
    """The reply as JSON (its delivery id left out: the row it is kept in is that id)."""
    values: dict[str, Any] = {k: v for k, v in asdict(reply).items() if k != "delivery_id"}
    if isinstance(reply, Video):
        values["path"] = str(reply.path)
    return json.dumps({"type": type(reply).__name__, **values}, ensure_ascii=False)


def reply_from_json(text: str) -> FinalReply:
    """The reply :func:`reply_to_json` wrote; ``ValueError`` for anything else."""
    values = json.loads(text)
    kind = values.pop("type", None)
    values["buttons"] = tuple(Button(**button) for button in values.get("buttons", ()))
    if kind == "Text":
        return Text(**values)
    if kind == "Error":
        values.pop("buttons")
        return Error(**values)
    if kind == "Video":
        values["path"] = Path(values["path"])
        values["facts"] = tuple(Fact(**fact) for fact in values.get("facts", ()))
        return Video(**values)
    raise ValueError(f"not a kept reply: {kind!r}")


class Courier:
    """Keeps jobs' last replies in their rows and sends the undelivered ones again, with backoff."""

    def __init__(self, settings: Settings, store: SessionStore, links: PlatformLinks) -> None:
        self._settings = settings
        self._store = store
        self._links = links
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="musiccog-courier")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def keep(self, job_id: int, reply: FinalReply, *, handed: bool) -> FinalReply:
        """Write the job's last reply into its row; returned with its delivery id when handed to an adapter
        (which must then say whether it showed it), else the courier sends it."""
        state = DeliveryState.HANDED if handed else DeliveryState.PENDING
        await self._store.put_final_reply(job_id, reply_to_json(reply), state)
        if not handed:  # the first try at once, as a direct notify would; the loop does the retries
            for delivery in await self._store.claim_deliveries(lease_s=LEASE_S, job_id=job_id):
                await self._send(delivery)
        return replace(reply, delivery_id=job_id)

    async def hand_over(self, job_id: int, reply: Reply, *, listening: bool) -> Reply | None:
        """A job's last reply, kept (:meth:`keep`): returned (with its delivery id) for the waiting adapter,
        or None when nobody listens and the courier has taken it. Should the store fail, the reply is
        returned as it was, to go the direct way."""
        if isinstance(reply, Progress):
            return reply
        try:
            kept = await self.keep(job_id, reply, handed=listening)
        except Exception:
            logger.exception("could not keep job %d's last reply", job_id)
            return reply
        return kept if listening else None

    async def send_soon(self, job_id: int) -> None:
        """Nobody will show a reply that was handed on (its listener went away): the courier sends it."""
        await self._store.set_delivery(job_id, DeliveryState.PENDING, next_try_at=time.time())
        self._wake.set()

    async def gone(self, job_id: int) -> None:
        """The chat cannot be reached any more (the user blocked the bot): the reply is dropped."""
        await self._store.set_delivery(job_id, DeliveryState.DROPPED)

    async def delivered(self, job_id: int) -> None:
        """The platform took the job's last reply."""
        await self._store.set_delivery(job_id, DeliveryState.DELIVERED)

    async def undelivered(self, job_id: int) -> None:
        """The platform refused the job's last reply (its API down or slow): the courier tries again soon."""
        await self._store.set_delivery(
            job_id, DeliveryState.PENDING, next_try_at=time.time() + self._settings.delivery_retry_first_s
        )
        self._wake.set()

    async def send_due(self) -> None:
        """Send every reply whose next try is due (one pass; the loop calls it)."""
        for delivery in await self._store.claim_deliveries(lease_s=LEASE_S):
            await self._send(delivery)

    async def _loop(self) -> None:
        while True:
            try:
                await self.send_due()
                next_at = await self._store.next_delivery_at()
            except Exception:
                if cancelling():  # raised while being stopped: stop, don't go round
                    raise asyncio.CancelledError from None
                logger.exception("the courier failed; will try again")
                next_at = None
            if cancelling():  # close() asked, whatever swallowed it on the way
                raise asyncio.CancelledError
            wait_s = 5.0 if next_at is None else min(5.0, max(0.05, next_at - time.time()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)

    async def _send(self, delivery: Delivery) -> None:
        try:
            reply = reply_from_json(delivery.reply_json)
        except (ValueError, TypeError, KeyError):
            logger.error("job %d's kept reply cannot be read: dropped", delivery.job_id)
            await self._store.set_delivery(delivery.job_id, DeliveryState.DROPPED)
            return
        if isinstance(reply, Video) and not reply.path.exists():
            logger.warning("job %d's video is gone (a newer render replaced it): not sent again", delivery.job_id)
            await self._store.set_delivery(delivery.job_id, DeliveryState.DROPPED)
            return
        notify = self._links.get(delivery.platform).notify
        tries = delivery.tries + 1
        try:
            if notify is None:
                raise LookupError(f"no notifier for {delivery.platform} yet")
            await notify(delivery.platform, delivery.chat_id, reply)
        except asyncio.CancelledError:  # stopping mid-send: the next start tries again at once, not after the lease
            await asyncio.shield(
                self._store.set_delivery(
                    delivery.job_id, DeliveryState.PENDING, tries=delivery.tries, next_try_at=time.time()
                )
            )
            raise
        except Exception as exc:
            if tries >= self._settings.delivery_max_tries:
                logger.error(
                    "job %d's result could not be delivered after %d tries (%r): given up", delivery.job_id, tries, exc
                )
                await self._store.set_delivery(delivery.job_id, DeliveryState.DROPPED, tries=tries)
                return
            wait_s = min(self._settings.delivery_retry_max_s, self._settings.delivery_retry_first_s * 2 ** (tries - 1))
            logger.warning(
                "job %d's result not delivered (try %d: %r); next try in %.0f s", delivery.job_id, tries, exc, wait_s
            )
            await self._store.set_delivery(
                delivery.job_id, DeliveryState.PENDING, tries=tries, next_try_at=time.time() + wait_s
            )
            return
        logger.info("job %d's result delivered (try %d)", delivery.job_id, tries)
        await self._store.set_delivery(delivery.job_id, DeliveryState.DELIVERED, tries=tries)


async def clear_stale_statuses(store: SessionStore, links: PlatformLinks, recovered: frozenset[int]) -> None:
    """Remove the progress messages a dead process left in its chats ("Mixing… 50%") through their platform's
    ``clear_status``: those of the jobs this start ``recovered`` (requeued or given up) and of finished jobs.
    A status of a job still queued or running that was not recovered is left alone: on a shared database it
    is another live process's."""
    try:
        for status in await store.status_refs():
            if status.job_state not in (JobState.DONE, JobState.FAILED) and status.job_id not in recovered:
                continue
            clear = (await links.ready(status.platform)).clear_status
            if clear is not None:
                try:
                    await clear(status.chat_id, status.ref)
                    logger.info("removed job %d's status message left by the previous process", status.job_id)
                except Exception as exc:
                    logger.info("could not remove job %d's old status message (%r)", status.job_id, exc)
            await store.forget_status(status.job_id)
    except Exception:
        logger.exception("removing stale status messages failed")
