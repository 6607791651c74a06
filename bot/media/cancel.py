"""Stopping work that runs in a worker process when its job is cancelled.

A process-pool future cannot be interrupted from the event loop, so the backend names a marker file
for each piece of work and creates it on cancellation (:func:`watching` installs it in the worker).
The long steps look at it: FFmpeg is polled while it runs and killed (:func:`run_process`), and loops
call :func:`check` between units of work. The worker is then free for the next job within a fraction
of a second instead of finishing an encode nobody will see.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from bot.errors import MusicCogError, RenderFailed

__all__ = [
    "POLL_S",
    "Cancelled",
    "check",
    "kill_children_on_terminate",
    "requested",
    "run_ffmpeg",
    "run_process",
    "watching",
]

logger = logging.getLogger(__name__)

POLL_S = 0.25  # how often a running FFmpeg is checked for a cancellation

_children: set[subprocess.Popen[bytes]] = set()  # running now in this process, killed with it (below)
_current = threading.local()  # per thread, in case the pool given to the backend is a thread pool


class Cancelled(MusicCogError):
    """The job this work belongs to was cancelled; its result would be dropped anyway."""


@contextmanager
def watching(marker: Path | None) -> Iterator[None]:
    """Within the block, work is cancelled as soon as ``marker`` exists."""
    previous: Path | None = getattr(_current, "marker", None)
    _current.marker = marker
    try:
        yield
    finally:
        _current.marker = previous


def requested() -> bool:
    marker: Path | None = getattr(_current, "marker", None)
    return marker is not None and marker.exists()


def check() -> None:
    """Raise :class:`Cancelled` when the current work's job was cancelled."""
    if requested():
        raise Cancelled("cancelled")


def run_process(
    args: Sequence[str], *, stdin: bytes | None, timeout_s: float, env: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    """Run ``args`` to completion (stdin fed, stdout discarded) → (exit code, stderr).

    Like ``subprocess.run(..., timeout=timeout_s)``, but the process is killed as soon as a
    cancellation is requested (:class:`Cancelled`). ``subprocess.TimeoutExpired`` past ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    with subprocess.Popen(
        list(args), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    ) as proc:
        # communicate() runs in a thread and this one watches: a communicate() retried after a timeout
        # stops feeding stdin (CPython registers stdin for writing only when given input, which a retry
        # may not be), and killing the process ends the thread's communicate() at once
        _children.add(proc)
        stderr: list[bytes] = []
        talker = threading.Thread(target=lambda: stderr.append(proc.communicate(stdin or b"")[1]), daemon=True)
        talker.start()
        try:
            while talker.is_alive():
                talker.join(POLL_S)
                stopped = requested()
                if talker.is_alive() and (stopped or time.monotonic() >= deadline):
                    proc.kill()
                    talker.join()
                    if stopped:
                        raise Cancelled("cancelled")
                    raise subprocess.TimeoutExpired(list(args), timeout_s)
            return proc.wait(), stderr[0] if stderr else b""
        finally:
            _children.discard(proc)
            if proc.poll() is None:  # leaving early for any other reason: never leave FFmpeg running
                proc.kill()


def run_ffmpeg(
    args: Sequence[str], *, stdin: bytes | None, timeout_s: float, env: Mapping[str, str] | None, doing: str
) -> None:
    """:func:`run_process` for FFmpeg: a failure or a timeout is ``RenderFailed`` with a sentence about
    ``doing`` ("Rendering the video"), the last lines of FFmpeg's complaint go to the log."""
    try:
        returncode, stderr = run_process(args, stdin=stdin, timeout_s=timeout_s, env=env)
    except subprocess.TimeoutExpired as exc:
        raise RenderFailed(f"{doing} took too long and was stopped.") from exc
    if returncode != 0:
        if b"No space left on device" in stderr or returncode == -signal.SIGXFSZ:  # faults15: a full disk
            raise OSError(errno.ENOSPC, f"{doing} failed: no space left on device")
        detail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        logger.error("ffmpeg failed while %s (%s): %s", doing.lower(), returncode, " | ".join(detail))
        raise RenderFailed(f"{doing} failed.")


def kill_children_on_terminate() -> None:
    """Worker-process initializer: on SIGTERM, kill the FFmpeg this process is running, then exit.

    A pool whose worker died (killed for memory, say) terminates its other workers; without this their
    FFmpeg children would run on, orphaned, until their encodes or time limits end.
    """

    def on_terminate(signum: int, _frame: object) -> None:
        for child in list(_children):
            child.kill()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_terminate)
