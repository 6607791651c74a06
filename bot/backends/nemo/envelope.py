"""What the NemoVideo Skill API answers: the envelope decoded, and error codes as the project's exceptions.

Exceptions, as they leave the package::

    NemoApiError (internal)   a decoded error answer; never leaves the package
    SessionNotFound           1002: the caller makes a new session (a BackendUnavailable, so a stray
                              one still reads "service unavailable")
    TurnDropped               the /run_sse connection broke after the turn may have started
    BackendRefused            2001 out of credits, HTTP 402 export blocked
    InputRejected             4001 unsupported file, 4002 too large
    BackendUnavailable        network, 5xx, 429 twice, a refused token, anything unexpected

Why one decoder (docs/nemo-protocol §1, §9): the envelope has three shapes (``code``, ``success``,
bare). An error's ``message`` is never shown to the user: what they read is a phrase of
:mod:`bot.language` (``nemo_*``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from bot.backends.nemo.identity import Auth
from bot.errors import BackendRefused, BackendUnavailable, InputRejected

__all__ = [
    "ALL_EXTENSIONS",
    "AUDIO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "REGISTER_URL",
    "VIDEO_EXTENSIONS",
    "NemoApiError",
    "ServiceError",
    "SessionNotFound",
    "TurnDropped",
    "decode",
    "to_error",
    "unwrap",
]

logger = logging.getLogger(__name__)

REGISTER_URL = "https://nemovideo.com/register"
VIDEO_EXTENSIONS = ("mp4", "mov", "avi", "webm", "mkv")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp")
AUDIO_EXTENSIONS = ("mp3", "wav", "m4a", "aac")
ALL_EXTENSIONS = VIDEO_EXTENSIONS + IMAGE_EXTENSIONS + AUDIO_EXTENSIONS

_CODE_TOKEN = 1001
_CODE_SESSION = 1002
_CODE_CREDITS = 2001
_CODE_FORMAT = 4001
_CODE_TOO_LARGE = 4002
_AUTH_CODES = frozenset({_CODE_TOKEN, 1010, 1011})


class NemoApiError(Exception):
    """A decoded error answer: HTTP status, the body's code (if any) and its message (never shown)."""

    def __init__(self, *, status: int, code: int | None, message: str) -> None:
        super().__init__(f"NemoVideo error (HTTP {status}, code {code})")
        self.status = status
        self.code = code
        self.message = message

    @property
    def is_auth(self) -> bool:
        return self.code in _AUTH_CODES or (self.status == 401 and self.code is None)


class SessionNotFound(BackendUnavailable):
    """The Nemo session is gone (1002); the backend opens a new one."""


class ServiceError(BackendUnavailable):
    """Any other refusal, with the HTTP status and body code for callers that must tell them apart."""

    def __init__(self, text: str, *, status: int, code: int | None) -> None:
        super().__init__(text)
        self.status = status
        self.code = code


class TurnDropped(BackendUnavailable):
    """The agent stream broke after the turn may have started: never re-send it, read the state instead."""


def decode(response: httpx.Response) -> dict[str, Any]:
    """The body of a successful answer, or :class:`NemoApiError` (the CLI's rules, §1)."""
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if response.is_success and body is not None:
            return {"data": body}
        raise NemoApiError(status=response.status_code, code=None, message=response.reason_phrase)
    code = body.get("code")
    message = str(body.get("message") or body.get("msg") or body.get("error") or response.reason_phrase or "")
    numeric = code if isinstance(code, int) else (int(code) if isinstance(code, str) and code.isdigit() else None)
    if not response.is_success:
        raise NemoApiError(status=response.status_code, code=numeric or None, message=message)
    if (numeric is not None and numeric != 0) or body.get("success") is False:
        raise NemoApiError(status=response.status_code, code=numeric, message=message)
    return body


def unwrap(body: Mapping[str, Any]) -> dict[str, Any]:
    """The payload: ``data`` if present, else the body itself."""
    data = body.get("data")
    return dict(data) if isinstance(data, Mapping) else dict(body)


def to_error(err: NemoApiError, auth: Auth | None) -> Exception:
    """The project exception for a decoded error (§9); ``auth`` (if known) words the registration links."""
    logger.warning("NemoVideo refused a call: HTTP %d, code %s", err.status, err.code)
    if err.code == _CODE_SESSION:
        return SessionNotFound("NemoVideo session not found")
    if err.code == _CODE_CREDITS:
        if auth is not None and not auth.registered and auth.user_id:
            return BackendRefused("nemo_free_credits_used_up", link=f"{REGISTER_URL}?bind={auth.user_id}")
        return BackendRefused("nemo_out_of_credits")
    if err.code == _CODE_FORMAT:
        return InputRejected(
            "nemo_unsupported_file",
            video_formats=", ".join(VIDEO_EXTENSIONS),
            image_formats=", ".join(IMAGE_EXTENSIONS),
            audio_formats=", ".join(AUDIO_EXTENSIONS),
        )
    if err.code == _CODE_TOO_LARGE:
        return InputRejected("nemo_file_too_large")
    if err.status == 402:
        link = f"{REGISTER_URL}?bind={auth.user_id}" if auth is not None and auth.user_id else REGISTER_URL
        return BackendRefused("nemo_export_needs_account", link=link)
    if err.is_auth:
        return ServiceError("NemoVideo refused the access token", status=401, code=err.code)
    if err.status == 429:
        return ServiceError("NemoVideo is rate limiting us", status=429, code=err.code)
    return ServiceError(f"NemoVideo answered HTTP {err.status} (code {err.code})", status=err.status, code=err.code)
