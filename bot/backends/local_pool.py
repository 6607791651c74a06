"""The local backend's worker pool: processes started when work needs them, extra idle ones retired.

Why not a plain ``ProcessPoolExecutor``: it never lets a worker go. A worker holds the whole media stack
(~150 MB) and whatever its last job left in its heap, so after one busy minute a bot would keep every worker
for good, and a lone big job would run beside idle ones (issue 15: a 500 MB input under 600 MB for the
whole process tree). Here each worker is a one-process ``ProcessPoolExecutor`` (a *lane*; the standard
library does the pickling, the remote tracebacks and the death detection):

- a lane is started only when work arrives and every lane is busy (up to ``max_workers``); work waits in
  one first-in-first-out queue and goes to the first lane that is free;
- a lane idle for ``idle_s`` is shut down, except the last ``keep`` of them (the bot warms one worker at
  start so the first job does not pay the imports and the library load);
- a worker that dies breaks the pool, as a ``ProcessPoolExecutor`` does: every lane's process is
  terminated (its FFmpeg children are killed with it, ``cancel.kill_children_on_terminate``) and every step
  running or waiting fails with ``BrokenProcessPool``; the backend then makes a new pool and tries each step
  again alone.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.media import cancel

__all__ = ["ElasticPool", "single_worker_pool"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def single_worker_pool() -> ProcessPoolExecutor:
    """One spawn-context worker whose FFmpeg children die with it."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=cancel.kill_children_on_terminate,
    )


@dataclass(eq=False)
class _Lane:
    executor: ProcessPoolExecutor = field(default_factory=single_worker_pool)
    busy: bool = False
    idle_since: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class _Work:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class ElasticPool(Executor):
    """Up to ``max_workers`` worker processes, started on demand; idle ones beyond ``keep`` retire after
    ``idle_s`` (0 or less: never)."""

    def __init__(self, max_workers: int, *, idle_s: float, keep: int = 1) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max_workers = max_workers
        self._idle_s = idle_s
        self._keep = max(0, keep)
        self._lock = threading.Lock()
        self._lanes: list[_Lane] = []
        self._waiting: deque[_Work] = deque()
        self._broken: str | None = None
        self._shut = False
        self._wake = threading.Condition(self._lock)
        self._reaper: threading.Thread | None = None

    # ----- what a caller sees ---------------------------------------------------------------------

    @property
    def worker_count(self) -> int:
        """How many worker processes are up now (busy or idle)."""
        with self._lock:
            return len(self._lanes)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._broken is not None:
                raise BrokenProcessPool(self._broken)
            if self._shut:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._waiting.append(_Work(future, fn, args, kwargs))
        self._dispatch()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shut = True
            dropped = list(self._waiting) if cancel_futures else []
            if cancel_futures:
                self._waiting.clear()
            lanes = [] if self._waiting else list(self._lanes)  # lanes still owed queued work stay until it ran
            if not self._waiting:
                self._lanes.clear()
            self._wake.notify_all()
        for work in dropped:
            work.future.cancel()
        for lane in lanes:
            lane.executor.shutdown(wait=wait)

    # ----- the machinery ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Hand waiting work to free lanes, starting lanes while there is room."""
        while True:
            with self._lock:
                if not self._waiting or self._broken is not None:
                    return
                lane = next((lane for lane in self._lanes if not lane.busy), None)
                if lane is None:
                    if len(self._lanes) >= self._max_workers:
                        return
                    lane = _Lane()
                    self._lanes.append(lane)
                    logger.info("worker pool: starting worker %d of at most %d", len(self._lanes), self._max_workers)
                work = self._waiting.popleft()
                if not work.future.set_running_or_notify_cancel():
                    continue  # cancelled while it waited
                lane.busy = True
            try:
                inner = lane.executor.submit(work.fn, *work.args, **work.kwargs)
            except BaseException as exc:  # the lane broke between two steps
                self._finished(lane, work.future, None, exc)
                continue
            inner.add_done_callback(functools.partial(self._finished, lane, work.future))

    def _finished(
        self, lane: _Lane, outer: Future[Any], inner: Future[Any] | None, error: BaseException | None = None
    ) -> None:
        if inner is not None:
            error = inner.exception() if not inner.cancelled() else BrokenProcessPool("the worker was shut down")
        broken = isinstance(error, BrokenProcessPool)
        if broken:
            self._break(str(error))
        else:
            with self._lock:
                lane.busy = False
                lane.idle_since = time.monotonic()
                if self._shut and not self._waiting and lane in self._lanes:
                    self._lanes.remove(lane)
                    lane.executor.shutdown(wait=False)
                self._start_reaper()
        if error is not None:
            outer.set_exception(error)
        else:
            assert inner is not None
            outer.set_result(inner.result())
        self._dispatch()

    def _break(self, cause: str) -> None:
        """A worker died: end them all, as a ``ProcessPoolExecutor`` does, and fail what waits."""
        with self._lock:
            if self._broken is not None:
                return
            self._broken = f"a worker process died ({cause})"
            lanes, self._lanes = self._lanes, []
            waiting = list(self._waiting)
            self._waiting.clear()
            self._wake.notify_all()
        logger.error("worker pool: a worker process died; ending the other %d", len(lanes) - 1)
        for lane in lanes:
            for process in list((lane.executor._processes or {}).values()):
                if process.is_alive():
                    process.terminate()  # its FFmpeg children are killed on SIGTERM
            lane.executor.shutdown(wait=False, cancel_futures=True)
        for work in waiting:
            if work.future.set_running_or_notify_cancel():
                work.future.set_exception(BrokenProcessPool(self._broken))

    def _start_reaper(self) -> None:
        """(With the lock held.) Make sure a thread is retiring idle lanes while there are more than ``keep``."""
        if self._idle_s <= 0 or len(self._lanes) <= self._keep:
            return
        if self._reaper is not None and self._reaper.is_alive():
            self._wake.notify_all()
            return
        self._reaper = threading.Thread(target=self._reap, name="musiccog-pool-reaper", daemon=True)
        self._reaper.start()

    def _reap(self) -> None:
        with self._lock:
            while not self._shut and self._broken is None and len(self._lanes) > self._keep:
                now = time.monotonic()
                idle = sorted((lane for lane in self._lanes if not lane.busy), key=lambda lane: lane.idle_since)
                spare = len(self._lanes) - self._keep
                due = [lane for lane in idle[:spare] if now - lane.idle_since >= self._idle_s]
                for lane in due:
                    self._lanes.remove(lane)
                if due:
                    self._lock.release()
                    try:
                        for lane in due:
                            lane.executor.shutdown(wait=True)
                        logger.info("worker pool: %d idle worker(s) retired", len(due))
                    finally:
                        self._lock.acquire()
                    continue
                oldest = idle[0].idle_since if idle else now
                self._wake.wait(timeout=max(0.05, self._idle_s - (now - oldest)))
