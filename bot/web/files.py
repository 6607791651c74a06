"""Where the web server keeps files, and how an uploaded file reaches a job like any chat attachment.

::

    <data dir>/web/uploads/<random>.part   an upload in progress (its name is in the link's row)
    <data dir>/web/uploads/<random>.<ext>  a finished upload, until its job has fetched it (kept for a
                                           restarted job; deleted when its link's row expires)
    <data dir>/web/downloads/<random>.mp4  a full-quality result, until its download link expires

A finished upload enters the engine as a ``MediaRef`` whose ``file_id`` is :data:`UPLOAD_PREFIX` + its
name; :func:`take_upload` (called by ``adapters.files.fetch_media``, the one way media is fetched) copies
it into the job's folder, so the job path is the one every chat attachment takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path

from bot.config import Settings
from bot.engine.messages import MediaRef
from bot.errors import InputRejected

__all__ = [
    "UPLOAD_PREFIX",
    "downloads_dir",
    "is_web_upload",
    "keep_for_download",
    "new_upload_path",
    "remove_files",
    "take_upload",
    "upload_file_id",
    "uploads_dir",
]

UPLOAD_PREFIX = "musiccog-web:"
"""``MediaRef.file_id`` of a file that came through the upload page (no platform file id looks like it)."""
_NAME_RE = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{1,5}")


def uploads_dir(settings: Settings) -> Path:
    return settings.web_dir / "uploads"


def downloads_dir(settings: Settings) -> Path:
    return settings.web_dir / "downloads"


def new_upload_path(settings: Settings) -> Path:
    """A fresh ``.part`` file name for an upload (not created yet)."""
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{secrets.token_hex(16)}.part"


def upload_file_id(path: Path) -> str:
    return UPLOAD_PREFIX + path.name


def is_web_upload(media: MediaRef) -> bool:
    return media.file_id is not None and media.file_id.startswith(UPLOAD_PREFIX)


async def take_upload(media: MediaRef, folder: Path, settings: Settings) -> Path:
    """The uploaded file of ``media`` copied into ``folder`` (``input.<ext>``), as a chat download would be."""
    assert media.file_id is not None
    name = media.file_id.removeprefix(UPLOAD_PREFIX)
    source = uploads_dir(settings) / name
    if not _NAME_RE.fullmatch(name) or not source.is_file():  # only our own names; never a path from outside
        raise InputRejected("web_page_bad_link")
    target = folder / f"input{source.suffix}"
    await asyncio.to_thread(_link_or_copy, source, target)
    return target


async def keep_for_download(path: Path, settings: Settings) -> Path:
    """A copy of ``path`` under the downloads folder (a hard link where the disk allows: no bytes copied)."""
    folder = downloads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(16)}{path.suffix.lower() or '.mp4'}"
    await asyncio.to_thread(_link_or_copy, path, target)
    return target


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def remove_files(paths: list[Path], settings: Settings) -> None:
    """Delete files the web server kept (only inside its own folder)."""
    root = settings.web_dir.resolve()
    for path in paths:
        with contextlib.suppress(OSError):
            if path.resolve().is_relative_to(root):
                path.unlink(missing_ok=True)
