"""The backend protocol: the seam between the conversation engine and whoever makes the videos.

The engine speaks only this protocol, so the embedded local pipeline and a remote service (the Nemo
backend, or a distributed task queue later) are interchangeable. A backend session is named by an
opaque string id that the engine keeps in its own session row; all state lives behind it, so a
restart loses nothing. Work is reported as a stream of :data:`BackendEvent` values (plain frozen
dataclasses, no chat-platform types); the engine turns them into chat replies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from bot.language.reasons import PickReason

__all__ = [
    "Backend",
    "BackendEvent",
    "Credits",
    "ExportOptions",
    "LinkUploader",
    "MontageMaker",
    "NotUnderstood",
    "Rendered",
    "Said",
    "SessionState",
    "Stage",
    "Warmable",
]


@dataclass(frozen=True)
class Stage:
    """Work in progress: a stable ``stage`` key (``"analyse"``, ``"match"``, ``"render"``) and a fraction in [0, 1]."""

    stage: str
    fraction: float
    ahead: int | None = None
    """Only for ``"queue"`` (scale-out): how many steps wait before this one for a render worker."""


@dataclass(frozen=True)
class Rendered:
    """A finished video and the facts its caption explains (track, why, tempo, cuts on beat, loudness)."""

    path: Path
    track_title: str
    reason: str
    bpm: float
    cuts_on_beat: int
    cuts_total: int
    loudness_lufs: float
    width: int
    height: int
    duration_s: float
    original_muted: bool
    notes: str = ""
    """What the instruction changed ("another track: …"), empty for a first render or an export."""
    notes_in: dict[str, str] = field(default_factory=dict)
    """``notes`` worded in each language the bot speaks (the engine shows the chat's); empty when the backend
    only has ``notes`` (a cloud agent's answer), which is then shown as it is."""
    why: PickReason | None = None
    """``reason`` as values, worded by the engine in the chat's language; None when the backend only has a
    sentence (a cloud agent's answer), which is then shown as it is."""


@dataclass(frozen=True)
class Said:
    """A sentence for the user that is not the end of the turn's work: a cloud agent's answer (already
    translated from its web-editor wording), or a notice such as "your cloud draft was reset". A stream
    may yield several; one that yields no ``Rendered`` may end with ``Said`` (an edit that changed the
    draft but made no video yet)."""

    text: str


@dataclass(frozen=True)
class NotUnderstood:
    """The instruction was not understood; ``reply`` says what can be asked instead. Nothing changed."""

    reply: str


BackendEvent = Stage | Said | Rendered | NotUnderstood
"""What ``upload``/``instruct``/``use_song``/``export`` streams yield; each ends with a ``Rendered``,
``NotUnderstood`` or ``Said``."""


@runtime_checkable
class SessionState(Protocol):
    """What ``state()`` returns: the local backend's ``Timeline`` or a cloud draft; the engine only shows
    its summary ("Timeline (3 tracks): 1. Video …") and keeps its JSON in the session row."""

    def summary(self, lang: str = "en") -> str:
        """One line for the chat ("status"), in ``lang``."""
        ...

    def to_json(self) -> str: ...


@dataclass(frozen=True)
class Credits:
    """A backend-side balance (e.g. a paid cloud service); ``None`` from ``credits()`` means "none kept"."""

    remaining: int
    limit: int | None = None


@dataclass(frozen=True)
class ExportOptions:
    """How the final file should be made; ``max_size_bytes`` fits it under a platform's upload limit."""

    max_size_bytes: int | None = None


@runtime_checkable
class Backend(Protocol):
    """What both backends implement. Errors are ``bot.errors`` types (``InputRejected`` for the user's
    input, ``RenderFailed``, ``BackendUnavailable``, ``LibraryError``); the engine words them."""

    name: str

    async def open_session(self, *, platform: str = "cli", language: str = "en") -> str:
        """A fresh, empty session for a chat on ``platform`` (``telegram``, ``discord``, ``cli``) whose user
        speaks ``language`` (``en``/``zh``); returns its id. A cloud backend may label its calls with both."""
        ...

    def upload(
        self, session_id: str, media_path: Path, *, prompt: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        """Take the clip at ``media_path`` (the backend copies it; the caller may delete its file) and make
        the first video, with ``prompt`` (the caption) as the mood request."""
        ...

    def instruct(
        self, session_id: str, text: str, *, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        """Apply one instruction to the session's timeline and re-render from the original clip."""
        ...

    def use_song(
        self, session_id: str, song_path: Path, *, title: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        """Make the user's song (any audio, or a video's soundtrack) the music, then re-render."""
        ...

    async def state(self, session_id: str) -> SessionState | None:
        """The session's timeline (or draft), or None before the first upload."""
        ...

    async def credits(self, session_id: str) -> Credits | None:
        """The backend's own balance, or None when it keeps none (the engine's quotas then apply)."""
        ...

    def export(self, session_id: str, options: ExportOptions) -> AsyncIterator[BackendEvent]:
        """The final file: the last render if the timeline has not changed since, else a fresh one."""
        ...

    async def discard(self, session_id: str) -> None:
        """Delete everything kept for a session the engine retired long ago (its clip, renders, mapping).
        Unknown ids are ignored."""
        ...

    async def close(self) -> None:
        """Release workers and connections."""
        ...


@runtime_checkable
class LinkUploader(Protocol):
    """Optional, for a backend that can fetch a public link itself (a cloud service): the clip then never
    passes through this machine. The engine vets the link (public addresses only) before handing it over."""

    def upload_link(
        self, session_id: str, url: str, *, prompt: str | None = None, max_output_bytes: int | None = None
    ) -> AsyncIterator[BackendEvent]:
        """Like ``Backend.upload``, with the service downloading ``url``."""
        ...


@runtime_checkable
class MontageMaker(Protocol):
    """Optional, for a backend that makes one film of several clips and photos (the local one does)."""

    def montage(
        self,
        session_id: str,
        media_paths: Sequence[Path],
        *,
        prompt: str | None = None,
        max_output_bytes: int | None = None,
    ) -> AsyncIterator[BackendEvent]:
        """Take the items at ``media_paths`` (copied; the caller may delete its files) in film order and make
        one film cut on the music's beats, with ``prompt`` as the request ("a 60-second travel montage in
        1080p"). Unusable items are left out and named in the result's ``notes``; later ``instruct`` calls
        edit the film ("shorter, 30 s", "swap 2 and 3", "another track"). A single photo makes a short film."""
        ...


@runtime_checkable
class Warmable(Protocol):
    """Optional: a backend that can get ready before its first job (worker processes started, their imports
    done and the music library loaded), so the first user does not wait for it."""

    async def warm(self) -> None:
        """Get ready; safe to call more than once and to cancel."""
        ...
