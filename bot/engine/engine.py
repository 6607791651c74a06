"""The conversation engine: one ``Incoming`` in, an async stream of ``Reply`` events out.

Quick answers (help, status, credits, language, /new, /cancel) are made on the spot. Anything that
renders (an upload, an edit, an export) becomes a job row in SQLite and runs when a worker slot is
free: one job per chat (the store's unique index, surfaced as a "busy" reply), a global first-come
queue whose place is told to the user, and at most ``settings.worker_count`` jobs at once (the backend's
process pool does the CPU work). The caller of :meth:`Engine.handle` receives its job's events
through a per-chat channel; a job nobody listens to any more (the caller went away, or the job was
recovered after a restart) reports through the ``notify`` callback instead, so no result and no
failure is silently lost.

Failures become ``Error(kind, text, error_id)``: one plain sentence with a short id the operator can
grep for; the stack trace goes to the log with that id, never user content or tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType

from bot.backends.base import (
    Backend,
    BackendEvent,
    ExportOptions,
    LinkUploader,
    NotUnderstood,
    Rendered,
    Said,
    Stage,
)
from bot.config import Settings
from bot.engine.intents import Intent, Lang, Routed, asks_for_song, choose_language, help_text, route
from bot.engine.jobs import RENDER_KINDS, JobKind, JobPayload, MediaFetcher, Notifier, RateLimiter
from bot.engine.messages import (
    Button,
    Error,
    ErrorKind,
    Fact,
    Incoming,
    Progress,
    Reply,
    Text,
    Video,
    new_error_id,
    result_buttons,
)
from bot.errors import BackendRefused, BackendUnavailable, InputRejected, LibraryError, RenderFailed
from bot.links import check_public_url
from bot.media.timeline import label_from_path
from bot.sessions import CANCELLED, ChatBusy, Job, SessionStore

logger = logging.getLogger(__name__)

_END = None
"""Channel sentinel: the job has no more events."""
_RESTARTING = (
    "The bot is restarting — I'll send your video as soon as it's back. / 机器人正在重启，恢复后会发送你的视频。"
)
"""Told to every chat still waiting when the engine closes; their jobs finish after the restart."""
ATTACH_WAIT_S = 60.0
"""How long a recovered job waits for its platform's adapter to attach before it is given up."""

_STAGE_TEXT: dict[str, tuple[str, str]] = {
    "download": ("Got it — fetching your clip…", "收到 — 正在获取视频…"),
    "analyse": ("Got it — analysing your clip…", "收到 — 正在分析视频…"),
    "match": ("Choosing the music…", "正在挑选音乐…"),
    "render": ("Mixing and rendering…", "正在混音和渲染…"),
    "export": ("Preparing your file…", "正在准备文件…"),
    "upload": ("Uploading your clip to NemoVideo…", "正在把视频上传到 NemoVideo…"),
    "agent": ("NemoVideo is working on your video…", "NemoVideo 正在处理你的视频…"),
}


def _t(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def _today() -> date:
    return datetime.now(UTC).date()


def result_facts(rendered: Rendered, lang: str = "en") -> tuple[Fact, ...]:
    """Tempo, cuts on beat and loudness, leaving out what the backend does not know (a cloud backend gives
    no tempo, cuts or loudness)."""
    facts = []
    if rendered.bpm > 0:
        facts.append(Fact("BPM", f"{rendered.bpm:.0f}", f"{rendered.bpm:.0f} BPM"))
        cuts = (
            _t(
                lang,
                f"{rendered.cuts_on_beat} of {rendered.cuts_total} cuts on the beat",
                f"{rendered.cuts_total} 个剪辑点中 {rendered.cuts_on_beat} 个踩在节拍上",
            )
            if rendered.cuts_total
            else _t(lang, "no cuts to sync", "没有需要对齐的剪辑点")
        )
        facts.append(Fact(_t(lang, "Cuts on beat", "踩点"), cuts))
    if math.isfinite(rendered.loudness_lufs):
        facts.append(Fact(_t(lang, "Loudness", "响度"), f"{rendered.loudness_lufs:.1f} LUFS"))
    return tuple(facts)


def caption_for(rendered: Rendered, lang: str = "en") -> str:
    """The result caption: what just changed, the track, why it fits, then its facts on one line."""
    facts = " · ".join(fact.text for fact in result_facts(rendered, lang))
    lines = [rendered.notes, f"🎵 {rendered.track_title}", rendered.reason, facts]
    return "\n".join(line for line in lines if line)[:1000]


SONG_KINDS = frozenset({"audio", "voice"})
"""Media that replace the music of the current clip ("use this song") instead of starting a new one."""


def _song_title(file_name: str | None) -> str | None:
    """A display title from the song's file name ("my_song.mp3" → "my song"), if there is one."""
    if not file_name:
        return None
    return label_from_path(file_name) or None


@dataclass(frozen=True)
class _PlatformLink:
    """What one adapter lends the engine (see :meth:`Engine.attach`)."""

    fetch_media: MediaFetcher | None
    notify: Notifier | None
    upload_limit: int | None
    bot_username: str | None


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
        self._settings = settings
        self._store = store
        self._backend = backend
        self._backends: dict[str, Backend] = {backend.name: backend}
        self._make_backend = make_backend
        self._made_backends: list[Backend] = []
        self._default_link = _PlatformLink(fetch_media, notify, None, bot_username)
        self._links: dict[str, _PlatformLink] = {
            platform: _PlatformLink(fetch_media, notify, limit, bot_username)
            for platform, limit in (upload_limits or {}).items()
        }
        self._attached: dict[str, asyncio.Event] = {}
        for platform in self._links:
            self._attached.setdefault(platform, asyncio.Event()).set()
        self._today = today
        self._workers = max(1, settings.worker_count)
        self._limiter = RateLimiter(settings.rate_limit_jobs, settings.rate_limit_window_s)
        self._channels: dict[tuple[str, str], asyncio.Queue[tuple[Reply, bool] | None]] = {}
        self._cancel_requested: set[int] = set()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._housekeeper: asyncio.Task[None] | None = None
        self._workdirs: set[Path] = set()

    def attach(
        self,
        platform: str,
        *,
        fetch_media: MediaFetcher,
        notify: Notifier | None = None,
        upload_limit: int | None = None,
        bot_username: str | None = None,
    ) -> None:
        """Let one adapter serve ``platform`` through this engine: how its files are fetched, how replies
        nobody waits for reach its chats, its upload limit and the bot's @name there. One engine (one
        dispatcher, one worker pool) serves every platform of the process."""
        self._links[platform] = _PlatformLink(fetch_media, notify, upload_limit, bot_username)
        self._attached.setdefault(platform, asyncio.Event()).set()

    def _link(self, platform: str) -> _PlatformLink:
        return self._links.get(platform, self._default_link)

    async def _ready_link(self, platform: str) -> _PlatformLink:
        """The platform's link once its adapter has attached: a job recovered at start-up may run before
        the adapter of its platform is up (``musiccog run`` starts several); it waits a while for it."""
        link = self._link(platform)
        if link.fetch_media is not None:
            return link
        event = self._attached.setdefault(platform, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), ATTACH_WAIT_S)
        return self._link(platform)

    # ----- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover unfinished jobs (requeue or tell their users) and start dispatching. Idempotent."""
        if self._dispatcher is not None:
            return
        self._settings.job_temp_dir.mkdir(parents=True, exist_ok=True)
        recovery = await self._store.recover_interrupted()
        for job in recovery.failed:
            lang = _payload_lang(job)
            error_id = new_error_id()
            logger.warning("job %d gave up after a restart (error %s)", job.id, error_id)
            text = _t(
                lang,
                f"Sorry — the bot restarted while making your video and could not finish it. "
                f"Please send it again. (error {error_id})",
                f"抱歉 — 处理你的视频时机器人重启了，未能完成。请重新发送。（错误 {error_id}）",
            )
            await self._deliver(job, Error("internal", text, error_id))
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="musiccog-dispatcher")
        self._housekeeper = asyncio.create_task(self._housekeeping_loop(), name="musiccog-housekeeping")
        self._wake.set()

    async def close(self) -> None:
        """Stop dispatching and cancel running jobs (they stay ``running`` and are requeued on restart);
        close the backends this engine made (the one it was given belongs to the caller)."""
        for task in (self._dispatcher, self._housekeeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._dispatcher = self._housekeeper = None
        for channel in list(self._channels.values()):
            # the job stays in the database and is finished after the restart (through ``notify``)
            channel.put_nowait((Text(_RESTARTING), True))
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        made, self._made_backends = self._made_backends, []
        for backend in made:
            self._backends.pop(backend.name, None)
            with contextlib.suppress(Exception):
                await backend.close()

    def _backend_named(self, name: str) -> Backend:
        """The backend a session was made with; made on first use if the operator allows that name."""
        backend = self._backends.get(name)
        if backend is not None:
            return backend
        if self._make_backend is None:
            raise BackendUnavailable(f"backend {name!r} is not available in this process")
        backend = self._make_backend(name)
        self._backends[name] = backend
        self._made_backends.append(backend)
        return backend

    async def housekeeping(self) -> None:
        """Delete sessions retired long ago (rows, and what their backends keep) and stray job folders."""
        retention_s = self._settings.session_retention_days * 86_400
        result = await self._store.cleanup(older_than_s=retention_s)
        for backend_name, backend_session_id in result.backend_sessions:
            try:
                await self._backend_named(backend_name).discard(backend_session_id)
            except Exception:
                logger.warning("could not discard a %s session", backend_name, exc_info=True)
        await asyncio.to_thread(_remove_stale_folders, self._settings.job_temp_dir, set(self._workdirs))

    async def _housekeeping_loop(self) -> None:
        while True:
            try:
                await self.housekeeping()
            except Exception:
                logger.exception("housekeeping failed; will try again")
            await asyncio.sleep(max(60.0, self._settings.cleanup_interval_s))

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def drain(self, *, poll_s: float = 0.05) -> None:
        """Wait until no job is queued or running (tests, graceful shutdown)."""
        while self._running or await self._store.queued_count():
            self._wake.set()
            await asyncio.sleep(poll_s)

    # ----- the conversation --------------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> AsyncIterator[Reply]:
        """Every reply to one user event, in order; job events stream as the job runs."""
        await self.start()
        routed = route(incoming, bot_username=self._link(incoming.platform).bot_username)
        session = await self._store.current_session(incoming.platform, incoming.chat_id)
        lang = choose_language(session.language if session else None, incoming.text, incoming.language)
        denied = self._access_denied(incoming, lang)
        if denied is not None:
            yield denied
            return
        try:
            if routed.intent in (Intent.UPLOAD, Intent.EDIT, Intent.EXPORT):
                async for reply in self._submit(incoming, routed, lang):
                    yield reply
            else:
                yield await self._answer(incoming, routed, lang)
        except Exception as exc:  # an adapter must always get a sentence, never a traceback
            yield self._error_for(exc, lang, what=f"handling a {routed.intent.value} message")

    async def _answer(self, incoming: Incoming, routed: Routed, lang: Lang) -> Reply:
        """Replies that need no job."""
        platform, chat = incoming.platform, incoming.chat_id
        intent = routed.intent
        if intent is Intent.HELP:
            return Text(help_text(lang))
        if intent is Intent.NEW:
            current = await self._store.current_session(platform, chat)
            await self._store.new_session(platform, chat, current.backend if current else self._backend.name)
            return Text(_t(lang, "Fresh start: send me a new video.", "重新开始：发给我一段新视频吧。"))
        if intent is Intent.LANGUAGE:
            if routed.argument not in ("en", "zh"):
                return Text(
                    _t(lang, "Which language? /language en or /language zh", "哪种语言？/language en 或 /language zh")
                )
            session = await self._store.get_or_create_session(platform, chat, self._backend.name)
            await self._store.update_session(session.id, language=routed.argument)
            return Text(_t(routed.argument, "OK, I'll answer in English.", "好的，我会用中文回复。"))
        if intent is Intent.CANCEL:
            return await self._cancel(incoming, lang)
        if intent is Intent.BACKEND:
            return await self._switch_backend(incoming, routed.argument, lang)
        if intent is Intent.STATUS:
            timeline = None
            current = await self._store.current_session(platform, chat)
            if current is not None and current.backend_session_id:
                timeline = await self._backend_named(current.backend).state(current.backend_session_id)
            if timeline is None:
                return Text(_t(lang, "No video yet: send me a clip to start.", "还没有视频：先发给我一段视频吧。"))
            return Text(timeline.summary())
        if intent is Intent.CREDITS:
            return Text(await self._credits_text(incoming, lang))
        if intent is Intent.UNKNOWN_COMMAND:
            return Text(
                _t(lang, f"I don't know /{routed.argument}. Try /help.", f"我不认识 /{routed.argument}。试试 /help。")
            )
        return Text(
            _t(
                lang,
                "That button belongs to an older message. Send your video again or tell me what to change.",
                "这个按钮来自旧消息。请重新发送视频，或直接告诉我要怎么改。",
            )
        )

    async def _switch_backend(self, incoming: Incoming, name: str | None, lang: str) -> Reply:
        """``/backend local|nemo``: a fresh session on that backend, if the operator allows choosing."""
        from bot.backends.factory import BACKEND_NAMES

        platform, chat = incoming.platform, incoming.chat_id
        current = await self._store.current_session(platform, chat)
        in_use = current.backend if current else self._backend.name
        if not (self._settings.allow_backend_choice or self._is_admin(platform, incoming.user_id)):
            return Text(_t(lang, f"This bot uses the {in_use} backend.", f"这个机器人使用 {in_use} 后端。"))
        if name not in BACKEND_NAMES:
            return Text(
                _t(
                    lang,
                    f"You're on the {in_use} backend. Choose one: /backend local or /backend nemo.",
                    f"当前使用 {in_use} 后端。可选：/backend local 或 /backend nemo。",
                )
            )
        try:
            self._backend_named(name)
        except BackendUnavailable:
            return Text(_t(lang, f"The {name} backend is not available here.", f"这里无法使用 {name} 后端。"))
        await self._store.new_session(platform, chat, name)
        if name == "nemo":
            return Text(
                _t(
                    lang,
                    "Switched to NemoVideo, a third-party cloud service: the clips you send from now on are "
                    "uploaded to it. Send a video to start; /backend local switches back.",
                    "已切换到 NemoVideo（第三方云服务）：之后发送的视频会上传到该服务。发送视频开始；"
                    "/backend local 可切回。",
                )
            )
        return Text(
            _t(
                lang,
                "Switched to the local backend: your clips stay on this server. Send a video to start.",
                "已切换到本地后端：视频只在本服务器处理。发送视频开始。",
            )
        )

    async def _cancel(self, incoming: Incoming, lang: str) -> Reply:
        job = await self._store.cancel_queued(incoming.platform, incoming.chat_id)
        if job is not None:
            logger.info("job %d cancelled while queued", job.id)
            channel = self._channels.get((job.platform, job.chat_id))
            if channel is not None:
                channel.put_nowait(_END)
            return Text(_t(lang, "Cancelled.", "已取消。"))
        active = await self._store.active_job(incoming.platform, incoming.chat_id)
        task = self._running.get(active.id) if active is not None else None
        if active is not None and task is not None:
            self._cancel_requested.add(active.id)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(asyncio.wait({task}))
            return Text(_t(lang, "Cancelled — I stopped making that video.", "已取消 — 已停止制作这个视频。"))
        if active is not None:
            return Text(
                _t(
                    lang,
                    "Your video is about to start; try /cancel again in a moment.",
                    "视频即将开始处理；请稍后再试 /cancel。",
                )
            )
        return Text(_t(lang, "There is nothing to cancel.", "没有可以取消的任务。"))

    def _is_admin(self, platform: str, user_id: str) -> bool:
        admins = self._settings.admin_ids
        return user_id in admins or f"{platform}:{user_id}" in admins

    async def _renders_left(self, platform: str, user_id: str) -> int | None:
        """Renders the user may still make today; None for unlimited."""
        limit = self._settings.daily_renders
        if limit <= 0 or self._is_admin(platform, user_id):
            return None
        used = await self._store.count_renders(platform, user_id, self._today())
        return max(0, limit - used)

    async def _credits_text(self, incoming: Incoming, lang: str) -> str:
        session = await self._store.current_session(incoming.platform, incoming.chat_id)
        if session is not None and session.backend_session_id:
            credits = await self._backend_named(session.backend).credits(session.backend_session_id)
            if credits is not None:
                return _t(lang, f"Credits left: {credits.remaining}.", f"剩余积分：{credits.remaining}。")
        left = await self._renders_left(incoming.platform, incoming.user_id)
        if left is None:
            return _t(lang, "You have unlimited renders.", "你的渲染次数不限。")
        limit = self._settings.daily_renders
        return _t(
            lang,
            f"You have {left} of {limit} renders left today.",
            f"今天还剩 {left}/{limit} 次渲染。",
        )

    def _access_denied(self, incoming: Incoming, lang: str) -> Error | None:
        """The allow-lists: when set, only listed users/chats are served (admins always are)."""
        users, chats = self._settings.allowed_user_ids, self._settings.allowed_chat_ids
        platform = incoming.platform
        if self._is_admin(platform, incoming.user_id):
            return None
        user_ok = not users or incoming.user_id in users or f"{platform}:{incoming.user_id}" in users
        chat_ok = not chats or incoming.chat_id in chats or f"{platform}:{incoming.chat_id}" in chats
        if user_ok and chat_ok:
            return None
        logger.info("refused a %s user not on the allow-list", platform)
        return Error(
            "quota",
            _t(
                lang, "Sorry, this bot is private and not open to you here.", "抱歉，这个机器人是私有的，这里无法使用。"
            ),
            new_error_id(),
        )

    # ----- jobs: submitting --------------------------------------------------------------------------

    async def _submit(self, incoming: Incoming, routed: Routed, lang: Lang) -> AsyncIterator[Reply]:
        platform, chat, user = incoming.platform, incoming.chat_id, incoming.user_id
        kind = JobKind(routed.intent.value)
        if kind is JobKind.UPLOAD and routed.media is None:
            yield Text(
                _t(
                    lang,
                    "Send the video itself (or a link to it) and I'll get to work.",
                    "直接发送视频（或视频链接），我就开始处理。",
                )
            )
            return
        key = (platform, chat)
        if key in self._channels:  # before "send a video first": the first upload may still be opening
            yield self._busy(lang)
            return
        session = await self._store.current_session(platform, chat)
        if kind is not JobKind.UPLOAD and (session is None or not session.backend_session_id):
            yield Text(
                _t(lang, "Send me a video first, then tell me how to change it.", "先发给我一段视频，再告诉我怎么改。")
            )
            return
        if kind in RENDER_KINDS:
            left = await self._renders_left(platform, user)
            if left == 0:
                yield Error(
                    "quota",
                    _t(
                        lang,
                        f"You've used all {self._settings.daily_renders} renders for today. Come back tomorrow!",
                        f"你今天的 {self._settings.daily_renders} 次渲染已用完，明天再来吧！",
                    ),
                    new_error_id(),
                )
                return
        if not self._is_admin(platform, user):
            wait_s = self._limiter.retry_after(f"{platform}:{user}")
            if wait_s > 0:
                yield Error(
                    "quota",
                    _t(lang, f"One moment — please try again in {wait_s:.0f} s.", f"请稍等 — {wait_s:.0f} 秒后再试。"),
                    new_error_id(),
                )
                return
        if session is None:
            session = await self._store.new_session(platform, chat, self._backend.name)
        payload = JobPayload(
            kind=kind, text=routed.text, media=routed.media, lang=lang, upload_limit=incoming.upload_limit
        )
        channel: asyncio.Queue[tuple[Reply, bool] | None] = asyncio.Queue()
        self._channels[key] = channel
        try:
            try:
                job = await self._store.enqueue(session.id, user, kind.value, payload.to_json())
            except ChatBusy:
                yield self._busy(lang)
                return
            position = await self._store.queue_position(job.id)
            free = self._workers - len(self._running)
            if position is not None and position > free:
                place = position - max(0, free)
                yield Text(
                    _t(
                        lang,
                        f"You're #{place} in line — I'll start on your video soon.",
                        f"你排在第 {place} 位 — 很快就轮到你的视频。",
                    )
                )
            self._wake.set()
            while (item := await channel.get()) is not _END:
                reply, last = item
                if last and self._channels.get(key) is channel:
                    del self._channels[key]  # the chat is free before the user sees the result
                yield reply
                if last:
                    break
        finally:
            if self._channels.get(key) is channel:
                del self._channels[key]

    def _busy(self, lang: str) -> Error:
        return Error(
            "busy",
            _t(
                lang,
                "I'm still working on your previous request — one moment, or /cancel it.",
                "我还在处理你上一个请求 — 请稍等，或用 /cancel 取消。",
            ),
            new_error_id(),
        )

    # ----- jobs: running -----------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        """Start queued jobs, oldest first, whenever a worker slot is free."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while len(self._running) < self._workers:
                job = await self._store.claim_next()
                if job is None:
                    break
                task = asyncio.create_task(self._run_job(job), name=f"musiccog-job-{job.id}")
                self._running[job.id] = task
                task.add_done_callback(functools.partial(self._job_done, job.id))

    def _job_done(self, job_id: int, _task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._wake.set()

    async def _run_job(self, job: Job) -> None:
        """Run one claimed job to done, failed or cancelled; its scratch folder goes whatever happens.

        The job's last reply is held back until its row is finished and the chat released, so a user who
        answers the result at once is never told "still working on your previous request"."""
        workdir = Path(tempfile.mkdtemp(prefix=f"job{job.id}-", dir=self._settings.job_temp_dir))
        self._workdirs.add(workdir)
        lang = _payload_lang(job)
        held: Reply | None = None
        try:
            payload = JobPayload.from_json(job.payload_json)
            result: dict[str, object] = {}
            async for event in self._job_events(job, payload, workdir):
                reply = await self._reply_for(job, payload, event, result)
                if held is not None:
                    await self._deliver(job, held)
                    held = None
                if isinstance(reply, Progress):
                    await self._deliver(job, reply)
                else:
                    held = reply
            await self._store.complete_job(job.id, json.dumps(result, ensure_ascii=False))
        except asyncio.CancelledError:
            if job.id not in self._cancel_requested:
                raise  # shutting down: the row stays running and is requeued by the next start
            held = None
            logger.info("job %d cancelled while running", job.id)
            with contextlib.suppress(Exception):
                await self._store.fail_job(job.id, CANCELLED)
        except Exception as exc:
            held = self._error_for(exc, lang, what=f"job {job.id} ({job.kind})")
            with contextlib.suppress(Exception):
                await self._store.fail_job(job.id, held.error_id)
        finally:
            self._cancel_requested.discard(job.id)
            await asyncio.to_thread(shutil.rmtree, workdir, True)
            self._workdirs.discard(workdir)
            if held is not None:
                await self._deliver(job, held, last=True)
            channel = self._channels.get((job.platform, job.chat_id))
            if channel is not None:
                channel.put_nowait(_END)

    async def _job_events(self, job: Job, payload: JobPayload, workdir: Path) -> AsyncIterator[BackendEvent]:
        session = await self._store.get_session(job.session_id)
        if session is None:
            raise InputRejected("That conversation was cleared; please send your video again.")
        backend_id = session.backend_session_id
        backend = self._backend_named(session.backend)
        link = await self._ready_link(job.platform)
        limit = payload.upload_limit or link.upload_limit
        if payload.kind is JobKind.UPLOAD:
            assert payload.media is not None
            is_song = payload.media.kind in SONG_KINDS
            # the backend's state is asked only when the answer matters (a cloud backend pays a request)
            wants_song = is_song or asks_for_song(payload.text)
            has_clip = wants_song and backend_id is not None and await backend.state(backend_id) is not None
            as_song = is_song or has_clip
            if payload.media.url is not None and isinstance(backend, LinkUploader) and not as_song:
                url = await check_public_url(payload.media.url, self._settings)  # never hand over a private address
                backend_id = await self._open_backend_session(backend, session.id, backend_id, job, payload)
                events = backend.upload_link(backend_id, url, prompt=payload.text or None, max_output_bytes=limit)
            else:
                yield Stage("download", 0.0)
                if link.fetch_media is None:
                    raise BackendUnavailable(f"no media fetcher for {job.platform}")
                media_path = await link.fetch_media(payload.media, workdir)
                if as_song:
                    if backend_id is None or not has_clip:
                        raise InputRejected(
                            "Send me the video first; then send this song and I'll put it under the video."
                        )
                    title = _song_title(payload.media.file_name)
                    events = backend.use_song(backend_id, media_path, title=title, max_output_bytes=limit)
                else:
                    backend_id = await self._open_backend_session(backend, session.id, backend_id, job, payload)
                    events = backend.upload(backend_id, media_path, prompt=payload.text or None, max_output_bytes=limit)
        elif backend_id is None:
            raise InputRejected("Send me a video first, then tell me how to change it.")
        elif payload.kind is JobKind.EDIT:
            events = backend.instruct(backend_id, payload.text, max_output_bytes=limit)
        else:
            events = backend.export(backend_id, ExportOptions(max_size_bytes=limit))
        async for event in events:
            yield event
        if payload.kind in RENDER_KINDS:
            timeline = await backend.state(backend_id)
            await self._store.update_session(session.id, timeline_json=timeline.to_json() if timeline else None)

    async def _open_backend_session(
        self, backend: Backend, session_id: str, backend_id: str | None, job: Job, payload: JobPayload
    ) -> str:
        """The chat's backend session, opened (and remembered in the session row) on its first upload."""
        if backend_id:
            return backend_id
        backend_id = await backend.open_session(platform=job.platform, language=payload.lang)
        await self._store.update_session(session_id, backend_session_id=backend_id)
        return backend_id

    async def _reply_for(self, job: Job, payload: JobPayload, event: BackendEvent, result: dict[str, object]) -> Reply:
        lang = payload.lang
        if isinstance(event, Stage):
            en, zh = _STAGE_TEXT.get(event.stage, (event.stage, event.stage))
            fraction = min(1.0, max(0.0, event.fraction))
            return Progress(event.stage, fraction, f"{_t(lang, en, zh)} {round(fraction * 100)}%")
        if isinstance(event, NotUnderstood):
            result["understood"] = False
            return Text(event.reply)
        if isinstance(event, Said):
            return Text(event.text)
        result["track"] = event.track_title
        if payload.kind is JobKind.EXPORT:
            final = _t(lang, "Your final video", "最终视频")
            caption = f"{final} — 🎵 {event.track_title}"
            description = final
            facts: tuple[Fact, ...] = ()
            buttons: tuple[Button, ...] = ()
        else:
            await self._store.record_render(job.platform, job.user_id, self._today())
            caption = caption_for(event, lang)
            description = "\n".join(line for line in (event.notes, event.reason) if line)
            facts = result_facts(event, lang)
            buttons = result_buttons(lang, original_muted=event.original_muted)
        return Video(
            path=event.path,
            caption=caption,
            buttons=buttons,
            width=event.width,
            height=event.height,
            duration_s=event.duration_s,
            title=event.track_title,
            description=description,
            facts=facts,
        )

    async def _deliver(self, job: Job, reply: Reply, *, last: bool = False) -> None:
        """To the waiting ``handle`` call if there is one, else through ``notify`` (or the log)."""
        channel = self._channels.get((job.platform, job.chat_id))
        if channel is not None:
            channel.put_nowait((reply, last))
            return
        if isinstance(reply, Progress):
            return  # nobody is watching a status message: only results and failures are worth a message
        notify = (await self._ready_link(job.platform)).notify
        if notify is None:
            logger.warning("no listener and no notifier for job %d; dropped a %s", job.id, type(reply).__name__)
            return
        try:
            await notify(job.platform, job.chat_id, reply)
        except Exception:
            logger.exception("notifier failed for job %d", job.id)

    def _error_for(self, exc: Exception, lang: str, *, what: str) -> Error:
        """A user-facing sentence for ``exc``; the trace is logged once with the same short id."""
        error_id = new_error_id()
        kind: ErrorKind
        if isinstance(exc, InputRejected):
            kind, text = "input", exc.reason
            logger.info("%s rejected the input (error %s): %s", what, error_id, exc.reason)
        elif isinstance(exc, BackendRefused):
            kind, text = "quota", exc.reason
            logger.info("%s was refused by the backend (error %s)", what, error_id)
        else:
            if isinstance(exc, LibraryError | BackendUnavailable):
                kind = "backend"
                text = _t(
                    lang,
                    "The music service is not available right now; please try again later.",
                    "音乐服务暂时不可用，请稍后再试。",
                )
            elif isinstance(exc, RenderFailed):
                kind = "render"
                text = _t(
                    lang,
                    "I couldn't finish your video this time; please try again.",
                    "这次没能完成你的视频，请再试一次。",
                )
            else:
                kind = "internal"
                text = _t(lang, "Something went wrong on my side; please try again.", "我这边出了点问题，请再试一次。")
            logger.error("%s failed (error %s)", what, error_id, exc_info=exc)
        return Error(kind, f"{text} {_t(lang, f'(error {error_id})', f'（错误 {error_id}）')}", error_id)


STALE_FOLDER_S = 6 * 3600.0
"""A job folder this old that no running job owns was left by a crashed process."""


def _remove_stale_folders(root: Path, in_use: set[Path]) -> None:
    now = time.time()
    for path in root.glob("job*-*"):
        with contextlib.suppress(OSError):
            if path.is_dir() and path not in in_use and now - path.stat().st_mtime > STALE_FOLDER_S:
                shutil.rmtree(path, ignore_errors=True)


def _payload_lang(job: Job) -> str:
    try:
        return JobPayload.from_json(job.payload_json).lang
    except ValueError:
        return "en"
