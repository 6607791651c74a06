"""The full-quality download: ``GET /d/<token>/<name>`` (and ``HEAD``), with HTTP range requests.

aiohttp's ``FileResponse`` answers ``Range`` / ``If-Range`` itself (206 with ``Content-Range``, 416 past
the end) and streams the file with ``sendfile`` where it can, so a phone can seek in the video without
fetching it whole. The ``<name>`` in the path is only for people and download managers; the token alone
finds the file. ``Content-Disposition`` names the file (``inline``: a tap plays it, saving keeps the name).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from bot.web.tokens import LinkStore

__all__ = ["DownloadEndpoint"]


class DownloadEndpoint:
    """The download handler of one web server."""

    def __init__(self, links: LinkStore) -> None:
        self._links = links

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/d/{token}", self.download)
        app.router.add_get("/d/{token}/{name}", self.download)

    async def download(self, request: web.Request) -> web.StreamResponse:
        link = await self._links.find(request.match_info["token"], "download")
        path = Path(link.file_path) if link is not None and link.file_path else None
        if link is None or path is None or not await asyncio.to_thread(path.is_file):
            raise web.HTTPNotFound(reason="bad link")
        name = link.file_name or "musiccog.mp4"  # made by us (ASCII letters, digits, "-", "."), never user text
        headers = {
            "Content-Type": "video/mp4",
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "private, no-store",
        }
        return web.FileResponse(path, headers=headers)
