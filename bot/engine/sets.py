"""Several items in one chat: collected into a set, then one film or each separately, then refined by place.

The conversation hands this desk every clip or photo (not songs), the choice buttons, and the words that
concern a set; it answers from the chat's set:

- an item joins the chat's pending set (:mod:`bot.engine.collecting`); the set's first call waits for the
  quiet period, a message with words takes it at once. One item alone is an upload exactly as before.
  Items still waiting for the user's choice join the next ones sent (the question is asked again).
- Several items: the words (captions and the message that ended the set) choose — one film or each
  separately (:func:`bot.language.intents.set_choice`); without a word, photos among them make one film,
  videos alone get one question with two buttons. The set is stored (``set_items``) with the choice.
- One film becomes a ``MONTAGE`` job when the chat's backend is a
  :class:`~bot.backends.base.MontageMaker`; otherwise the user is told and the set is made each separately.
  Each separately is one ``EACH`` job: one job toward the chat's "one at a time", one render per video
  toward the quota (a batch bigger than what is left today is refused up front).
- After a batch, "the second one: calmer" points the session at that item's backend session and edits it.
- Items being collected are also written to the store as they join, so a restart in those seconds carries
  on with the set (:meth:`ChatSets.resume_collecting`; its replies then go through the platform's notify).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.backends.base import MontageMaker
from bot.config import Settings
from bot.engine.collecting import ChatKey, Collector, PendingSet, incoming_from_json, incoming_to_json
from bot.engine.jobs import JobKind, JobPayload
from bot.engine.messages import Incoming, MediaRef, Reply, Text, set_buttons
from bot.engine.registry import BackendRegistry
from bot.engine.replies import busy_reply, error_reply, text_reply
from bot.engine.routing import Routed
from bot.language import Lang, say
from bot.language.intents import Intent, SetChoice, choose_language, set_choice, targeted_item
from bot.sessions import Session, SessionStore, SetItem

__all__ = ["Busy", "ChatSets", "Submit", "media_from_json", "media_to_json"]

logger = logging.getLogger(__name__)

Forward = Callable[[str, str, Reply], Awaitable[None]]
"""``forward(platform, chat_id, reply)``: where the replies of a set resumed after a restart go."""
Submit = Callable[[Incoming, Session, JobPayload, Lang, int], AsyncIterator[Reply]]
"""The conversation's ``submit(incoming, session, payload, lang, renders)``: checks, queues and streams a job."""
Busy = Callable[[ChatKey], bool]
"""Whether the chat has a job queued or running (its set must not change under it)."""


def media_to_json(media: MediaRef) -> str:
    return json.dumps(dataclasses.asdict(media), ensure_ascii=False, sort_keys=True)


def media_from_json(text: str) -> MediaRef:
    return MediaRef(**json.loads(text))


@dataclass(frozen=True)
class Retarget:
    """What words aimed at one item of a batch became: the instruction left, or a reply instead."""

    routed: Routed | None = None
    reply: Reply | None = None


class ChatSets:
    """Collects each chat's items and acts on its set; ``submit`` is the conversation's job submission."""

    def __init__(
        self, settings: Settings, store: SessionStore, backends: BackendRegistry, submit: Submit, busy: Busy
    ) -> None:
        self._settings = settings
        self._store = store
        self._backends = backends
        self._submit = submit
        self._busy = busy
        self.collector = Collector(quiet_s=settings.collect_quiet_s, album_wait_s=settings.album_wait_s)
        self._resumed: set[asyncio.Task[None]] = set()

    # ----- collecting ------------------------------------------------------------------------------------

    async def collect(self, incoming: Incoming, routed: Routed, lang: Lang) -> AsyncIterator[Reply]:
        """One message's items join the chat's set; the set's first message acts on it once the chat is quiet."""
        key = (incoming.platform, incoming.chat_id)
        items = incoming.all_media or ((routed.media,) if routed.media is not None else ())
        before = self.collector.peek(key)
        same_album = before is not None and incoming.group_id is not None and incoming.group_id in before.group_ids
        pending, leads = self.collector.add(key, items, routed.text, incoming.group_id)
        await self._persist(incoming, items, routed.text)
        if not leads:
            if not same_album:  # an album is one upload: its own items say nothing
                yield text_reply("engine_set_got", lang, count=len(pending.items))
            return
        taken = await self.collector.wait_quiet(key, pending)
        if taken is not None:
            await self._store.clear_collecting(*key)
            async for reply in self.act(incoming, taken, lang):
                yield reply

    async def take_with_words(self, incoming: Incoming) -> PendingSet | None:
        """A plain message while items are being collected ends the set (its words are the request)."""
        taken = self.collector.take((incoming.platform, incoming.chat_id))
        if taken is not None:
            await self._store.clear_collecting(incoming.platform, incoming.chat_id)
        return taken

    async def _persist(self, incoming: Incoming, items: tuple[MediaRef, ...], caption: str) -> None:
        """Each item as it joins, so a restart while the chat is being waited for loses nothing."""
        about = incoming_to_json(incoming)
        for number, item in enumerate(items):
            await self._store.add_collecting(
                incoming.platform,
                incoming.chat_id,
                media_to_json(item),
                caption if number == 0 else "",
                incoming.group_id,
                about,
            )

    # ----- after a restart --------------------------------------------------------------------------------

    async def resume_collecting(self, forward: Forward, platforms: frozenset[str] | None = None) -> None:
        """Put back the sets a previous process was collecting and carry on with each in the background: it
        is acted on once its chat has been quiet, its replies going through ``forward``. ``platforms``: only
        those platforms' sets (on a shared database another live process is collecting its own)."""
        by_chat: dict[ChatKey, list[tuple[str, str, str | None, str]]] = defaultdict(list)
        for row in await self._store.collecting_items():
            if platforms is not None and row.platform not in platforms:
                continue
            by_chat[(row.platform, row.chat_id)].append((row.media_json, row.caption, row.group_id, row.incoming_json))
        for key, rows in by_chat.items():
            if self.collector.peek(key) is not None:
                continue
            pending = None
            for media_json, caption, group_id, _ in rows:
                pending, _leads = self.collector.add(key, (media_from_json(media_json),), caption, group_id)
            assert pending is not None
            incoming = incoming_from_json(rows[0][3])
            logger.info("carrying on with a %s chat's set of %d items after a restart", key[0], len(pending.items))
            task = asyncio.create_task(self._carry_on(key, pending, incoming, forward), name="musiccog-resumed-set")
            self._resumed.add(task)
            task.add_done_callback(self._resumed.discard)

    async def _carry_on(self, key: ChatKey, pending: PendingSet, incoming: Incoming, forward: Forward) -> None:
        try:
            taken = await self.collector.wait_quiet(key, pending)
            if taken is None:
                return
            await self._store.clear_collecting(*key)
            session = await self._store.current_session(*key)
            lang = choose_language(session.language if session else None, " ".join(taken.captions), incoming.language)
            async for reply in self.act(incoming, taken, lang):
                await forward(key[0], key[1], reply)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("a set resumed after a restart failed")

    async def close(self) -> None:
        """Stop collecting (every set's items stay stored for the next start) and the sets resumed after one."""
        self.collector.release_all()
        tasks = list(self._resumed)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def act(
        self, incoming: Incoming, pending: PendingSet, lang: Lang, *, words: str = ""
    ) -> AsyncIterator[Reply]:
        """Act on a collected set: one item is an upload as ever; several are stored and made (or asked about)."""
        if self._busy((incoming.platform, incoming.chat_id)):  # one "busy" for the whole set, the batch untouched
            yield busy_reply(lang)
            return
        session = await self._store.get_or_create_session(
            incoming.platform, incoming.chat_id, self._backends.default.name
        )
        stored = await self._store.set_items(session.id)
        waiting = stored if stored and stored[0].choice is None else ()  # not chosen yet: these join the new ones
        prompt = " ".join(part for part in (*(i.caption for i in waiting), *pending.captions, words) if part)
        if prompt:  # the set speaks in its words, whichever of its messages happened to lead it
            lang = choose_language(session.language, prompt, incoming.language)
        items = (*(media_from_json(item.media_json) for item in waiting), *pending.items)
        if len(items) == 1:  # one clip alone: an upload as it always was (a previous batch is done with)
            if stored:
                await self._discard(session, await self._store.replace_set(session.id, (), choice=None))
            payload = JobPayload(
                JobKind.UPLOAD, text=prompt, media=items[0], lang=lang, upload_limit=incoming.upload_limit
            )
            async for reply in self._submit(incoming, session, payload, lang, 1):
                yield reply
            return
        limit = self._settings.max_montage_items
        if len(items) > limit:
            yield error_reply("input", "engine_too_many_items", lang, count=len(items), limit=limit)
            return
        choice: SetChoice | None = incoming.choice or set_choice(prompt)
        if choice is None and any(item.kind == "photo" for item in items):
            choice = SetChoice.FILM
        captions = [prompt] + [""] * (len(items) - 1)
        replaced = await self._store.replace_set(
            session.id, zip(map(media_to_json, items), captions, strict=True), choice=choice
        )
        await self._discard(session, replaced)
        if choice is None:
            yield Text(say("engine_set_question", lang, count=len(items)), lang=lang, buttons=set_buttons(lang))
            return
        async for reply in self._make(incoming, session, choice, items, prompt, lang):
            yield reply

    # ----- choosing ---------------------------------------------------------------------------------------

    async def choose(
        self, incoming: Incoming, choice: SetChoice, lang: Lang, *, words: str = ""
    ) -> AsyncIterator[Reply]:
        """The answer to the question (a button, or words): make the stored set as chosen."""
        if self._busy((incoming.platform, incoming.chat_id)):
            yield busy_reply(lang)
            return
        session = await self._store.current_session(incoming.platform, incoming.chat_id)
        stored = await self._store.set_items(session.id) if session is not None else ()
        if session is None or not stored or stored[0].choice is not None:
            yield text_reply("engine_set_nothing_to_choose", lang)
            return
        items = tuple(media_from_json(item.media_json) for item in stored)
        prompt = " ".join(part for part in (*(item.caption for item in stored), words) if part)
        await self._store.choose_for_set(session.id, choice)
        async for reply in self._make(incoming, session, choice, items, prompt, lang):
            yield reply

    async def waiting_count(self, session: Session | None) -> int:
        """How many items wait for the user's choice in this session (0 when none do)."""
        stored = await self._store.set_items(session.id) if session is not None else ()
        return len(stored) if stored and stored[0].choice is None else 0

    async def _make(
        self,
        incoming: Incoming,
        session: Session,
        choice: SetChoice,
        items: tuple[MediaRef, ...],
        prompt: str,
        lang: Lang,
    ) -> AsyncIterator[Reply]:
        backend = self._backends.named(session.backend)
        if choice is SetChoice.FILM and not isinstance(backend, MontageMaker):
            yield text_reply("engine_montage_unsupported", lang, backend=backend.name)
            choice = SetChoice.EACH
            await self._store.choose_for_set(session.id, choice)
        kind = JobKind.MONTAGE if choice is SetChoice.FILM else JobKind.EACH
        payload = JobPayload(kind, text=prompt, lang=lang, upload_limit=incoming.upload_limit, items=items)
        renders = len(items) if kind is JobKind.EACH else 1
        async for reply in self._submit(incoming, session, payload, lang, renders):
            yield reply

    # ----- after a batch: words for one item, and the listing -----------------------------------------------

    async def retarget(self, session: Session | None, routed: Routed, lang: Lang) -> Retarget | None:
        """Words such as "the second one: calmer" after a batch: the session now points at item 2 and the
        instruction is "calmer". None when the words name no item or the set is not a batch."""
        if session is None or routed.intent not in (Intent.EDIT, Intent.EXPORT):
            return None
        target = targeted_item(routed.text)
        if target is None:
            return None
        stored = await self._store.set_items(session.id)
        if not stored or stored[0].choice != "each":
            return None
        position = len(stored) if target.position == -1 else target.position
        item = stored[position - 1] if 0 < position <= len(stored) else None
        if item is None or item.backend_session_id is None:
            reply = text_reply("engine_no_such_item", lang, position=target.position, count=len(stored))
            return Retarget(reply=reply)
        await self._store.update_session(session.id, backend_session_id=item.backend_session_id)
        return Retarget(routed=dataclasses.replace(routed, text=target.text))

    async def listing(self, key: ChatKey, session: Session | None, lang: Lang) -> str | None:
        """ "status" with several items: what the chat has sent and what became of it; None for one clip."""
        pending = self.collector.peek(key)
        if pending is not None:
            labels = [_label(item, lang) for item in pending.items]
            return _listed(labels, say("engine_set_collecting", lang), lang)
        stored = await self._store.set_items(session.id) if session is not None else ()
        if len(stored) < 2:
            return None
        current = session.backend_session_id if session is not None else None
        labels = [_stored_label(item, current, lang) for item in stored]
        state = {None: "engine_set_waiting", "film": "engine_set_film", "each": "engine_set_each"}[stored[0].choice]
        return _listed(labels, say(state, lang), lang)

    async def _discard(self, session: Session, backend_ids: tuple[str, ...]) -> None:
        """The replaced batch's own backend sessions (not the one the session still points at) go."""
        backend = self._backends.named(session.backend)
        for backend_id in backend_ids:
            if backend_id == session.backend_session_id:
                continue
            try:
                await backend.discard(backend_id)
            except Exception:
                logger.warning("could not discard a replaced item's %s session", backend.name, exc_info=True)

    async def drop_pending(self, key: ChatKey) -> bool:
        """/cancel or /new while items are being collected: forget them."""
        dropped = self.collector.take(key) is not None
        if dropped:
            await self._store.clear_collecting(*key)
        return dropped


def _label(media: MediaRef, lang: Lang) -> str:
    kind = say("engine_item_photo" if media.kind == "photo" else "engine_item_video", lang)
    return f"{media.file_name} ({kind})" if media.file_name else kind


def _stored_label(item: SetItem, current: str | None, lang: Lang) -> str:
    label = _label(media_from_json(item.media_json), lang)
    if current is not None and item.backend_session_id == current and item.choice == "each":
        label += f" ← {say('engine_set_current', lang)}"
    return label


def _listed(labels: list[str], state: str, lang: Lang) -> str:
    lines = [say("engine_set_listing", lang, count=len(labels))]
    lines += [f"{n}. {label}" for n, label in enumerate(labels, start=1)]
    return "\n".join([*lines, state])
