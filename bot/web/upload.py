"""The upload page's endpoints: a subset of tus 1.0 (core + creation), small enough to read in one go.

- ``GET  /u/<token>``       the page (:func:`bot.web.page.upload_page`) in the chat's language;
- ``POST /u/<token>/file``  start (or restart) the upload: ``Upload-Length`` (≤ ``MUSICCOG_MAX_INPUT_MB``,
  refused before anything is stored), ``Upload-Metadata`` (``filename`` and ``words``, base64);
- ``HEAD /u/<token>/file``  how far it got (``Upload-Offset``): after a dropped connection the page asks
  and goes on from there; every byte the server received is kept (a finished upload answers "all of it",
  so a page whose last answer was lost says done);
- ``PATCH /u/<token>/file`` bytes at ``Upload-Offset`` (``application/offset+octet-stream``), streamed to
  disk; a declared ``Content-Length`` past the announced length is refused before a byte is read, and a
  body that runs past it is cut off (the piece that crossed the length is dropped, the rest is never read:
  the connection is closed); the first bytes are sniffed like a link's, so a web page or a picture is refused at once.

When the last byte arrives the link is spent (once, atomically), the file gets its container's extension
and ``on_complete`` serves it to the chat in the background. One request per upload at a time (a second
window gets 409).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import IO

from aiohttp import ClientPayloadError, web

from bot.config import Settings
from bot.engine.big_files import mb_text
from bot.errors import InputRejected
from bot.language import say
from bot.links import HEAD_BYTES, sniff_media
from bot.web.files import new_upload_path
from bot.web.page import upload_page
from bot.web.tokens import LinkStore, WebLink

__all__ = ["UploadEndpoints", "request_lang", "say_json"]

logger = logging.getLogger(__name__)

_READ_BYTES = 256 * 1024
_OCTETS = "application/offset+octet-stream"
_TUS = {"Tus-Resumable": "1.0.0"}

Completion = Callable[[WebLink, Path], Coroutine[object, object, None]]
"""``on_complete(link, path)``: a finished upload (``path`` named with its container's extension)."""


def request_lang(request: web.Request) -> str:
    """The browser's first language, as far as we speak it (for pages that belong to no chat)."""
    first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def say_json(status: int, key: str, lang: str, /, **values: object) -> web.Response:
    """A refusal the page's script shows as it is (``{"message": …}``)."""
    return web.json_response({"message": say(key, lang, **values)}, status=status, headers=_TUS)


def _metadata(header: str) -> dict[str, str]:
    """tus ``Upload-Metadata``: ``key base64,key base64``; what does not decode is dropped."""
    found: dict[str, str] = {}
    for pair in header.split(","):
        key, _, value = pair.strip().partition(" ")
        with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
            found[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class UploadEndpoints:
    """The handlers of one web server (``add_routes``); ``on_complete`` runs for each finished upload."""

    def __init__(self, settings: Settings, links: LinkStore, on_complete: Completion) -> None:
        self._settings = settings
        self._links = links
        self._on_complete = on_complete
        self._busy: set[str] = set()
        self.serving: set[asyncio.Task[None]] = set()
        """Finished uploads being served to their chats (cancelled when the server closes)."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/u/{token}", self.page, allow_head=False)
        app.router.add_route("HEAD", "/u/{token}/file", self.offset)
        app.router.add_post("/u/{token}/file", self.create)
        app.router.add_route("PATCH", "/u/{token}/file", self.append)

    @property
    def _cap(self) -> int:
        return self._settings.max_input_bytes

    async def _link(self, request: web.Request) -> WebLink | None:
        return await self._links.find(request.match_info["token"], "upload")

    async def page(self, request: web.Request) -> web.Response:
        link = await self._link(request)
        if link is None:
            raise web.HTTPNotFound(reason="bad link")
        nonce = secrets.token_urlsafe(16)
        endpoint = f"{request.match_info['token']}/file"
        text = upload_page(lang=link.lang, endpoint=endpoint, limit_bytes=self._cap, nonce=nonce)
        csp = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        return web.Response(text=text, content_type="text/html", headers={"Content-Security-Policy": csp})

    async def offset(self, request: web.Request) -> web.Response:
        link = await self._link(request)
        finished = await self._links.find(request.match_info["token"], "upload", spent=True) if link is None else None
        if finished is not None and finished.size_bytes is not None:  # the last answer was lost: it is all there
            length = str(finished.size_bytes)
            return web.Response(status=200, headers={**_TUS, "Upload-Offset": length, "Upload-Length": length})
        if link is None or link.file_path is None or link.size_bytes is None:
            return web.Response(status=404, headers=_TUS)
        received = await asyncio.to_thread(_size, Path(link.file_path))
        headers = {**_TUS, "Upload-Offset": str(received), "Upload-Length": str(link.size_bytes)}
        return web.Response(status=200, headers=headers)

    async def create(self, request: web.Request) -> web.Response:
        lang = request_lang(request)
        link = await self._link(request)
        if link is None:
            return say_json(404, "web_page_bad_link", lang)
        lang = link.lang
        try:
            length = int(request.headers.get("Upload-Length", ""))
        except ValueError:
            length = -1
        if length <= 0:
            return say_json(400, "web_page_not_video", lang)
        if length > self._cap:
            return say_json(413, "web_page_too_big", lang, limit_mb=mb_text(self._cap))
        token = request.match_info["token"]
        if token in self._busy:
            return say_json(409, "web_page_busy", lang)
        meta = _metadata(request.headers.get("Upload-Metadata", ""))
        if link.file_path is not None:  # a new file, or the same one from the start
            await asyncio.to_thread(Path(link.file_path).unlink, True)
        path = new_upload_path(self._settings)
        await asyncio.to_thread(path.touch)
        started = await self._links.start_upload(
            token,
            file_path=path,
            file_name=meta.get("filename", "")[:200] or "upload",
            size_bytes=length,
            caption=meta.get("words", "")[:500],
        )
        if started is None:
            await asyncio.to_thread(path.unlink, True)
            return say_json(404, "web_page_bad_link", lang)
        return web.Response(status=201, headers={**_TUS, "Location": request.path, "Upload-Offset": "0"})

    async def append(self, request: web.Request) -> web.Response:
        link = await self._link(request)
        if link is None or link.file_path is None or link.size_bytes is None:
            return say_json(404, "web_page_bad_link", link.lang if link else request_lang(request))
        if request.content_type != _OCTETS:
            return say_json(415, "web_page_not_video", link.lang)
        token = request.match_info["token"]
        if token in self._busy:
            return say_json(409, "web_page_busy", link.lang)
        self._busy.add(token)
        try:
            return await self._append(request, token, link, Path(link.file_path), link.size_bytes)
        finally:
            self._busy.discard(token)

    async def _append(self, request: web.Request, token: str, link: WebLink, path: Path, length: int) -> web.Response:
        received = await asyncio.to_thread(_size, path)
        try:
            offset = int(request.headers.get("Upload-Offset", ""))
        except ValueError:
            offset = -1
        if offset != received:
            return web.Response(status=409, headers={**_TUS, "Upload-Offset": str(received)})
        declared = request.content_length
        if declared is not None and received + declared > length:
            return say_json(413, "web_page_too_big", link.lang, limit_mb=mb_text(self._cap))
        try:
            received = await self._stream(request, path, received, length)
        except InputRejected as refused:
            await asyncio.to_thread(path.unlink, True)
            return web.json_response({"message": refused.in_language(link.lang)}, status=415, headers=_TUS)
        except _PastLength:
            return say_json(413, "web_page_too_big", link.lang, limit_mb=mb_text(self._cap))
        if received < length:
            return web.Response(status=204, headers={**_TUS, "Upload-Offset": str(received)})
        return await self._finish(token, link, path, received)

    async def _stream(self, request: web.Request, path: Path, received: int, length: int) -> int:
        """Append the body to ``path`` (at most ``length`` bytes in all); return the bytes now on disk.

        A dropped connection ends the stream quietly: what arrived is kept for the resume."""
        sniffed = received >= HEAD_BYTES  # the file's first bytes were sniffed by an earlier request
        head = b"" if sniffed else await asyncio.to_thread(_read_head, path)
        handle: IO[bytes] = await asyncio.to_thread(path.open, "ab")
        try:
            async for chunk in request.content.iter_chunked(_READ_BYTES):
                if received + len(chunk) > length:
                    raise _PastLength  # this piece is dropped whole: what came before it stays, to resume from
                if not sniffed:
                    head += chunk[: HEAD_BYTES - len(head)]
                    if len(head) >= HEAD_BYTES or received + len(chunk) >= length:
                        sniff_media(head)  # a web page or a picture: refused before more is stored
                        sniffed = True
                await asyncio.to_thread(handle.write, chunk)
                received += len(chunk)
        except (ConnectionError, asyncio.IncompleteReadError, ClientPayloadError) as dropped:
            logger.info("an upload's connection dropped at %d bytes (%s): it can resume", received, type(dropped))
        finally:
            await asyncio.to_thread(handle.close)
        return await asyncio.to_thread(_size, path)

    async def _finish(self, token: str, link: WebLink, path: Path, size: int) -> web.Response:
        """The last byte is in: sniff, spend the link (once), name the file, serve it to the chat."""
        head = await asyncio.to_thread(_read_head, path)
        try:
            suffix = sniff_media(head)
        except InputRejected as refused:
            await asyncio.to_thread(path.unlink, True)
            return web.json_response({"message": refused.in_language(link.lang)}, status=415, headers=_TUS)
        final = path.with_suffix(suffix)
        spent = await self._links.spend(token, keep_s=self._settings.download_ttl_s, file_path=final)
        if spent is None:  # expired meanwhile, or another request finished it first
            return say_json(404, "web_page_bad_link", link.lang)
        await asyncio.to_thread(path.replace, final)
        logger.info("an upload of %d bytes is complete; serving it to its %s chat", size, link.platform)
        task = asyncio.create_task(self._on_complete(spent, final), name="musiccog-web-upload")
        self.serving.add(task)
        task.add_done_callback(self.serving.discard)
        return web.Response(status=204, headers={**_TUS, "Upload-Offset": str(size)})


class _PastLength(Exception):
    """The body ran past the announced length: cut off."""


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return b""
