"""Who we are to NemoVideo: the stable client id, the token, and the token kept on disk.

An anonymous token is kept on disk next to the client id (mode 0600) because the service issues one
per client id per 7 days: without it every restart would hit HTTP 429. The token never goes into a
``repr``, a log line or an exception's text.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings

__all__ = ["RENEW_BEFORE", "Auth", "anonymous_auth", "load_client_id", "read_token", "write_token"]

logger = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(hours=1)
"""Ask for a new anonymous token this long before ``expires_at`` rather than meet a 1001 mid-turn."""


@dataclass(frozen=True)
class Auth:
    """A token and who it belongs to. ``registered``: the operator's NEMO_TOKEN, not an anonymous one."""

    token: str
    user_id: str | None
    registered: bool
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # never let the token reach a log line through a repr
        return f"Auth(user_id={self.user_id!r}, registered={self.registered})"

    def expiring(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at - RENEW_BEFORE


def anonymous_auth(data: Mapping[str, Any]) -> Auth | None:
    """The anonymous token in the payload of ``/api/auth/anonymous-token``, or None if it holds none."""
    token = data.get("token")
    if not isinstance(token, str) or not token:
        return None
    expires = _parse_time(data.get("expires_at"))
    return Auth(token=token, user_id=_str_or_none(data.get("user_id")), registered=False, expires_at=expires)


def load_client_id(settings: Settings) -> str:
    """The stable client id: settings, else the file, else a new uuid written to the file."""
    if settings.nemo_client_id:
        return settings.nemo_client_id.strip()
    path = settings.nemo_client_id_file
    with contextlib.suppress(FileNotFoundError):
        existing = path.read_text("utf-8").strip()
        if existing:
            return existing[:64]
    path.parent.mkdir(parents=True, exist_ok=True)
    made = str(uuid.uuid4())
    path.write_text(made + "\n", "utf-8")
    logger.info("made a new NemoVideo client id in %s", path)
    return made


def read_token(path: Path, client_id: str) -> Auth | None:
    """The anonymous token kept at ``path`` for ``client_id``, if any."""
    try:
        record = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("client_id") != client_id or not record.get("token"):
        return None
    return Auth(
        token=str(record["token"]),
        user_id=_str_or_none(record.get("user_id")),
        registered=False,
        expires_at=_parse_time(record.get("expires_at")),
    )


def write_token(path: Path, client_id: str, auth: Auth) -> None:
    """Owner-only file (0600), written beside and renamed into place."""
    record = {
        "client_id": client_id,
        "token": auth.token,
        "user_id": auth.user_id,
        "expires_at": auth.expires_at.isoformat() if auth.expires_at else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(tmp, path)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
