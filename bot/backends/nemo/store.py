"""Our session ids mapped to Nemo's, on disk so a restart loses nothing.

Layout under ``settings.data_dir / "nemo-sessions"``::

    <id>.json        task/session ids, platform, language, last state snapshot, last render
    <id>/            downloaded renders and uploads' scratch

The engine keeps only our opaque id; a 1002 (session gone) re-maps it to a new Nemo session in place.
Each record is written to a temporary file and renamed, so a crash never leaves half a JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SessionRecord", "SessionStore"]


@dataclass
class SessionRecord:
    id: str
    task_id: str
    nemo_session_id: str
    platform: str
    language: str
    snapshot: dict[str, Any] | None = None
    """The ``state`` object last read (see ``NemoDraft``), or None before any read."""
    last_render: dict[str, Any] | None = field(default=None)
    """``{"fingerprint", "rendered"}`` of the last downloaded render, for export to reuse."""


class SessionStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _check(self, session_id: str) -> None:
        if not session_id or not all(c.isalnum() or c in "-_" for c in session_id):
            raise ValueError(f"bad session id {session_id!r}")

    def folder(self, session_id: str) -> Path:
        self._check(session_id)
        return self.root / session_id

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def load(self, session_id: str) -> SessionRecord | None:
        self._check(session_id)
        try:
            data = json.loads((self.root / f"{session_id}.json").read_text("utf-8"))
        except FileNotFoundError:
            return None
        return SessionRecord(**data)

    def save(self, record: SessionRecord) -> None:
        self._check(record.id)
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{record.id}.json"
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        tmp.write_text(json.dumps(asdict(record), ensure_ascii=False), "utf-8")
        os.replace(tmp, path)

    def delete(self, session_id: str) -> bool:
        """Forget a session: its record and its folder. False when there was nothing (or a bad id)."""
        try:
            self._check(session_id)
        except ValueError:
            return False
        path = self.root / f"{session_id}.json"
        existed = path.exists()
        path.unlink(missing_ok=True)
        shutil.rmtree(self.root / session_id, ignore_errors=True)
        return existed
