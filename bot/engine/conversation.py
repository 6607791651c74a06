"""The conversation: one ``Incoming`` in, the replies to it out, in the chat's language.

Quick answers (help, status, credits, language, /new, /cancel, /backend) are made on the spot. Anything
that renders (an upload, an edit, an export) is checked (one job per chat, the daily render quota, the
per-user rate limit) and submitted as a job row; the replies of that job then stream back from the
:class:`~bot.engine.runner.JobRunner`, with the user's place in the queue first if they have to wait.

Clips and photos go to :class:`~bot.engine.sets.ChatSets` first: several sent together (an album, a
multi-attachment message, a few in a row) are one set, made into one film or each separately; one alone
is an upload as it always was, once the chat has been quiet for ``settings.collect_quiet_s``.

The reply language is chosen once per event (:func:`bot.language.intents.choose_language`: the chat's
``/language`` choice, else Chinese text, else the platform's locale) and carried by every reply.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import date

from bot.backends.factory import BACKEND_NAMES
from bot.config import Settings
from bot.engine.big_files import LinkOffers, upload_sentence
from bot.engine.jobs import RENDER_KINDS, JobKind, JobPayload, RateLimiter
from bot.engine.messages import Error, Incoming, Progress, Reply, Text, new_error_id
from bot.engine.platform_links import PlatformLinks
from bot.engine.registry import BackendRegistry
from bot.engine.replies import busy_reply, error_reply, failure_reply, text_reply
from bot.engine.routing import Routed, route
from bot.engine.runner import SONG_KINDS, JobRunner
from bot.engine.sets import ChatSets
from bot.errors import BackendUnavailable, InputRejected
from bot.language import Lang, say
from bot.language.intents import Intent, SetChoice, asks_for_song, choose_language, help_text, set_choice
from bot.sessions import ChatBusy, Session, SessionStore

__all__ = ["Conversation"]

logger = logging.getLogger(__name__)

_JOB_INTENTS = frozenset({Intent.UPLOAD, Intent.EDIT, Intent.EXPORT})
_CANCEL_PHRASES = {
    "queued": "engine_cancelled_queued",
    "running": "engine_cancelled_running",
    "starting": "engine_cancel_too_early",
    "nothing": "engine_nothing_to_cancel",
}


class Conversation:
    """Answers chat events and submits their jobs; the access rules and quotas live here too."""

    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        backends: BackendRegistry,
        links: PlatformLinks,
        runner: JobRunner,
        *,
        today: Callable[[], date],
    ) -> None:
        self._settings = settings
        self._store = store
        self._backends = backends
        self._links = links
        self._runner = runner
        self._today = today
        self._limiter = RateLimiter(settings.rate_limit_jobs, settings.rate_limit_window_s)
        self._sets = ChatSets(settings, store, backends, self._queue, runner.is_listening)
        self.offers: LinkOffers | None = None
        """The upload page (``Engine.offer_links``): "upload" with no file, and files too big, get a link."""

    async def too_big(self, incoming: Incoming, refusal: InputRejected) -> Reply:
        """A file the platform will not hand over: why, in the chat's language, and an upload link if on."""
        session = await self._store.current_session(incoming.platform, incoming.chat_id)
        lang = choose_language(session.language if session else None, incoming.text, incoming.language)
        denied = self._access_denied(incoming, lang)
        if denied is not None:
            return denied
        if self.offers is None:
            return Text(refusal.in_language(lang), lang=lang)
        return await self._upload_link(incoming, lang, refusal)

    async def _upload_link(self, incoming: Incoming, lang: Lang, refusal: InputRejected | None = None) -> Reply:
        assert self.offers is not None
        try:
            link = await self.offers.upload_link(incoming.platform, incoming.chat_id, incoming.user_id, lang)
        except InputRejected as refused:
            reasons = (refusal.in_language(lang) if refusal else None, refused.in_language(lang))
            return Error("quota", "\n".join(r for r in reasons if r), new_error_id(), lang=lang)
        return Text(upload_sentence(link, lang, refusal), lang=lang)

    async def handle(self, incoming: Incoming) -> AsyncIterator[Reply]:
        """Every reply to one user event, in order; job events stream as the job runs."""
        routed = route(incoming, bot_username=self._links.get(incoming.platform).bot_username)
        session = await self._store.current_session(incoming.platform, incoming.chat_id)
        lang = choose_language(session.language if session else None, incoming.text, incoming.language)
        denied = self._access_denied(incoming, lang)
        if denied is not None:
            yield denied
            return
        try:
            async for reply in self._dispatch(incoming, routed, session, lang):
                yield reply
        except Exception as exc:  # an adapter must always get a sentence, never a traceback
            yield failure_reply(exc, lang, what=f"handling a {routed.intent.value} message")

    async def _dispatch(
        self, incoming: Incoming, routed: Routed, session: Session | None, lang: Lang
    ) -> AsyncIterator[Reply]:
        """Items and set words to the set desk; everything else as it has always been."""
        intent = routed.intent
        if intent is Intent.UPLOAD and routed.media is not None and not _is_song(incoming, routed):
            async for reply in self._sets.collect(incoming, routed, lang):
                yield reply
            return
        if intent is Intent.CHOOSE:
            async for reply in self._sets.choose(incoming, SetChoice(routed.argument or "film"), lang):
                yield reply
            return
        if intent is Intent.EDIT and incoming.button is None:
            pending = await self._sets.take_with_words(incoming)
            if pending is not None:  # words while items are being collected: they say what to make
                async for reply in self._sets.act(incoming, pending, lang, words=routed.text):
                    yield reply
                return
            waiting = await self._sets.waiting_count(session)
            if waiting:
                choice = set_choice(routed.text)
                if choice is None:
                    yield text_reply("engine_set_choose_first", lang, count=waiting)
                    return
                async for reply in self._sets.choose(incoming, choice, lang, words=routed.text):
                    yield reply
                return
        if incoming.button is None:
            retarget = await self._sets.retarget(session, routed, lang)
            if retarget is not None and retarget.reply is not None:
                yield retarget.reply
                return
            if retarget is not None and retarget.routed is not None:
                routed = retarget.routed
        if routed.intent in _JOB_INTENTS:
            async for reply in self._submit(incoming, routed, lang):
                yield reply
        else:
            yield await self._answer(incoming, routed, lang)

    # ----- after a restart (faults15) ---------------------------------------------------------------------------

    async def resume_collecting(self) -> None:
        """Carry on with the sets a previous process was collecting; their replies reach the chat through its
        platform's ``notify`` (the job's last one through the courier, which retries)."""
        await self._sets.resume_collecting(self._forward, self._links.served() if self._store.shared else None)

    async def close(self) -> None:
        await self._sets.close()

    async def _forward(self, platform: str, chat_id: str, reply: Reply) -> None:
        if isinstance(reply, Progress):
            return  # nobody is watching a status message
        delivery_id: int | None = getattr(reply, "delivery_id", None)
        if delivery_id is not None:
            await self._runner.courier.send_soon(delivery_id)
            return
        notify = (await self._links.ready(platform)).notify
        if notify is None:
            return
        try:
            await notify(platform, chat_id, reply)
        except Exception:
            logger.warning("could not tell a %s chat about its resumed set", platform, exc_info=True)

    # ----- answers that need no job ------------------------------------------------------------------------

    async def _answer(self, incoming: Incoming, routed: Routed, lang: Lang) -> Reply:
        platform, chat = incoming.platform, incoming.chat_id
        intent = routed.intent
        if intent is Intent.HELP:
            return Text(help_text(lang), lang=lang)
        if intent is Intent.NEW:
            await self._sets.drop_pending((platform, chat))
            current = await self._store.current_session(platform, chat)
            await self._store.new_session(platform, chat, current.backend if current else self._backends.default.name)
            return text_reply("engine_fresh_start", lang)
        if intent is Intent.LANGUAGE:
            if routed.argument not in ("en", "zh"):
                return text_reply("engine_which_language", lang)
            session = await self._store.get_or_create_session(platform, chat, self._backends.default.name)
            await self._store.update_session(session.id, language=routed.argument)
            return text_reply("engine_language_set", routed.argument)  # said in the language just chosen
        if intent is Intent.CANCEL:
            if await self._sets.drop_pending((platform, chat)):
                return text_reply("engine_cancelled_queued", lang)
            current = await self._store.current_session(platform, chat)
            if current is not None and await self._sets.waiting_count(current):
                await self._store.replace_set(current.id, (), choice=None)
                return text_reply("engine_cancelled_queued", lang)
            outcome = await self._runner.cancel(platform, chat)
            return text_reply(_CANCEL_PHRASES[outcome], lang)
        if intent is Intent.BACKEND:
            return await self._switch_backend(incoming, routed.argument, lang)
        if intent is Intent.STATUS:
            return await self._status(incoming, lang)
        if intent is Intent.CREDITS:
            return Text(await self._credits_text(incoming, lang), lang=lang)
        if intent is Intent.UNKNOWN_COMMAND:
            return text_reply("engine_unknown_command", lang, command=routed.argument)
        return text_reply("engine_stale_button", lang)

    async def _status(self, incoming: Incoming, lang: Lang) -> Reply:
        """The current timeline's summary, or a nudge to send a clip."""
        current = await self._store.current_session(incoming.platform, incoming.chat_id)
        listing = await self._sets.listing((incoming.platform, incoming.chat_id), current, lang)
        timeline = None
        if current is not None and current.backend_session_id:
            timeline = await self._backends.named(current.backend).state(current.backend_session_id)
        if timeline is None:
            return Text(listing, lang=lang) if listing else text_reply("engine_no_video_yet", lang)
        return Text("\n\n".join(part for part in (listing, timeline.summary(lang)) if part), lang=lang)

    async def _switch_backend(self, incoming: Incoming, name: str | None, lang: Lang) -> Reply:
        """``/backend local|nemo``: a fresh session on that backend, if the operator allows choosing."""
        platform, chat = incoming.platform, incoming.chat_id
        current = await self._store.current_session(platform, chat)
        in_use = current.backend if current else self._backends.default.name
        if not (self._settings.allow_backend_choice or self._is_admin(platform, incoming.user_id)):
            return text_reply("engine_backend_fixed", lang, backend=in_use)
        if name not in BACKEND_NAMES:
            return text_reply("engine_backend_choose", lang, backend=in_use)
        try:
            self._backends.named(name)
        except BackendUnavailable:
            return text_reply("engine_backend_unavailable", lang, backend=name)
        await self._store.new_session(platform, chat, name)
        return text_reply("engine_backend_nemo" if name == "nemo" else "engine_backend_local", lang)

    async def _credits_text(self, incoming: Incoming, lang: Lang) -> str:
        session = await self._store.current_session(incoming.platform, incoming.chat_id)
        if session is not None and session.backend_session_id:
            credits = await self._backends.named(session.backend).credits(session.backend_session_id)
            if credits is not None:
                return say("engine_credits_left", lang, remaining=credits.remaining)
        left = await self._renders_left(incoming.platform, incoming.user_id)
        if left is None:
            return say("engine_renders_unlimited", lang)
        return say("engine_renders_left", lang, left=left, limit=self._settings.daily_renders)

    # ----- access and quotas -------------------------------------------------------------------------------

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

    def _access_denied(self, incoming: Incoming, lang: Lang) -> Error | None:
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
        return error_reply("quota", "engine_private", lang)

    async def _refusal(self, incoming: Incoming, kind: JobKind, lang: Lang, renders: int = 1) -> Error | None:
        """Why this job may not be queued now (the daily quota, the rate limit), or None; ``renders`` is how
        many videos it makes (a batch makes one per item)."""
        platform, user = incoming.platform, incoming.user_id
        left = await self._renders_left(platform, user) if kind in RENDER_KINDS else None
        if left == 0:
            return error_reply("quota", "engine_quota_used", lang, limit=self._settings.daily_renders)
        if left is not None and left < renders:
            return error_reply("quota", "engine_quota_short", lang, count=renders, left=left)
        if not self._is_admin(platform, user):
            wait_s = self._limiter.retry_after(f"{platform}:{user}")
            if wait_s > 0:
                return error_reply("quota", "engine_rate_limited", lang, wait_s=wait_s)
        return None

    # ----- submitting a job --------------------------------------------------------------------------------

    async def _submit(self, incoming: Incoming, routed: Routed, lang: Lang) -> AsyncIterator[Reply]:
        platform, chat = incoming.platform, incoming.chat_id
        kind = JobKind(routed.intent.value)
        if kind is JobKind.UPLOAD and routed.media is None:
            if self.offers is not None:  # "upload" / "上传" / /upload: the page past the chat's limits
                yield await self._upload_link(incoming, lang)
                return
            yield text_reply("engine_send_the_video", lang)
            return
        key = (platform, chat)
        if self._runner.is_listening(key):  # before "send a video first": the first upload may still be opening
            yield busy_reply(lang)
            return
        session = await self._store.current_session(platform, chat)
        if kind is not JobKind.UPLOAD and (session is None or not session.backend_session_id):
            yield text_reply("send_video_first", lang)
            return
        if session is None:
            session = await self._store.new_session(platform, chat, self._backends.default.name)
        payload = JobPayload(
            kind=kind, text=routed.text, media=routed.media, lang=lang, upload_limit=incoming.upload_limit
        )
        async for reply in self._queue(incoming, session, payload, lang, 1):
            yield reply

    async def _queue(
        self, incoming: Incoming, session: Session, payload: JobPayload, lang: Lang, renders: int
    ) -> AsyncIterator[Reply]:
        """Queue the job (one per chat, within the quota and rate limit) and stream its replies."""
        key = (incoming.platform, incoming.chat_id)
        if self._runner.is_listening(key):
            yield busy_reply(lang)
            return
        refusal = await self._refusal(incoming, payload.kind, lang, renders)
        if refusal is not None:
            yield refusal
            return
        kind, user = payload.kind, incoming.user_id
        with self._runner.listen(key, lang) as listener:
            try:
                job = await self._store.enqueue(session.id, user, kind.value, payload.to_json())
            except ChatBusy:
                yield busy_reply(lang)
                return
            position = await self._store.queue_position(job.id)
            free = self._runner.free_slots()
            if position is not None and position > free:
                yield text_reply("engine_queue_position", lang, place=position - max(0, free))
            self._runner.wake()
            async for reply in self._runner.replies(key, listener):
                yield reply


def _is_song(incoming: Incoming, routed: Routed) -> bool:
    """An audio file, or a file captioned "use this song": music for the current clip, never a set's item."""
    if incoming.extra_media or routed.media is None:
        return False
    return routed.media.kind in SONG_KINDS or asks_for_song(routed.text)
