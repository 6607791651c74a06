"""Running a set's job: several clips and photos made into one film, or each into its own video.

Both fetch every item first, each into its own folder (the platforms' fetchers all call their file
``input.*``) and renamed ``item<N>.*`` so that a backend naming an unusable item names it by its place.

- One film (``JobKind.MONTAGE``): the session's backend session gets every item through
  :meth:`~bot.backends.base.MontageMaker.montage`; later words edit the film as they edit a single clip.
- Each separately (``JobKind.EACH``): every item gets a backend session of its own (remembered in the
  set's rows, so "the second one: calmer" finds it), rendered in order and delivered as soon as it is done,
  with "2 of 3" on its caption. An item the pipeline refuses is named with its reason and the batch goes on;
  the session then points at the last item made (plain words edit that one). How many items were delivered
  is kept in the job's row, so a batch interrupted by a restart carries on from its first undelivered item
  instead of sending the first ones again.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

from bot.backends.base import Backend, BackendEvent, MontageMaker, Rendered, Said
from bot.engine.jobs import JobKind, JobPayload, MediaFetcher
from bot.errors import BackendUnavailable, InputRejected
from bot.language import say
from bot.sessions import Session, SessionStore

__all__ = ["SET_KINDS", "SetJobs", "fetch_items"]

logger = logging.getLogger(__name__)

SET_KINDS = frozenset({JobKind.MONTAGE, JobKind.EACH})


async def fetch_items(fetch: MediaFetcher, payload: JobPayload, workdir: Path, *, first: int = 1) -> list[Path]:
    """The set's items from position ``first`` on, downloaded into ``workdir/item<N>/item<N>.<ext>``, in order."""
    paths: list[Path] = []
    for position, media in enumerate(payload.items[first - 1 :], start=first):
        folder = workdir / f"item{position}"
        folder.mkdir()
        fetched = await fetch(media, folder)
        named = folder / f"item{position}{fetched.suffix}"
        shutil.move(fetched, named)
        paths.append(named)
    return paths


class SetJobs:
    """The backend events of a set's job; the runner turns them into replies as for any job."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    async def events(
        self,
        job_id: int,
        session: Session,
        backend: Backend,
        payload: JobPayload,
        *,
        fetch: MediaFetcher | None,
        workdir: Path,
        platform: str,
        max_output_bytes: int | None,
    ) -> AsyncIterator[BackendEvent]:
        """The job's events: one film, or each item's render in turn."""
        if fetch is None:
            raise BackendUnavailable(f"no media fetcher for {platform}")
        prompt = payload.text or None
        if payload.kind is JobKind.MONTAGE and isinstance(backend, MontageMaker):
            paths = await fetch_items(fetch, payload, workdir)
            backend_id = session.backend_session_id or await self._open(backend, session, platform, payload.lang)
            async for event in backend.montage(backend_id, paths, prompt=prompt, max_output_bytes=max_output_bytes):
                yield event
            await self._save_timeline(session, backend, backend_id)
            return
        _state, _tries, done = await self._store.delivery_state(job_id)
        if done:
            logger.info("batch job %d carries on after a restart from item %d", job_id, done + 1)
        paths = await fetch_items(fetch, payload, workdir, first=done + 1)
        async for event in self._each(job_id, session, backend, paths, payload, platform, max_output_bytes):
            yield event

    async def _each(
        self,
        job_id: int,
        session: Session,
        backend: Backend,
        paths: Sequence[Path],
        payload: JobPayload,
        platform: str,
        max_output_bytes: int | None,
    ) -> AsyncIterator[BackendEvent]:
        """Each item's render in turn. The runner holds an item's result until the next event comes, so once
        it asks for the event after the next item's first one, the previous item is delivered: recorded then."""
        total = len(payload.items)
        first = total - len(paths) + 1
        recorded = first - 1
        for position, path in enumerate(paths, start=first):
            backend_id = await backend.open_session(platform=platform, language=payload.lang)
            await self._store.set_item_backend(session.id, position, backend_id)
            await self._store.update_session(session.id, backend_session_id=backend_id)
            place = say("engine_item_of", payload.lang, position=position, total=total)
            try:
                async for event in backend.upload(
                    backend_id, path, prompt=payload.text or None, max_output_bytes=max_output_bytes
                ):
                    if isinstance(event, Rendered):
                        notes = "\n".join(line for line in (place, event.notes) if line)
                        placed = {
                            lang: "\n".join((place, text)) if text else place for lang, text in event.notes_in.items()
                        }
                        event = replace(event, notes=notes, notes_in=placed)
                    yield event
                    if recorded < position - 1:
                        recorded = position - 1
                        await self._store.set_items_done(job_id, recorded)
            except InputRejected as exc:
                logger.info("batch item %d of %d refused: %s", position, total, exc.reason)
                yield Said(say("engine_item_skipped", payload.lang, place=place, reason=exc.in_language(payload.lang)))
                continue
            await self._save_timeline(session, backend, backend_id)

    async def _open(self, backend: Backend, session: Session, platform: str, lang: str) -> str:
        backend_id = await backend.open_session(platform=platform, language=lang)
        await self._store.update_session(session.id, backend_session_id=backend_id)
        return backend_id

    async def _save_timeline(self, session: Session, backend: Backend, backend_id: str) -> None:
        timeline = await backend.state(backend_id)
        await self._store.update_session(session.id, timeline_json=timeline.to_json() if timeline else None)
