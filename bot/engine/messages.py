"""What crosses the adapter ↔ engine boundary: ``Incoming`` in, ``Reply`` events out.

Everything here is a small frozen dataclass of plain values, so the same objects serve Telegram and
Discord, can be logged without leaking platform objects, and pickle cleanly into worker processes.
Button ids are namespaced (``mc:…``) so that persistent Discord views and Telegram callback data from
other features never collide with ours, and a button from an old message still routes after a restart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.language import say
from bot.language.intents import SetChoice

__all__ = [
    "BUTTON_ANOTHER",
    "BUTTON_EACH",
    "BUTTON_EXPORT",
    "BUTTON_KEEP_ORIGINAL",
    "BUTTON_LOUDER",
    "BUTTON_MUTE_ORIGINAL",
    "BUTTON_ONE_FILM",
    "BUTTON_QUIETER",
    "Button",
    "Error",
    "ErrorKind",
    "Fact",
    "Incoming",
    "MediaKind",
    "MediaRef",
    "Progress",
    "Reply",
    "Text",
    "Video",
    "button_label",
    "new_error_id",
    "result_buttons",
    "set_buttons",
]

MediaKind = Literal["video", "audio", "document", "animation", "voice", "link", "photo"]
_MEDIA_KINDS: frozenset[str] = frozenset({"video", "audio", "document", "animation", "voice", "link", "photo"})

ErrorKind = Literal["input", "busy", "quota", "backend", "render", "internal"]
"""Who must act: the user (``input``, ``busy``, ``quota``), the operator (``backend``) or us (the rest)."""


@dataclass(frozen=True)
class MediaRef:
    """A file the user attached (platform ``file_id``) or linked (``url``); nothing is downloaded yet.

    Exactly one of ``file_id`` and ``url`` is set: ``kind == "link"`` always carries a URL, every other
    kind a platform file id. ``size_bytes`` is what the platform reported, if anything (used to refuse
    oversize files before downloading them).
    """

    kind: MediaKind
    file_id: str | None = None
    url: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in _MEDIA_KINDS:
            raise ValueError(f"unknown media kind {self.kind!r}")
        if (self.file_id is None) == (self.url is None):
            raise ValueError("a MediaRef needs exactly one of file_id and url")
        if (self.kind == "link") != (self.url is not None):
            raise ValueError("links carry a url; attached files carry a file_id")
        if self.size_bytes is not None and self.size_bytes < 0:
            raise ValueError("size_bytes cannot be negative")


@dataclass(frozen=True)
class Incoming:
    """One user event, already stripped of platform types: a message, a file, or a button press.

    ``language`` is the platform's hint (Telegram ``language_code``, Discord ``locale``), if any.
    ``upload_limit`` is the largest file the platform accepts in this chat when it varies by place (a
    Discord guild's boost level); it overrides the platform-wide limit given to ``Engine.attach``.

    Several items at once: ``extra_media`` are the attachments after ``media`` in one message (Discord
    carries up to 10); ``group_id`` is the album the message belongs to (Telegram's ``media_group_id``:
    one album arrives as several messages sharing it); ``choice`` is what a command already chose for them
    (Discord's ``/montage``: one film).
    """

    platform: str
    chat_id: str
    user_id: str
    text: str | None = None
    media: MediaRef | None = None
    button: str | None = None
    language: str | None = None
    upload_limit: int | None = None
    extra_media: tuple[MediaRef, ...] = ()
    group_id: str | None = None
    choice: SetChoice | None = None

    def __post_init__(self) -> None:
        if self.extra_media and self.media is None:
            raise ValueError("extra_media come after media")

    @property
    def all_media(self) -> tuple[MediaRef, ...]:
        """Every item this event carries, in the order sent."""
        return (self.media, *self.extra_media) if self.media is not None else ()


@dataclass(frozen=True)
class Button:
    """An inline button: ``id`` comes back in ``Incoming.button``; ``label`` is shown."""

    id: str
    label: str


BUTTON_ANOTHER = "mc:another"
BUTTON_QUIETER = "mc:quieter"
BUTTON_LOUDER = "mc:louder"
BUTTON_MUTE_ORIGINAL = "mc:mute"
BUTTON_KEEP_ORIGINAL = "mc:keep"
BUTTON_EXPORT = "mc:export"
BUTTON_ONE_FILM = "mc:set:film"
BUTTON_EACH = "mc:set:each"

_BUTTON_PHRASES: dict[str, str] = {
    BUTTON_ANOTHER: "engine_button_another",
    BUTTON_QUIETER: "engine_button_quieter",
    BUTTON_LOUDER: "engine_button_louder",
    BUTTON_MUTE_ORIGINAL: "engine_button_mute_original",
    BUTTON_KEEP_ORIGINAL: "engine_button_keep_original",
    BUTTON_EXPORT: "engine_button_export",
    BUTTON_ONE_FILM: "engine_button_one_film",
    BUTTON_EACH: "engine_button_each",
}
"""Each standard button's label, as a phrase of :mod:`bot.language`."""


def button_label(button_id: str, lang: str = "en") -> str:
    """The label of a standard button in ``lang`` (English for a language without it)."""
    return say(_BUTTON_PHRASES[button_id], lang)


def result_buttons(lang: str = "en", *, original_muted: bool = False) -> tuple[Button, ...]:
    """The keyboard under a finished video; the original-audio button offers the opposite of the current state."""
    toggle = BUTTON_KEEP_ORIGINAL if original_muted else BUTTON_MUTE_ORIGINAL
    ids = (BUTTON_ANOTHER, BUTTON_QUIETER, BUTTON_LOUDER, toggle, BUTTON_EXPORT)
    return tuple(Button(button_id, button_label(button_id, lang)) for button_id in ids)


def set_buttons(lang: str = "en") -> tuple[Button, ...]:
    """The question under several items: one film of them all, or each one separately."""
    return tuple(Button(button_id, button_label(button_id, lang)) for button_id in (BUTTON_ONE_FILM, BUTTON_EACH))


@dataclass(frozen=True)
class Progress:
    """Work in progress: ``stage`` is a stable key (e.g. ``"analyse"``), ``fraction`` in [0, 1], ``text`` shown."""

    stage: str
    fraction: float
    text: str
    lang: str = "en"
    """The language ``text`` is in (adapters word anything they add, e.g. "still working", in it too)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")


@dataclass(frozen=True)
class Text:
    """A plain message to the user; ``buttons`` (if any) go under it (a question such as "one film or each?")."""

    text: str
    lang: str = "en"
    buttons: tuple[Button, ...] = ()
    delivery_id: int | None = field(default=None, compare=False, repr=False)
    """Set on a job's last reply: the adapter says whether it showed it (``Engine.delivered``/``undelivered``),
    so a result the platform refused is retried from the job row instead of lost."""


@dataclass(frozen=True)
class Fact:
    """One number under a result: ``label`` names it (a Discord embed field), ``value`` says it; ``inline``
    is how the one-line caption writes it when that differs ("96 BPM" for a field "BPM" = "96")."""

    label: str
    value: str
    inline: str = ""

    @property
    def text(self) -> str:
        return self.inline or self.value


@dataclass(frozen=True)
class Video:
    """A finished MP4 to send; sizes let Telegram show a proper player.

    ``caption`` is the whole explanation as plain text (Telegram); ``title`` (the track), ``description``
    (what changed, why it fits) and ``facts`` are the same in parts, for platforms that lay them out (a
    Discord embed), so no adapter has to parse the caption back.
    """

    path: Path
    caption: str
    buttons: tuple[Button, ...] = ()
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    title: str = ""
    description: str = ""
    facts: tuple[Fact, ...] = ()
    lang: str = "en"
    delivery_id: int | None = field(default=None, compare=False, repr=False)
    """Set on a job's last reply: the adapter says whether it showed it (``Engine.delivered``/``undelivered``),
    so a result the platform refused is retried from the job row instead of lost."""


@dataclass(frozen=True)
class Error:
    """A failure told as one plain sentence; ``error_id`` is the short id also written in the log."""

    kind: ErrorKind
    text: str
    error_id: str
    lang: str = "en"
    delivery_id: int | None = field(default=None, compare=False, repr=False)
    """Set on a job's last reply: the adapter says whether it showed it (``Engine.delivered``/``undelivered``),
    so a result the platform refused is retried from the job row instead of lost."""


Reply = Progress | Text | Video | Error
"""Every event the engine yields to an adapter."""


def new_error_id() -> str:
    """A short random id (8 hex chars) that a user can quote and an operator can grep the log for."""
    return secrets.token_hex(4)
