"""Run one command as a user would and measure it: wall and CPU time, and peak memory of its process tree.

Two memory figures, because a render is a Python process plus the FFmpeg processes it starts:
``peak_rss_mb`` is the largest single process of the tree (``wait4``'s ``ru_maxrss``, exact, which the
kernel takes over the process and every descendant it waited for); ``peak_tree_rss_mb`` is the largest
sum of RSS over the whole tree at one moment, sampled from ``/proc`` every ``sample_s`` (Linux only;
shared pages count once per process, so it errs high).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Measured", "ProcessRow", "command_line", "measure", "process_rows", "tree_rss_bytes", "tree_rss_parts"]

logger = logging.getLogger(__name__)

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessRow:
    """One process as ``/proc/PID/stat`` shows it."""

    pid: int
    name: str
    """The kernel's command name (``comm``, 15 characters at most)."""
    state: str
    """``R``, ``S``, ``T`` (stopped), ``Z`` (zombie)…"""
    parent: int


def process_rows() -> list[ProcessRow]:
    """Every process now (empty where /proc is missing); a process that ends while it is read is left out."""
    rows = []
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after the last ")" are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        rows.append(ProcessRow(int(entry.name), name, fields[0], int(fields[1])))
    return rows


def command_line(pid: int) -> bytes:
    """The process's arguments, NUL-separated (empty once it has ended)."""
    try:
        return (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


@dataclass(frozen=True)
class Measured:
    returncode: int
    wall_s: float
    cpu_s: float
    """User + system CPU time of the process and every descendant it waited for: on a machine shared with
    other work this moves far less than the wall time does."""
    peak_rss_mb: float
    """The largest single process in the tree."""
    peak_tree_rss_mb: float | None
    """The largest sum over the tree at one sampled moment (None where /proc is missing)."""
    peak_tree_parts: tuple[tuple[str, float], ...]
    """At that moment: each process of the tree (``pid name``, where a pool worker is ``worker``) and its MB."""
    stdout: str
    stderr: str


def measure(
    args: Sequence[str],
    *,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    sample_s: float = 0.1,
) -> Measured:
    """Run ``args`` to the end (killed after ``timeout_s``) and measure it; output is captured."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(args), stdout=out, stderr=err, env=dict(env) if env else None, cwd=cwd)
        done = threading.Event()
        peak_tree: list[Any] = [0, ()]
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, done, sample_s, peak_tree), daemon=True)
        sampler.start()
        killer = threading.Timer(timeout_s, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
            done.set()
        wall = time.perf_counter() - started
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return Measured(
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        peak_tree_rss_mb=peak_tree[0] / 2**20 if PROC.is_dir() else None,
        peak_tree_parts=peak_tree[1],
        stdout=stdout,
        stderr=stderr,
    )


def _sample_tree(root: int, done: threading.Event, every_s: float, peak: list[Any]) -> None:
    while not done.is_set():
        parts = tree_rss_parts(root)
        total = sum(rss for _, rss in parts)
        if total > peak[0]:
            peak[0] = total
            peak[1] = tuple((name, rss / 2**20) for name, rss in parts)
        done.wait(every_s)


def tree_rss_bytes(root: int) -> int:
    """The summed resident memory of ``root`` and all its descendants now (0 where /proc is missing)."""
    return sum(rss for _, rss in tree_rss_parts(root))


def tree_rss_parts(root: int) -> list[tuple[str, int]]:
    """Each process of ``root``'s tree now, as (``pid name``, resident bytes); empty where /proc is missing."""
    children: dict[int, list[int]] = {}
    for row in process_rows():
        children.setdefault(row.parent, []).append(row.pid)
    parts = []
    stack = [root]
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):  # the process may have just ended
            rss = int((PROC / str(pid) / "statm").read_text().split()[1]) * PAGE_BYTES
            parts.append((f"{pid} {_name(pid)}", rss))
        stack.extend(children.get(pid, ()))
    return parts


def _name(pid: int) -> str:
    """A short name: the program, or ``worker`` / ``resource_tracker`` for Python's own helper processes."""
    args = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    text = b" ".join(args).decode(errors="replace")
    if "spawn_main" in text:
        return "worker"
    if "resource_tracker" in text:
        return "resource_tracker"
    program = Path(args[0].decode(errors="replace")).name if args and args[0] else "?"
    module = args[2].decode(errors="replace") if len(args) > 2 and args[1] == b"-m" else ""
    return f"{program} {module}".strip()
