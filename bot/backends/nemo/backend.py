"""The NemoVideo backend: the cloud agent behind the :class:`~bot.backends.base.Backend` protocol.

Clips leave this machine: they are uploaded to NemoVideo, whose agent edits a draft in one
``/run_sse`` turn per request; we read the draft's state, render it server-side, download the MP4 and
fit it under the chat's upload limit with the local pipeline's ``encode_to_fit``. What the agent says is
passed on as ``Said`` after GUI translation; a turn without text is reported from the state diff.
Credits and export are answered here, never by the agent (export is free; the agent would charge).

Stage keys: ``upload`` (sending the file), ``agent`` (the turn runs), ``render`` (server render and
polling), ``export`` (download and delivery).

A cloud session NemoVideo has forgotten (1002) is handled in one place: a request that needs it raises
``_CloudSessionGone`` and :func:`_starts_over_when_gone` opens a new session and asks for the clip
again (the upload itself just retries once in the new session).

Why ~500 lines in one module: it is one job, the request flows of the ``Backend`` protocol (upload,
song, instruction, turn and its aftermath, delivery, export) in the order a chat meets them; the wire,
the stream, the draft, rendering, sessions and words are each a sibling module already.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

import httpx

from bot.backends.base import BackendEvent, Credits, ExportOptions, Rendered, Said, Stage
from bot.backends.nemo.client import NemoClient
from bot.backends.nemo.draft import NemoDraft, describe_changes
from bot.backends.nemo.envelope import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, SessionNotFound, unwrap
from bot.backends.nemo.render import RenderDone, Renderer
from bot.backends.nemo.sessions import CloudSessions
from bot.backends.nemo.store import SessionRecord, SessionStore
from bot.backends.nemo.translate import chat_language, translate
from bot.backends.nemo.turn import TurnResult, run_turn
from bot.backends.renders import prune_renders, rendered_from_json, rendered_to_json
from bot.config import Settings
from bot.errors import BackendRefused, BackendUnavailable, InputRejected
from bot.language import say
from bot.media.models import MediaInfo
from bot.media.probe import probe_media
from bot.media.render import fit_file

__all__ = ["CLAIM_URL", "DEFAULT_TRACK_TITLE", "NemoBackend", "TurnLost"]

logger = logging.getLogger(__name__)

DEFAULT_TRACK_TITLE = "NemoVideo soundtrack"
_EXPORT_WORDS = re.compile(r"^\s*(?:/?export|download|导出|下载)\s*[.!。！]?\s*$", re.IGNORECASE)


def _first_message(prompt: str | None) -> str:
    """The agent turn after an upload: add music, with the user's own words if they gave any."""
    message = "Add fitting background music to the video I uploaded."
    if prompt and prompt.strip():
        message += f" What I want: {prompt.strip()}"
    return message


def _short(text: str, limit: int = 200) -> str:
    """The first sentence or line of ``text``, at most ``limit`` characters."""
    first = re.split(r"(?<=[.!?。！？])\s+|\n", text.strip(), maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


class TurnLost(BackendUnavailable):
    """The stream broke and the state never showed the change: the user should try again."""


class _CloudSessionGone(Exception):
    """NemoVideo forgot the session (1002) where the request cannot go on without it.

    Raised by :meth:`NemoBackend._read_state_or_start_over` (and the agent turn's guard) instead of
    :class:`SessionNotFound`; :func:`_starts_over_when_gone` turns it into the request's last words.
    A :class:`SessionNotFound` anywhere else still leaves the request as a ``BackendUnavailable``.
    """

    def __init__(self, record: SessionRecord) -> None:
        super().__init__("NemoVideo session not found")
        self.record = record


_P = ParamSpec("_P")


def _starts_over_when_gone(
    method: Callable[Concatenate[NemoBackend, _P], AsyncIterator[BackendEvent]],
) -> Callable[Concatenate[NemoBackend, _P], AsyncIterator[BackendEvent]]:
    """Wrap a request: if the cloud session turns out to be gone, open a new one and ask for the clip again.

    The one place that says "your draft expired, send your clip again"; the request's own events up to
    that point have been passed on already.
    """

    @functools.wraps(method)
    async def request(self: NemoBackend, /, *args: _P.args, **kwargs: _P.kwargs) -> AsyncIterator[BackendEvent]:
        try:
            async for event in method(self, *args, **kwargs):
                yield event
        except _CloudSessionGone as gone:
            yield await self._reset(gone.record)
            yield Said(say("nemo_send_clip_again", chat_language(gone.record.language)))

    return request


CLAIM_URL = "https://nemovideo.com/workspace/claim"


class NemoBackend:
    """The NemoVideo Skill API as a backend. Everything but ``settings`` is for tests and tuning.

    ``transport``: an httpx transport (tests); ``rate_limit_wait_s``: pause before the one retry after
    429; ``network_retries``/``retry_backoff_s``: bounded retries of network errors; ``turn_timeout_s``:
    hard cap of one turn (default ``settings.nemo_turn_timeout_s``); ``idle_timeout_s``: heartbeats-only
    time that counts as a timeout; ``progress_interval_s``: at most one ``Stage("agent")`` this often;
    ``recovery_waits_s``: waits before each state check after a dropped stream; ``poll_interval_s`` and
    ``render_timeout_s``: render polling.
    """

    name = "nemo"

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limit_wait_s: float = 30.0,
        network_retries: int = 2,
        retry_backoff_s: float = 1.0,
        turn_timeout_s: float | None = None,
        idle_timeout_s: float = 600.0,
        progress_interval_s: float = 3.0,
        recovery_waits_s: Sequence[float] = (30.0, 60.0, 60.0, 60.0, 60.0),
        poll_interval_s: float = 5.0,
        render_timeout_s: float = 600.0,
    ) -> None:
        self._settings = settings
        self._client = NemoClient(
            settings,
            transport=transport,
            rate_limit_wait_s=rate_limit_wait_s,
            network_retries=network_retries,
            retry_backoff_s=retry_backoff_s,
        )
        self._renderer = Renderer(self._client, poll_interval_s=poll_interval_s, timeout_s=render_timeout_s)
        self._sessions = CloudSessions(self._client, SessionStore(settings.data_dir / "nemo-sessions"))
        self._turn_timeout_s = settings.nemo_turn_timeout_s if turn_timeout_s is None else turn_timeout_s
        self._idle_timeout_s = idle_timeout_s
        self._progress_interval_s = progress_interval_s
        self._recovery_waits_s = tuple(recovery_waits_s)

    @property
    def client(self) -> NemoClient:
        return self._client

    # ----- sessions ------------------------------------------------------------------------------

    async def _reset(self, record: SessionRecord) -> Said:
        """After a 1002: a new Nemo session under the same id of ours, and a notice for the user."""
        await self._sessions.reopen(record)
        return Said(say("nemo_draft_expired", chat_language(record.language)))

    async def _read_state_or_start_over(self, record: SessionRecord) -> NemoDraft:
        """The draft now, where a request needs it to go on: a gone session ends the request (see
        :func:`_starts_over_when_gone`)."""
        try:
            return await self._sessions.read_state(record)
        except SessionNotFound as exc:
            raise _CloudSessionGone(record) from exc

    async def open_session(self, *, platform: str = "cli", language: str = "en") -> str:
        record = await self._sessions.open(platform=platform, language=language)
        return record.id

    # ----- uploads -------------------------------------------------------------------------------

    async def _upload_file(self, record: SessionRecord, path: Path) -> None:
        await self._client.call(
            "POST",
            f"/api/upload-video/nemo_agent/me/{record.nemo_session_id}",
            platform=record.platform,
            files=[("files", path)],
            safe=False,
        )

    async def upload_urls(self, session_id: str, urls: Sequence[str]) -> list[dict[str, Any]]:
        """Let NemoVideo fetch media itself (§5). The engine always downloads first and calls ``upload``,
        so this is for callers that hold a public link."""
        record = await self._sessions.record(session_id)
        body = await self._client.call(
            "POST",
            f"/api/upload-video/nemo_agent/me/{record.nemo_session_id}",
            platform=record.platform,
            json_body={"urls": list(urls), "source_type": "url"},
            safe=False,
        )
        files = unwrap(body).get("files")
        return [dict(f) for f in files if isinstance(f, dict)] if isinstance(files, list) else []

    @_starts_over_when_gone
    async def upload_link(
        self, session_id: str, url: str, *, prompt: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        """A link the engine has vetted: NemoVideo fetches it (§5, JSON ``urls``), then the same turn as ``upload``."""

        async def send(record: SessionRecord) -> None:
            if not await self.upload_urls(session_id, [url]):
                raise InputRejected("nemo_link_fetch_failed")

        async for event in self._first_turn(session_id, send, prompt=prompt, max_output_bytes=max_output_bytes):
            yield event

    @_starts_over_when_gone
    async def upload(
        self, session_id: str, media_path: Path, *, prompt: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        _check_extension(media_path, VIDEO_EXTENSIONS + IMAGE_EXTENSIONS, "nemo_needs_video_or_picture")

        async def send(record: SessionRecord) -> None:
            await self._upload_file(record, media_path)

        async for event in self._first_turn(session_id, send, prompt=prompt, max_output_bytes=max_output_bytes):
            yield event

    async def _first_turn(
        self,
        session_id: str,
        send: Callable[[SessionRecord], Awaitable[None]],
        *,
        prompt: str | None,
        max_output_bytes: int | None,
    ) -> AsyncIterator[BackendEvent]:
        """Upload with ``send`` (once more on a fresh cloud session if the old one is gone), then ask the agent
        for music."""
        record = await self._sessions.record(session_id)
        yield Stage("upload", 0.0)
        try:
            await send(record)
        except SessionNotFound:
            yield await self._reset(record)
            await send(record)
        yield Stage("upload", 1.0)
        async for event in self._converse(
            record, _first_message(prompt), max_output_bytes=max_output_bytes, first=True
        ):
            yield event

    @_starts_over_when_gone
    async def use_song(
        self, session_id: str, song_path: Path, *, title: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        _check_extension(song_path, AUDIO_EXTENSIONS, "nemo_needs_song")
        record = await self._sessions.record(session_id)
        current = await self._read_state_or_start_over(record)
        if not current.has_media:
            raise InputRejected("nemo_song_before_video")
        yield Stage("upload", 0.0)
        await self._upload_file(record, song_path)
        yield Stage("upload", 1.0)
        message = "Use this uploaded song as the background music."
        if title:
            message += f' (The song is called "{title}".)'
        async for event in self._converse(record, message, max_output_bytes=max_output_bytes, first=False):
            yield event

    @_starts_over_when_gone
    async def instruct(
        self, session_id: str, text: str, *, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        if _EXPORT_WORDS.match(text):  # never ask the agent to export (§8): it is free here
            async for event in self.export(session_id, ExportOptions(max_size_bytes=max_output_bytes)):
                yield event
            return
        record = await self._sessions.record(session_id)
        if record.snapshot is None or not NemoDraft(record.snapshot).has_media:
            current = await self._read_state_or_start_over(record)
            if not current.has_media:
                raise InputRejected("send_video_first")
        async for event in self._converse(record, text, max_output_bytes=max_output_bytes, first=False):
            yield event

    # ----- one agent turn and what follows -----------------------------------------------------------

    async def _converse(
        self, record: SessionRecord, message: str, *, max_output_bytes: int | None, first: bool
    ) -> AsyncIterator[BackendEvent]:
        """Run one turn, tell the user what it did, and render when the draft changed and is ready."""
        try:
            before = await self._sessions.read_state(record)
            result: TurnResult | None = None
            async for step in run_turn(
                self._client,
                platform=record.platform,
                session_id=record.nemo_session_id,
                text=message,
                turn_timeout_s=self._turn_timeout_s,
                idle_timeout_s=self._idle_timeout_s,
                progress_interval_s=self._progress_interval_s,
            ):
                if isinstance(step, Stage):
                    yield step
                else:
                    result = step
        except SessionNotFound as exc:
            raise _CloudSessionGone(record) from exc
        assert result is not None
        lang = chat_language(record.language)
        said = translate(result.text, record.language) if result.text else ""
        if said:
            yield Said(said)
        after = await self._recover(record, before) if result.dropped else await self._sessions.read_state(record)
        changes = describe_changes(before, after)
        if not said:
            if not changes:
                yield Said(say("nemo_nothing_changed", lang))
                return
            yield Said(say("nemo_changes", lang, changes=say("nemo_changes_separator", lang).join(changes)))
        if not after.is_ready:
            if first:
                yield Said(say("nemo_timeline_empty", lang))
            return
        if not changes and not first:
            return
        notes = "" if first else _short(said) if said else "; ".join(changes)
        reason = _short(said) if first and said else ""
        async for event in self._deliver(record, after, max_output_bytes=max_output_bytes, reason=reason, notes=notes):
            yield event

    async def _recover(self, record: SessionRecord, before: NemoDraft) -> NemoDraft:
        """After a dropped stream: wait and read the state until it changed; never re-send the turn."""
        for check, wait_s in enumerate(self._recovery_waits_s, start=1):
            await asyncio.sleep(wait_s)
            try:
                after = await self._sessions.read_state(record)
            except SessionNotFound:
                raise
            except BackendUnavailable as exc:
                logger.warning("state check %d after a dropped turn failed (%s)", check, type(exc).__name__)
                continue
            if after.fingerprint() != before.fingerprint():
                logger.info("nemo session %s: the dropped turn did change the draft (check %d)", record.id, check)
                return after
        raise TurnLost("lost the connection to NemoVideo and the draft did not change; please try again")

    # ----- render and delivery --------------------------------------------------------------------

    async def _deliver(
        self, record: SessionRecord, draft: NemoDraft, *, max_output_bytes: int | None, reason: str, notes: str
    ) -> AsyncIterator[BackendEvent]:
        yield Stage("render", 0.0)
        done: RenderDone | None = None
        async for step in self._renderer.render(
            platform=record.platform, session_id=record.nemo_session_id, draft=draft.draft
        ):
            if isinstance(step, RenderDone):
                done = step
            else:
                yield Stage("render", step)
        assert done is not None
        yield Stage("export", 0.2)
        folder = self._sessions.folder(record.id) / "renders"
        path = await self._renderer.download(platform=record.platform, done=done, dest=folder / f"{done.render_id}.mp4")
        yield Stage("export", 0.6)
        info = await self._probe(path)
        if info is not None:
            width, height, duration_s = info.width, info.height, info.duration_s
        else:
            width, height, duration_s = draft.width, draft.height, draft.duration_s
        if max_output_bytes is not None and path.stat().st_size > max_output_bytes:
            path, width, height = await self._fit(path, info, max_output_bytes)
        rendered = Rendered(
            path=path,
            track_title=draft.bgm_title or DEFAULT_TRACK_TITLE,
            reason=reason,
            bpm=0.0,
            cuts_on_beat=0,
            cuts_total=0,
            loudness_lufs=float("nan"),
            width=width,
            height=height,
            duration_s=duration_s,
            original_muted=False,
            notes=notes,
        )
        record.last_render = {"fingerprint": draft.fingerprint(), "rendered": rendered_to_json(rendered)}
        await self._sessions.save(record)
        await asyncio.to_thread(prune_renders, folder, path)
        logger.info("nemo session %s: render %s delivered", record.id, done.render_id)
        yield rendered

    async def _probe(self, path: Path) -> MediaInfo | None:
        try:
            return await asyncio.to_thread(probe_media, path, settings=self._settings)
        except InputRejected:
            logger.warning("could not probe the NemoVideo render %s", path.name)
            return None

    async def _fit(self, path: Path, info: MediaInfo | None, cap: int) -> tuple[Path, int, int]:
        """The render re-encoded under ``cap`` bytes (the local pipeline's fit-to-size): path, width, height."""
        if info is None:  # unreadable: let the probe say why
            info = await asyncio.to_thread(probe_media, path, settings=self._settings)
        result = await asyncio.to_thread(fit_file, path, info, cap, timeout_s=self._settings.ffmpeg_timeout_s)
        await asyncio.to_thread(path.unlink, True)
        return result.path, result.width, result.height

    # ----- the rest of the protocol ------------------------------------------------------------------

    @_starts_over_when_gone
    async def export(self, session_id: str, options: ExportOptions) -> AsyncIterator[BackendEvent]:
        record = await self._sessions.record(session_id)
        draft = await self._read_state_or_start_over(record)
        if not draft.is_ready:
            raise InputRejected("nemo_nothing_to_export")
        cap = options.max_size_bytes
        last = _last_rendered(record, draft)
        if last is not None and (cap is None or last.path.stat().st_size <= cap):
            yield Stage("export", 1.0)
            yield last
            return
        yield Stage("export", 0.0)
        async for event in self._deliver(record, draft, max_output_bytes=cap, reason="", notes=""):
            yield event
        link = await self._claim_link(record)
        if link:
            yield Said(say("nemo_claim_link", chat_language(record.language), link=link))

    async def _claim_link(self, record: SessionRecord) -> str | None:
        """A browser link to the project (§2: a claim token cannot call the API, so it is safe to show).
        Best effort: the video has been delivered already, so a failure here is only logged."""
        try:
            data = unwrap(
                await self._client.call(
                    "POST",
                    "/api/auth/claim-token",
                    platform=record.platform,
                    json_body={"task_id": record.task_id, "session_id": record.nemo_session_id},
                )
            )
        except (BackendUnavailable, BackendRefused, InputRejected):
            logger.info("no claim link for a nemo session this time")
            return None
        token = data.get("claim_token")
        if not isinstance(token, str) or not token.startswith("clm_"):
            return None
        return f"{CLAIM_URL}?ct={token}"

    async def state(self, session_id: str) -> NemoDraft | None:
        record = await self._sessions.load(session_id)
        if record is None:
            return None
        try:
            draft = await self._sessions.read_state(record)
        except SessionNotFound:
            return None  # the next request re-opens the session and tells the user
        except BackendUnavailable as exc:
            if record.snapshot is None:
                raise
            logger.warning("nemo state unavailable (%s); using the last snapshot", type(exc).__name__)
            draft = NemoDraft(record.snapshot)
        return draft if draft.has_media else None

    async def credits(self, session_id: str) -> Credits | None:
        record = await self._sessions.load(session_id)
        platform = record.platform if record else "cli"
        data = unwrap(await self._client.call("GET", "/api/credits/balance/simple", platform=platform))
        available = data.get("available")
        total = data.get("total")
        if not isinstance(available, int | float):
            raise BackendUnavailable("NemoVideo sent no balance")
        return Credits(remaining=int(available), limit=int(total) if isinstance(total, int | float) else None)

    async def discard(self, session_id: str) -> None:
        """Forget the mapping and the downloaded renders; the cloud draft stays with NemoVideo (the API
        has no delete)."""
        if await self._sessions.delete(session_id):
            logger.info("nemo session %s discarded", session_id)

    async def close(self) -> None:
        await self._client.aclose()


def _check_extension(path: Path, allowed: Sequence[str], phrase: str) -> None:
    """``InputRejected(phrase, formats=...)`` unless ``path`` ends in one of the ``allowed`` extensions."""
    if path.suffix.lower().lstrip(".") not in allowed:
        raise InputRejected(phrase, formats=", ".join(allowed))


def _last_rendered(record: SessionRecord, draft: NemoDraft) -> Rendered | None:
    last = record.last_render
    if not last or last.get("fingerprint") != draft.fingerprint():
        return None
    rendered = rendered_from_json(last["rendered"])
    return rendered if rendered.path.is_file() else None
