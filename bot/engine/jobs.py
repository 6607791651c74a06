"""What a job row carries (its payload in, its result out), and the per-user rate limit.

A job's payload is everything needed to run it again after a restart: the kind, the instruction or
caption, the media reference (a platform file id or a link; the adapter's fetcher downloads it when
the job runs, so a requeued upload still works) and the reply language. It is stored as JSON in the
``jobs`` table (``bot.sessions``), so it must stay plain data.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.engine.messages import MediaRef, Reply

__all__ = [
    "RENDER_KINDS",
    "JobKind",
    "JobPayload",
    "JobResult",
    "MediaFetcher",
    "Notifier",
    "RateLimiter",
]

MediaFetcher = Callable[[MediaRef, Path], Awaitable[Path]]
"""``fetch(media, folder)`` downloads the file or link into ``folder`` and returns its path.

Supplied by the adapter (only it can turn a platform file id into bytes); it raises
``bot.errors.InputRejected`` with a friendly reason for files that are too big or links it refuses.
"""

Notifier = Callable[[str, str, Reply], Awaitable[None]]
"""``notify(platform, chat_id, reply)``: deliver a reply nobody is waiting for (a job recovered after a
restart, or one whose chat stopped listening). Results and failures only: progress is never notified."""


class JobKind(StrEnum):
    UPLOAD = "upload"
    EDIT = "edit"
    EXPORT = "export"
    MONTAGE = "montage"
    """Several items made into one film."""
    EACH = "each"
    """Several items, each made into its own video, one after another (a batch)."""


RENDER_KINDS = frozenset({JobKind.UPLOAD, JobKind.EDIT, JobKind.MONTAGE, JobKind.EACH})
"""Jobs that count against the daily render quota (each video a batch delivers counts once)."""


@dataclass(frozen=True)
class JobPayload:
    """The plain data of one job, stored as JSON in its row."""

    kind: JobKind
    text: str = ""
    media: MediaRef | None = None
    lang: str = "en"
    upload_limit: int | None = None
    """The chat's upload limit when the platform's varies by place (see ``Incoming.upload_limit``)."""
    items: tuple[MediaRef, ...] = ()
    """A set's clips and photos, in order (``MONTAGE`` and ``EACH``)."""

    def to_json(self) -> str:
        data: dict[str, object] = {
            "kind": self.kind.value,
            "text": self.text,
            "media": dataclasses.asdict(self.media) if self.media else None,
            "lang": self.lang,
            "upload_limit": self.upload_limit,
        }
        if self.items:  # left out otherwise, as single-clip payloads have always been
            data["items"] = [dataclasses.asdict(item) for item in self.items]
        return json.dumps(
            data,
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> JobPayload:
        """Parse a stored payload; a damaged one raises ``ValueError``."""
        try:
            data = json.loads(text)
            media = MediaRef(**data["media"]) if data.get("media") else None
            limit = data.get("upload_limit")
            return cls(
                kind=JobKind(data["kind"]),
                text=str(data.get("text", "")),
                media=media,
                lang=data["lang"],
                upload_limit=int(limit) if limit is not None else None,
                items=tuple(MediaRef(**item) for item in data.get("items", ())),
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError("damaged job payload") from exc


@dataclass(frozen=True)
class JobResult:
    """What a finished job leaves in its row (``result_json``): the track it picked, or that the
    instruction was not understood. Unset fields are left out of the JSON, as the rows have always been."""

    understood: bool | None = None
    """False when the backend did not understand the instruction; None when it did (or never said)."""
    track: str | None = None
    """The title of the track the job rendered, if it rendered one."""

    def to_json(self) -> str:
        data: dict[str, object] = {}
        if self.understood is not None:
            data["understood"] = self.understood
        if self.track is not None:
            data["track"] = self.track
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> JobResult:
        """Parse a stored result; a damaged one raises ``ValueError``."""
        try:
            data = json.loads(text)
            understood, track = data.get("understood"), data.get("track")
            return cls(
                understood=bool(understood) if understood is not None else None,
                track=str(track) if track is not None else None,
            )
        except (AttributeError, json.JSONDecodeError) as exc:
            raise ValueError("damaged job result") from exc


class RateLimiter:
    """At most ``limit`` events per key within ``window_s`` (a sliding window), so one user cannot fill
    the queue and starve the others. In memory: a restart forgives everyone, which is fine."""

    def __init__(self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float:
        """0 if ``key`` may act now (and the event is counted), else seconds until it may."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window_s:
            events.popleft()
        if len(events) >= self.limit:
            return self.window_s - (now - events[0])
        events.append(now)
        return 0.0
