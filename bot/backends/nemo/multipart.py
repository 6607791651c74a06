"""A ``multipart/form-data`` upload body streamed from disk, for clips too big to hold in memory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

__all__ = ["UPLOAD_CHUNK", "multipart_body"]

UPLOAD_CHUNK = 1 << 20


def multipart_body(files: Sequence[tuple[str, Path]]) -> tuple[AsyncIterator[bytes], dict[str, str]]:
    """A ``multipart/form-data`` body streamed from disk a MiB at a time in a thread, so a big clip never
    blocks the event loop (httpx reads ``files=`` synchronously) nor sits in memory; with its headers
    (the length is known up front, so no chunked encoding)."""
    boundary = uuid.uuid4().hex
    parts: list[tuple[bytes, Path]] = []
    for field, path in files:
        filename = "".join(c for c in path.name if c.isprintable() and c not in '"\\') or "upload"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        parts.append((head, path))
    tail = f"--{boundary}--\r\n".encode()
    length = sum(len(head) + path.stat().st_size + 2 for head, path in parts) + len(tail)

    async def stream() -> AsyncIterator[bytes]:
        for head, path in parts:
            yield head
            handle = await asyncio.to_thread(path.open, "rb")
            try:
                while chunk := await asyncio.to_thread(handle.read, UPLOAD_CHUNK):
                    yield chunk
            finally:
                await asyncio.to_thread(handle.close)
            yield b"\r\n"
        yield tail

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length)}
    return stream(), headers
