"""The links' tokens, kept in the engine's database (the ``web_links`` table; its SQL is in ``bot.store``).

A token is 256 random bits (``secrets.token_urlsafe(32)``); only its SHA-256 is stored, so a copy of the
database opens no link. Each row binds its token to one chat (platform, chat id, user) and carries its
expiry; an upload link is spent (``used_at``) the moment its upload is complete, by one conditional
``UPDATE … RETURNING``, so two racing requests cannot both spend it. A download link names one file and
answers any number of (range) requests until it expires: a phone seeking in a video asks many times.

The table lives in the chat-state database (``Settings.sessions_database``: the SQLite file, or PostgreSQL
when several bot processes share one), opened through ``bot.database`` like the session store's, but on a
connection of its own: the web server reads and writes tokens on every request while the engine's
connection serialises its transactions under one lock (SQLite in WAL mode takes two connections happily).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.database import Database, open_database
from bot.store import (
    COUNT_RECENT_WEB_LINKS,
    DELETE_EXPIRED_WEB_LINKS,
    INSERT_WEB_LINK,
    SELECT_EXPIRED_WEB_LINKS,
    SELECT_WEB_LINK,
    START_WEB_UPLOAD,
    USE_WEB_LINK,
    WEB_LINKS_SCHEMA,
)

__all__ = ["TOKEN_BYTES", "LinkKind", "LinkStore", "WebLink", "looks_like_token"]

LinkKind = Literal["upload", "download"]
TOKEN_BYTES = 32
"""256 bits of randomness per token (the issue asks for at least 128)."""
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has a token's shape (checked before any database lookup)."""
    return _TOKEN_RE.fullmatch(text) is not None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class WebLink:
    """One link's row: whose it is, what it holds and until when."""

    kind: LinkKind
    platform: str
    chat_id: str
    user_id: str
    lang: str
    file_path: str | None
    file_name: str | None
    size_bytes: int | None
    caption: str | None
    """The words typed on the upload page (the message's caption, as it were)."""
    created_at: float
    expires_at: float
    used_at: float | None


def _link(row: Any) -> WebLink:
    return WebLink(
        kind=row["kind"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        lang=row["lang"],
        file_path=row["file_path"],
        file_name=row["file_name"],
        size_bytes=row["size_bytes"],
        caption=row["caption"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
    )


class LinkStore:
    """Minting, finding and spending tokens. Open with ``await LinkStore.open(path)``."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.clock = clock

    @classmethod
    async def open(cls, target: Path | str, *, clock: Callable[[], float] = time.time) -> LinkStore:
        """``target``: an SQLite file or a ``postgresql://`` URL (``Settings.sessions_database``)."""
        db = await open_database(target)
        try:
            await db.create_schema(WEB_LINKS_SCHEMA, ())
        except BaseException:
            await db.close()
            raise
        return cls(db, clock=clock)

    async def close(self) -> None:
        await self._db.close()

    async def _one(self, sql: str, params: dict[str, Any]) -> Any:
        return await self._db.one(sql, params)

    async def mint(
        self,
        kind: LinkKind,
        *,
        platform: str,
        chat_id: str,
        user_id: str,
        lang: str,
        ttl_s: float,
        file_path: Path | None = None,
        file_name: str | None = None,
        size_bytes: int | None = None,
    ) -> str:
        """A fresh token for one chat, valid for ``ttl_s``; the token itself is returned, never stored."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self.clock()
        await self._one(
            INSERT_WEB_LINK,
            {
                "token_hash": _hash(token),
                "kind": kind,
                "platform": platform,
                "chat_id": chat_id,
                "user_id": user_id,
                "lang": lang,
                "file_path": str(file_path) if file_path is not None else None,
                "file_name": file_name,
                "size_bytes": size_bytes,
                "now": now,
                "expires_at": now + ttl_s,
            },
        )
        return token

    async def find(self, token: str, kind: LinkKind, *, spent: bool = False) -> WebLink | None:
        """The link if ``token`` is one of ``kind``, unexpired and unspent (``spent``: spent and still kept);
        else None (all the same to callers)."""
        if not looks_like_token(token):
            return None
        row = await self._one(SELECT_WEB_LINK, {"token_hash": _hash(token)})
        if row is None:
            return None
        link = _link(row)
        if link.kind != kind or (link.used_at is not None) != spent or link.expires_at <= self.clock():
            return None
        return link

    async def start_upload(
        self, token: str, *, file_path: Path, file_name: str, size_bytes: int, caption: str
    ) -> WebLink | None:
        """Record (or restart) the upload this unspent upload link is for; None when the link is no good."""
        row = await self._one(
            START_WEB_UPLOAD,
            {
                "token_hash": _hash(token),
                "file_path": str(file_path),
                "file_name": file_name,
                "size_bytes": size_bytes,
                "caption": caption,
                "now": self.clock(),
            },
        )
        return _link(row) if row is not None else None

    async def spend(self, token: str, *, keep_s: float, file_path: Path | None = None) -> WebLink | None:
        """Spend the link (once: a second call gets None); its row and file (renamed to ``file_path``, if
        given) are kept ``keep_s`` longer, for a job that restarts."""
        now = self.clock()
        params = {
            "token_hash": _hash(token),
            "now": now,
            "keep_until": now + keep_s,
            "file_path": str(file_path) if file_path is not None else None,
        }
        row = await self._one(USE_WEB_LINK, params)
        return _link(row) if row is not None else None

    async def recent_count(self, kind: LinkKind, platform: str, chat_id: str, *, within_s: float) -> int:
        """How many links of ``kind`` the chat was given in the last ``within_s`` seconds."""
        params = {"kind": kind, "platform": platform, "chat_id": chat_id, "since": self.clock() - within_s}
        row = await self._one(COUNT_RECENT_WEB_LINKS, params)
        return int(row[0]) if row is not None else 0

    async def expire(self) -> list[Path]:
        """Delete the expired rows; return the files they held, for the caller to delete."""
        now = {"now": self.clock()}
        paths = [Path(row[0]) for row in await self._db.all(SELECT_EXPIRED_WEB_LINKS, now)]
        await self._db.run(DELETE_EXPIRED_WEB_LINKS, now)
        return paths
