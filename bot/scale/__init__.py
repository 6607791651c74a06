"""Scale-out mode: the local backend's steps run by ``musiccog worker`` processes on any machine.

The bot keeps its engine and its session folders; each step (analyse, pick, edit, render) goes to a
PostgreSQL-backed task queue (procrastinate) instead of the local process pool, its files and result
through shared storage (a mounted folder or S3). ``storage`` keeps the files, ``parcel`` makes a step's
arguments portable, ``queue`` is the queue's app and SQL, ``client`` the bot's side, ``worker`` the
workers'. Imported only when ``MUSICCOG_STORAGE`` is set.
"""

from __future__ import annotations

__all__: list[str] = []
