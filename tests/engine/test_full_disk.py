"""A full disk, for real: the local backend's sessions folder is a small tmpfs mounted for the test (the test
runs as root here; elsewhere it is skipped with the reason). Real engine, real SQLite, the real pipeline in a
real spawn pool.

- while the upload is copied into the session: the job fails with a sentence, no half-written ``source.*``
  is left, the operator reads one clear line (no trace), and the next chat is served;
- while rendering (room for the upload, not for the video): the same, and no partial video is left.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import Error, Incoming, MediaRef, Reply, Video
from bot.media.library import load_library
from bot.sessions import SessionStore
from tests.mediagen import make_clip, with_grain

DISK_KIB = 1536


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A data dir whose ``local-sessions`` folder is a 1.5 MB tmpfs (unmounted afterwards)."""
    data = tmp_path / "data"
    sessions = data / "local-sessions"
    sessions.mkdir(parents=True)
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("filling a disk needs a small tmpfs: run as root where mounting is permitted")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_KIB}k,mode=0755", "tmpfs", str(sessions)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode(errors='replace').strip()})")
    try:
        yield data
    finally:
        subprocess.run(["umount", "-l", str(sessions)], check=False)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("disk-clips")
    noisy = with_grain("testsrc2=s=640x360:r=30:d=4", strength=60)
    return {
        "big": make_clip(root / "big.mp4", duration_s=4.0, video_source=noisy, video_args=("-crf", "12")),
        "small": make_clip(root / "small.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,)),
    }


def _upload(chat: str, file_id: str) -> Incoming:
    return Incoming("telegram", chat, f"u{chat}", text="calm", media=MediaRef(kind="video", file_id=file_id))


async def _all(replies: AsyncIterator[Reply]) -> list[Reply]:
    return [reply async for reply in replies]


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def _fill(folder: Path, leave_bytes: int) -> None:
    """A ballast file that leaves about ``leave_bytes`` free on ``folder``'s filesystem."""
    free = shutil.disk_usage(folder).free
    (folder / "ballast").write_bytes(b"\0" * max(0, free - leave_bytes))


def _disk_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and "disk space" in r.getMessage()]


def test_a_full_disk_fails_the_job_with_a_sentence_and_leaves_nothing_half_written(
    small_disk: Path,
    tmp_path: Path,
    pool: ProcessPoolExecutor,
    clips: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sessions = small_disk / "local-sessions"
    assert clips["big"].stat().st_size > DISK_KIB * 1024, "the big clip must not fit on the small disk"
    load_library(Settings(data_dir=small_disk))
    settings = Settings(
        data_dir=small_disk,
        workers=1,
        engine_db_path=tmp_path / "sessions.sqlite3",
        temp_dir=tmp_path / "tmp",
        collect_quiet_s=0.0,
    )

    async def fetch(media: MediaRef, folder: Path) -> Path:
        assert media.file_id is not None
        return Path(shutil.copyfile(clips[media.file_id], folder / f"{media.file_id}.mp4"))

    async def scenario() -> None:
        store = await SessionStore.open(settings.engine_db)
        engine = Engine(settings, store, LocalBackend(settings, executor=pool), fetch_media=fetch)
        try:
            caplog.set_level(logging.INFO)
            # 1. copying the upload into the session fills the disk
            replies = await _all(engine.handle(_upload("A", "big")))
            failed = replies[-1]
            assert isinstance(failed, Error) and "out of disk space" in failed.text, replies
            assert not [name for name in _files(sessions) if "source" in name], _files(sessions)
            lines = _disk_lines(caplog)
            assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]
            assert not [r for r in caplog.records if r.exc_info is not None]  # no traceback for the operator

            # 2. the next chat is served
            served = await _all(engine.handle(_upload("B", "small")))
            assert isinstance(served[-1], Video) and served[-1].path.is_file(), served
            rendered = served[-1].path.stat().st_size

            # 3. room for the upload but not for the video: the render fails, no partial video is left
            caplog.clear()
            before = set(_files(sessions))
            _fill(sessions, leave_bytes=clips["small"].stat().st_size + rendered // 4 + 16 * 1024)
            replies = await _all(engine.handle(_upload("C", "small")))
            failed = replies[-1]
            assert isinstance(failed, Error) and "out of disk space" in failed.text, replies
            new = {name: size for name, size in _files(sessions).items() if name not in before and name != "ballast"}
            assert not [name for name in new if name.endswith(".mp4") and "/renders/" in f"/{name}"], new
            lines = _disk_lines(caplog)
            assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]

            # 4. space freed: served again
            (sessions / "ballast").unlink()
            served = await _all(engine.handle(_upload("C", "small")))
            assert isinstance(served[-1], Video), served
            rows = [(j.chat_id, j.state.value) for j in await store.session_jobs((await _session(store, "C")).id)]
            assert rows == [("C", "failed"), ("C", "done")]
        finally:
            await engine.close()
            await store.close()

    asyncio.run(scenario())


async def _session(store: SessionStore, chat: str) -> Any:
    session = await store.current_session("telegram", chat)
    assert session is not None
    return session
