"""The bot's own web server: the upload page and the download links, on the bot's event loop.

Why aiohttp on the same loop: it is already installed (discord.py depends on it), it streams request
bodies and serves files with ranges by itself, and running on the bot's loop means a finished upload is
handed to the engine by a plain ``await`` — no second process, no queue between them, no ASGI server to
add. The server listens on ``MUSICCOG_WEB_HOST:MUSICCOG_WEB_PORT`` (127.0.0.1:8088) behind the operator's
reverse proxy, which terminates TLS for ``MUSICCOG_PUBLIC_URL``; links are made with that public address.

It also lends the engine its :class:`~bot.engine.big_files.LinkOffers` (``Engine.offer_links``): upload
links (at most ``MUSICCOG_WEB_LINKS_PER_HOUR`` per chat) and download links (the file copied out of the
backend's folder, which keeps only the last renders). A housekeeping loop deletes expired rows and their
files. Every response is plain: no stack trace, no listing, no access log (the paths carry the tokens).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.engine.big_files import OfferedLink
from bot.engine.engine import Engine
from bot.engine.messages import new_error_id
from bot.errors import InputRejected
from bot.language import say
from bot.web.download import DownloadEndpoint
from bot.web.files import keep_for_download, remove_files
from bot.web.intake import serve_upload
from bot.web.page import message_page
from bot.web.tokens import LinkStore, WebLink
from bot.web.upload import UploadEndpoints, request_lang

__all__ = ["HOUSEKEEPING_S", "WebServer"]

logger = logging.getLogger(__name__)

HOUSEKEEPING_S = 600.0
"""How often expired links and their files are deleted."""
_PLAIN_CSP = "default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'"


class WebServer:
    """Open with :meth:`open`, then :meth:`start` (serving, and offering links to the engine); :meth:`close`."""

    def __init__(self, settings: Settings, engine: Engine, links: LinkStore) -> None:
        self._settings = settings
        self._engine = engine
        self.links = links
        self.uploads = UploadEndpoints(settings, links, self._serve_upload)
        self._runner: web.AppRunner | None = None
        self._housekeeper: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, settings: Settings, engine: Engine) -> WebServer:
        return cls(settings, engine, await LinkStore.open(settings.sessions_database))

    @property
    def public_url(self) -> str:
        assert self._settings.public_url is not None
        return self._settings.public_url.rstrip("/")

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[_plain_failures])
        self.uploads.add_routes(app)
        DownloadEndpoint(self.links).add_routes(app)
        app.on_response_prepare.append(_safety_headers)
        return app

    async def start(self) -> None:
        """Listen, start the housekeeping, and let the engine offer links."""
        # lingering_time=0: a body we stopped reading (over the cap) is not drained; the connection closes
        runner = web.AppRunner(self.make_app(), access_log=None, lingering_time=0.0, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._settings.web_host, self._settings.web_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._housekeeper = asyncio.create_task(self._housekeeping_loop(), name="musiccog-web-housekeeping")
        self._engine.offer_links(self)
        logger.info(
            "web server on %s:%s for %s", self._settings.web_host, self._settings.web_port, self._settings.public_url
        )

    async def close(self) -> None:
        self._engine.offer_links(None)
        tasks = [t for t in (self._housekeeper, *self.uploads.serving) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.links.close()

    # ----- what the engine is lent (LinkOffers) ------------------------------------------------------

    async def upload_link(self, platform: str, chat_id: str, user_id: str, lang: str) -> OfferedLink:
        limit = self._settings.web_links_per_hour
        if limit > 0 and await self.links.recent_count("upload", platform, chat_id, within_s=3600.0) >= limit:
            raise InputRejected("web_links_rate_limited", minutes=60)
        ttl = self._settings.upload_link_ttl_s
        token = await self.links.mint(
            "upload", platform=platform, chat_id=chat_id, user_id=user_id, lang=lang, ttl_s=ttl
        )
        return OfferedLink(f"{self.public_url}/u/{token}", ttl, self._settings.max_input_bytes)

    async def download_link(self, platform: str, chat_id: str, user_id: str, lang: str, path: Path) -> OfferedLink:
        kept = await keep_for_download(path, self._settings)
        name = time.strftime("musiccog-%Y%m%d-%H%M%S.mp4", time.gmtime())
        ttl = self._settings.download_ttl_s
        token = await self.links.mint(
            "download",
            platform=platform,
            chat_id=chat_id,
            user_id=user_id,
            lang=lang,
            ttl_s=ttl,
            file_path=kept,
            file_name=name,
            size_bytes=kept.stat().st_size,
        )
        return OfferedLink(f"{self.public_url}/d/{token}/{name}", ttl)

    # ----- inside ------------------------------------------------------------------------------------

    async def _serve_upload(self, link: WebLink, path: Path) -> None:
        await serve_upload(self._engine, link, path)

    async def housekeeping(self) -> None:
        """Delete expired links and the files they held."""
        paths = await self.links.expire()
        if paths:
            await asyncio.to_thread(remove_files, paths, self._settings)
            logger.info("deleted %d expired upload/download files", len(paths))

    async def _housekeeping_loop(self) -> None:
        while True:
            try:
                await self.housekeeping()
            except Exception:
                logger.exception("web housekeeping failed; will try again")
            await asyncio.sleep(HOUSEKEEPING_S)


@web.middleware
async def _plain_failures(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Errors as one plain sentence: a page for browsers, ``{"message"}`` for the page's script."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        key = "web_page_bad_link" if exc.reason == "bad link" else "web_page_not_found"
        return _plain(request, exc.status, key)
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except Exception:
        error_id = new_error_id()
        logger.exception("web request failed (error %s)", error_id)
        return _plain(request, 500, "adapters_apology", error_id=error_id)


def _plain(request: web.Request, status: int, key: str, **values: object) -> web.Response:
    lang = request_lang(request)
    text = say(key, lang, **values)
    if request.method != "GET":
        return web.json_response({"message": text}, status=status)
    nonce = secrets.token_urlsafe(16)
    headers = {"Content-Security-Policy": _PLAIN_CSP.format(nonce=nonce)}
    return web.Response(
        text=message_page(text, lang=lang, nonce=nonce), status=status, content_type="text/html", headers=headers
    )


async def _safety_headers(request: web.Request, response: web.StreamResponse) -> None:
    """No caching, no sniffing, no framing, no Referer carrying a token to anyone."""
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    headers.setdefault("Server", "musiccog")  # not aiohttp's name and version
