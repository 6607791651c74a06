"""A throwaway PostgreSQL server for the tests: its own data folder, a free loopback port, no Unix socket. The one
helper of the whole suite (the ``postgres_server``/``postgres_url`` fixtures in ``tests/conftest.py``): the chat
state's tests, the scale-out ones (``tests/scale``: the task queue, render workers, their restart test).

``PostgresServer.start()`` runs ``initdb`` (trust authentication, user ``postgres``) and ``postgres`` from the
PATH (or Debian's ``/usr/lib/postgresql/<version>/bin``); ``database()`` makes a fresh database and returns
its URL; ``stop()``/``start()`` again keep the data (a restart, for reconnect tests); ``close()`` removes
everything. PostgreSQL refuses to run as root, so under root the server runs as ``nobody`` in a folder
made for it under the system temp dir (pytest's own temp folders are not readable by other users).
Fsync is off (the data is thrown away anyway; a crash of the server alone loses nothing, as commits still reach
the operating system).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

__all__ = ["PostgresServer", "find_bin_dir"]

_UNPRIVILEGED_USER = "nobody"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server on 127.0.0.1 for one test session (see the module doc)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        # under root the server's user must reach its folder: /tmp, not a private TMPDIR
        parent = "/tmp" if self._as_root and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="musiccog-pg-", dir=parent))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        if self._as_root:
            os.chown(self.root, *self._unprivileged_ids())
        self._initdb()

    @staticmethod
    def _unprivileged_ids() -> tuple[int, int]:
        import pwd

        entry = pwd.getpwnam(_UNPRIVILEGED_USER)
        return entry.pw_uid, entry.pw_gid

    def _run_as(self) -> dict[str, object]:
        """``Popen`` arguments that drop root (no-op otherwise)."""
        if not self._as_root:
            return {}
        uid, gid = self._unprivileged_ids()
        return {"user": uid, "group": gid, "extra_groups": []}

    def _initdb(self) -> None:
        command = [str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        command += ["-E", "UTF8", "--locale=C", "--no-sync"]
        result = subprocess.run(command, capture_output=True, cwd=self.root, check=False, **self._run_as())  # type: ignore[call-overload]
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.decode(errors='replace')[-2000:]}")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 30.0) -> None:
        """Start (or start again) the server and wait until it accepts connections."""
        if self.running:
            return
        command = [str(self.bin_dir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port)]
        command += ["-k", "", "-F", "-c", "full_page_writes=off"]
        command += ["-c", "max_connections=200", "-c", "shared_buffers=32MB"]
        log = self.log.open("ab")
        try:
            self._process = subprocess.Popen(  # type: ignore[call-overload]
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.root, **self._run_as()
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout_s
        while not self._accepts():
            if not self.running:
                raise RuntimeError(f"postgres exited: {self.log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not start in time")
            time.sleep(0.05)

    def _accepts(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (clients disconnected, clean) or ``immediate`` (like a crash)."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT if mode == "fast" else signal.SIGQUIT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
