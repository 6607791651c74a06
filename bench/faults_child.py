"""The bot's side of the fault benches, run as its own process so the bench can measure its whole tree.

``python -m bench.faults_child SPEC.json`` reads a spec (settings and the chats: which clip each sends, when,
and how long its download takes), runs the real engine with the real local backend (its own spawn pool)
on a SQLite file, lets every chat send its clip as an adapter would (``Engine.handle``), and prints one JSON
object: per chat, when it sent, when its first reply came and what it was, when its result came and what
it was. The downloads are copies from disk (what Telegram's local Bot API mode hands a bot), each after the
delay the spec gives it (a slow link or platform).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.messages import Error, Incoming, MediaRef, Progress, Reply, Text, Video
from bot.sessions import SessionStore

__all__ = ["main", "run_chats"]


def _kind(reply: Reply) -> str:
    if isinstance(reply, Video):
        return "video"
    if isinstance(reply, Error):
        return f"error: {reply.text}"
    if isinstance(reply, Progress):
        return "progress"
    if isinstance(reply, Text) and "in line" in reply.text:
        return "queue position"
    return f"text: {reply.text[:60]}"


async def run_chats(spec: dict[str, Any]) -> dict[str, Any]:
    """Every chat of ``spec`` served by one engine; the timings relative to the first message."""
    settings = Settings(**spec["settings"])
    chats: list[dict[str, Any]] = spec["chats"]
    by_chat = {str(chat["chat"]): chat for chat in chats}

    async def fetch(media: MediaRef, folder: Path) -> Path:
        chat = by_chat[str(media.file_id)]
        await asyncio.sleep(float(chat.get("download_s", 0.0)))
        source = Path(chat["clip"])
        return Path(await asyncio.to_thread(shutil.copyfile, source, folder / f"input{source.suffix}"))

    store = await SessionStore.open(settings.engine_db)
    backend = LocalBackend(settings)
    engine = Engine(settings, store, backend, fetch_media=fetch)
    await engine.start()
    if spec.get("warm", True):
        await backend.warm()  # a bot that has been up a while: its workers have started
    started = time.perf_counter()
    rows: dict[str, dict[str, Any]] = {}

    async def one(chat: dict[str, Any]) -> None:
        await asyncio.sleep(float(chat.get("send_at_s", 0.0)))
        key = str(chat["chat"])
        row = rows[key] = {"chat": key, "sent_s": time.perf_counter() - started}
        incoming = Incoming(
            "telegram", key, f"u{key}", text=spec.get("words", "calm"), media=MediaRef(kind="video", file_id=key)
        )
        async for reply in engine.handle(incoming):
            now = time.perf_counter() - started
            if "first_s" not in row:
                row["first_s"], row["first"] = now, _kind(reply)
            if not isinstance(reply, Progress):
                row["result_s"], row["result"] = now, _kind(reply)
                if isinstance(reply, Video):
                    row["width"], row["height"], row["duration_s"] = reply.width, reply.height, reply.duration_s
                    row["bytes"] = reply.path.stat().st_size

    try:
        await asyncio.gather(*(one(chat) for chat in chats))
    finally:
        await engine.close()
        await backend.close()
        await store.close()
    return {"chats": list(rows.values()), "wall_s": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text())
    print(json.dumps(asyncio.run(run_chats(spec))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
