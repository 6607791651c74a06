"""What every fake server of ours shares: an aiohttp app on a free port of 127.0.0.1 (never anything else),
started and stopped as an async context manager, and the shape of an uploaded multipart file."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Self

from aiohttp import web


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


class LoopbackServer:
    """Subclasses add their routes in :meth:`add_routes`; ``port`` is set once started."""

    shutdown_timeout_s = 1.0
    max_request_bytes = 64 * 1024 * 1024

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=self.max_request_bytes)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.shutdown_timeout_s)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``, once started."""
        if self.port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
