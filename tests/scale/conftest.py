"""Fixtures for scale-out mode: an S3 API server on loopback (moto) and ``musiccog worker`` processes started
and killed by the tests. PostgreSQL is the whole suite's: ``postgres_server`` (one per test session) and
``postgres_url`` (a fresh database per test) from ``tests/conftest.py``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.media.library import load_library

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API (moto's server) on a free loopback port, with throwaway credentials in the environment."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    previous = {
        name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class CliProcess:
    """``python -m bot.cli ARGS`` in a process group of its own (so its pool and FFmpeg go with it), its output
    in ``log`` (appended to with ``append``: a restarted bot writes on in the same log)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, *, append: bool = False) -> None:
        self.log = log
        self._handle = log.open("ab" if append else "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=REPO,
            env=env,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def kill(self) -> None:
        """SIGKILL the process and everything it started (its process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Killed if still running, and its log closed (the tests' fixtures call it at the end)."""
        self.kill()
        self._handle.close()


class WorkerProcess(CliProcess):
    """One ``musiccog worker``."""

    def __init__(self, env: dict[str, str], log: Path, concurrency: int = 1) -> None:
        super().__init__(["-v", "worker", "--concurrency", str(concurrency)], env, log)

    def wait_for(self, needle: str, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while needle not in self.text():
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited ({self.process.returncode}):\n{self.text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker never said {needle!r}:\n{self.text()[-3000:]}")
            time.sleep(0.1)


def shared_env(
    postgres_url: str, storage: str | Path, *, data_dir: Path | None = None, stalled_s: float = 4.0
) -> dict[str, str]:
    """What the bots and workers of a test share: the database, the storage (a folder or an s3:// URL) and (for
    the end-to-end tests) the data dir; a one-second heartbeat and a worker taken for dead after ``stalled_s``."""
    env = {
        "MUSICCOG_DATABASE_URL": postgres_url,
        "MUSICCOG_STORAGE": str(storage),
        "MUSICCOG_WORKER_HEARTBEAT_S": "1",
        "MUSICCOG_WORKER_STALLED_S": f"{stalled_s:g}",
    }
    return env if data_dir is None else {"MUSICCOG_DATA_DIR": str(data_dir), **env}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose library is loaded, shared by the bot and worker processes of the end-to-end tests."""
    path = tmp_path_factory.getbasetemp() / "musiccog-data"
    load_library(Settings(data_dir=path))
    return path


@pytest.fixture
def bots() -> Iterator[list[CliProcess]]:
    """``musiccog telegram`` processes the test starts (each served by the fake Bot API), killed at the end."""
    started: list[CliProcess] = []
    yield started
    for bot in started:
        bot.stop()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[object]:
    started: list[WorkerProcess] = []

    def start(env: dict[str, str], concurrency: int = 1) -> WorkerProcess:
        index = len(started) + 1
        worker_env = {**os.environ, **env, "MUSICCOG_TEMP_DIR": str(tmp_path / f"worker{index}-tmp")}
        worker = WorkerProcess(worker_env, tmp_path / f"worker{index}.log", concurrency)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
