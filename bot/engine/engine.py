"""The engine as one object for adapters and the CLI: one ``Incoming`` in, an async stream of ``Reply`` out.

A thin facade over the parts, each with one job:

- :class:`~bot.engine.conversation.Conversation` answers and submits (routing, access, quotas);
- :class:`~bot.engine.sets.ChatSets` collects several clips and photos of a chat into one set (albums,
  multi-attachment messages, a few sent in a row) and makes one film or each separately
  (:mod:`bot.engine.collecting`, :mod:`bot.engine.set_jobs`);
- :class:`~bot.engine.runner.JobRunner` dispatches and runs jobs, delivers their replies, recovers after a
  restart and keeps house;
- :mod:`bot.engine.replies` words every reply (pure);
- :class:`~bot.engine.registry.BackendRegistry` and :class:`~bot.engine.platform_links.PlatformLinks` hold
  the backends and what each platform's adapter lends.

Anything that renders becomes a job row in SQLite and runs when a worker slot is free: one job per chat
(the store's unique index, surfaced as a "busy" reply), a global first-come queue whose place is told to
the user, and at most ``settings.worker_count`` jobs at once. Failures become ``Error(kind, text,
error_id)``: one plain sentence with a short id the operator can grep for; the stack trace goes to the
log with that id, never user content or tokens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, date, datetime
from types import TracebackType

from bot.backends.base import Backend
from bot.config import Settings
from bot.engine.big_files import LinkOffers
from bot.engine.conversation import Conversation
from bot.engine.jobs import MediaFetcher, Notifier
from bot.engine.messages import Incoming, Reply
from bot.engine.platform_links import ATTACH_WAIT_S, InChatServer, PlatformLink, PlatformLinks, StatusClearer
from bot.engine.registry import BackendRegistry
from bot.engine.replies import caption_for, result_facts
from bot.engine.runner import SONG_KINDS, STALE_FOLDER_S, JobRunner
from bot.errors import InputRejected
from bot.sessions import SessionStore

__all__ = ["ATTACH_WAIT_S", "SONG_KINDS", "STALE_FOLDER_S", "Engine", "caption_for", "result_facts"]


logger = logging.getLogger(__name__)


def _today() -> date:
    return datetime.now(UTC).date()


class Engine:
    """Routes chat events to the backend and streams replies; owns the job dispatcher.

    Use ``async with Engine(...) as engine`` (or ``await engine.start()`` / ``await engine.close()``);
    ``start`` recovers jobs a previous process left unfinished.
    """

    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        backend: Backend,
        *,
        make_backend: Callable[[str], Backend] | None = None,
        fetch_media: MediaFetcher | None = None,
        notify: Notifier | None = None,
        bot_username: str | None = None,
        today: Callable[[], date] = _today,
        upload_limits: Mapping[str, int] | None = None,
    ) -> None:
        """``backend`` serves new chats; a chat that chose another (``/backend nemo``, when the operator allows
        it) gets one from ``make_backend(name)``, made once and closed by :meth:`close`.
        ``fetch_media``/``notify``/``bot_username`` serve every platform that did not :meth:`attach` its
        own. ``upload_limits``: the largest file each platform accepts (``{"telegram": 50 MB}``); every
        delivered render is fitted under it (a copy that fits is kept, otherwise re-encoded to fit)."""
        self._store = store
        self._backends = BackendRegistry(backend, make_backend)
        self._platforms = PlatformLinks(PlatformLink(fetch_media, notify, None, bot_username), upload_limits)
        self._runner = JobRunner(settings, store, self._backends, self._platforms, today=today)
        self._conversation = Conversation(settings, store, self._backends, self._platforms, self._runner, today=today)

    def attach(
        self,
        platform: str,
        *,
        fetch_media: MediaFetcher,
        notify: Notifier | None = None,
        upload_limit: int | None = None,
        bot_username: str | None = None,
        clear_status: StatusClearer | None = None,
        serve_in_chat: InChatServer | None = None,
    ) -> None:
        """Let one adapter serve ``platform`` through this engine: how its files are fetched, how replies
        nobody waits for reach its chats, its upload limit and the bot's @name there, and how a progress
        message a dead process left is removed, and how an event that came another way (the upload page) is
        served in its chat. One engine (one dispatcher, one worker pool) serves every platform of the process."""
        link = PlatformLink(fetch_media, notify, upload_limit, bot_username, clear_status, serve_in_chat)
        self._platforms.attach(platform, link)
        self._runner.wake()  # on a shared database, this platform's queued jobs are ours to run from now on

    def offer_links(self, offers: LinkOffers | None) -> None:
        """Turn the upload page and download links on (``bot.web``) or off (``None``): see ``big_files``."""
        self._runner.offers = offers
        self._conversation.offers = offers

    @property
    def offers_links(self) -> bool:
        """Whether the upload page and download links are on."""
        return self._runner.offers is not None

    async def too_big(self, incoming: Incoming, refusal: InputRejected) -> Reply:
        """A file the platform will not hand over (``refusal`` says why): that, in the chat's language, and
        an upload link when the upload page is on."""
        return await self._conversation.too_big(incoming, refusal)

    async def serve_in_chat(self, incoming: Incoming) -> bool:
        """Serve ``incoming`` (it came another way: the upload page) in its chat through its adapter, status
        message and all; False when the platform's adapter offers no such way (use :meth:`notify`)."""
        serve = self._platforms.get(incoming.platform).serve_in_chat
        if serve is None:
            return False
        await serve(incoming)
        return True

    async def notify(self, platform: str, chat_id: str, reply: Reply) -> None:
        """Deliver ``reply`` to a chat nobody is serving now, through its platform's notifier (or the log)."""
        notify = self._platforms.get(platform).notify
        if notify is None:
            logger.warning("no notifier for %s; dropped a %s", platform, type(reply).__name__)
            return
        await notify(platform, chat_id, reply)

    async def handle(self, incoming: Incoming) -> AsyncIterator[Reply]:
        """Every reply to one user event, in order; job events stream as the job runs."""
        await self.start()
        async for reply in self._conversation.handle(incoming):
            yield reply

    async def start(self) -> None:
        """Recover unfinished jobs (requeue or tell their users) and sets being collected, and start
        dispatching. Idempotent."""
        if self._runner.dispatcher is None:
            await self._runner.start()
            await self._conversation.resume_collecting()

    async def close(self) -> None:
        """Stop dispatching and cancel running jobs (they stay ``running`` and are requeued on restart);
        close the backends this engine made (the one it was given belongs to the caller)."""
        await self._conversation.close()
        await self._runner.close()
        await self._backends.close()

    async def chat_gone(self, platform: str, chat_id: str) -> None:
        """The chat can no longer be reached (the user blocked the bot, the chat was deleted): stop its job
        quietly and free its slot; nothing is sent there any more."""
        await self._runner.cancel(platform, chat_id)

    # ----- what the serving loop reports (faults15) ----------------------------------------------------------

    async def note_status(self, platform: str, chat_id: str, ref: str | None) -> None:
        """The chat's progress message is now ``ref`` (for its newest job), so a restart can remove it if
        this process dies first."""
        await self._store.note_status(platform, chat_id, ref)

    async def status_removed(self, platform: str, chat_id: str, ref: str) -> None:
        """The progress message ``ref`` was removed by its adapter: nothing is left to remove after a crash."""
        await self._store.status_removed(platform, chat_id, ref)

    async def delivered(self, reply: Reply) -> None:
        """The platform took a job's last reply (one with a ``delivery_id``)."""
        delivery_id = getattr(reply, "delivery_id", None)
        if delivery_id is not None:
            await self._runner.courier.delivered(delivery_id)

    async def undelivered(self, reply: Reply) -> None:
        """The platform refused a job's last reply (its API down or slow): it is sent again, with backoff."""
        delivery_id = getattr(reply, "delivery_id", None)
        if delivery_id is not None:
            await self._runner.courier.undelivered(delivery_id)

    async def unreachable(self, reply: Reply) -> None:
        """A job's last reply cannot reach its chat (blocked, deleted): it is not sent again."""
        delivery_id = getattr(reply, "delivery_id", None)
        if delivery_id is not None:
            await self._runner.courier.gone(delivery_id)

    async def housekeeping(self) -> None:
        """Delete sessions retired long ago (rows, and what their backends keep) and stray job folders."""
        await self._runner.housekeeping()

    async def drain(self, *, poll_s: float = 0.05) -> None:
        """Wait until no job is queued or running (tests, graceful shutdown)."""
        await self._runner.drain(poll_s=poll_s)

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ----- what tests observe (the names they have always used) --------------------------------------------

    @property
    def _running(self) -> dict[int, asyncio.Task[None]]:
        return self._runner.running

    @property
    def _dispatcher(self) -> asyncio.Task[None] | None:
        return self._runner.dispatcher

    @property
    def _links(self) -> dict[str, PlatformLink]:
        return self._platforms.by_platform
