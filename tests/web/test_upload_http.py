"""The upload page and download links over plain HTTP: the real server on loopback, the real engine behind it.

Uploads go through the page's own endpoints (POST, HEAD, PATCH chunks); a dropped connection is a raw
socket closed mid-body. Each scenario checks what a user (or someone guessing) would see."""

from __future__ import annotations

import asyncio
import base64
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp

from bot.engine.messages import Error, Incoming, Text, Video
from tests.web.stack import web_settings, web_stack

CHAT = "41"


def _meta(name: str, words: str = "") -> str:
    encode = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    return f"filename {encode(name)},words {encode(words)}"


async def _raw(port: int, head: str, body: bytes = b"", *, read: bool = True) -> bytes:
    """One request on a fresh socket: the head, some body bytes, then the answer (or a hang-up if not ``read``)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    answer = b""
    if read:
        answer = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    return answer


async def _offset(http: aiohttp.ClientSession, endpoint: str) -> int:
    async with http.head(endpoint) as response:
        assert response.status == 200
        return int(response.headers["Upload-Offset"])


async def _patch(http: aiohttp.ClientSession, endpoint: str, offset: int, data: bytes) -> aiohttp.ClientResponse:
    headers = {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
    async with http.patch(endpoint, data=data, headers=headers) as response:
        await response.read()
        return response


def test_chunked_upload_with_a_dropped_connection_becomes_a_video_in_its_chat(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes
) -> None:
    settings = web_settings(tmp_path)

    async def scenario() -> None:
        async with web_stack(settings, pool) as (engine, _web, chats), aiohttp.ClientSession() as http:
            asked = [r async for r in engine.handle(Incoming("telegram", CHAT, "7", text="upload"))]
            assert isinstance(asked[0], Text) and "works once" in asked[0].text
            url = asked[0].text.rsplit(" ", 1)[-1]
            assert url.startswith(settings.public_url + "/u/") and len(url.rsplit("/", 1)[-1]) == 43
            zh = [r async for r in engine.handle(Incoming("telegram", "42", "8", text="上传"))]
            assert isinstance(zh[0], Text) and "上传" in zh[0].text

            async with http.get(url) as page:
                html = await page.text()
                assert page.status == 200 and "Send a video to the bot" in html and "<progress" in html
                assert "nonce-" in page.headers["Content-Security-Policy"]
                assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
            endpoint = url + "/file"
            async with http.head(endpoint) as before:
                assert before.status == 404  # nothing started yet: the page POSTs first
            headers = {"Upload-Length": str(len(clip)), "Upload-Metadata": _meta("trip.mp4", "calm")}
            async with http.post(endpoint, headers=headers) as made:
                assert made.status == 201 and made.headers["Upload-Offset"] == "0"

            third = len(clip) // 3
            assert (await _patch(http, endpoint, 0, clip[:third])).status == 204
            assert await _offset(http, endpoint) == third
            # the connection drops halfway through the second chunk: what arrived is kept
            port, path = settings.web_port, endpoint.split(str(settings.web_port), 1)[1]
            head = (
                f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Upload-Offset: {third}\r\nContent-Length: {third}\r\n"
            )
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode() + b"\r\n" + clip[third : third + third // 2])
            await writer.drain()
            for _ in range(100):  # the server stores what arrives as it arrives ...
                resumed = await _offset(http, endpoint)
                if resumed == third + third // 2:
                    break
                await asyncio.sleep(0.05)
            writer.close()  # ... and then the connection drops, the chunk half sent
            assert resumed == third + third // 2
            for _ in range(100):  # the page asks again until the dropped request is over (409 "busy" meanwhile)
                wrong = await _patch(http, endpoint, 0, clip[:10])
                if "Upload-Offset" in wrong.headers:
                    break
                await asyncio.sleep(0.05)
            assert wrong.status == 409 and wrong.headers["Upload-Offset"] == str(resumed)
            done = await _patch(http, endpoint, resumed, clip[resumed:])
            assert done.status == 204 and done.headers["Upload-Offset"] == str(len(clip))

            video = await chats.wait_for(CHAT, Video)
            assert "BPM" in video.caption and "42" not in chats.replies  # the other chat got nothing
            said = [r.text for r in chats.replies[CHAT] if isinstance(r, Text)]
            assert said and said[0].startswith("Got it")

            async with http.head(endpoint) as finished:  # a page whose last answer was lost sees it is all there
                assert finished.status == 200 and finished.headers["Upload-Offset"] == str(len(clip))
            async with http.get(url) as used:  # single use: the page is gone, plainly
                text = await used.text()
                assert used.status == 404 and "work" in text and "Traceback" not in text
            async with http.post(endpoint, headers=headers) as again:
                assert again.status == 404 and "expire" in (await again.json())["message"]

    asyncio.run(scenario())


def test_bad_tokens_oversize_bodies_and_files_that_are_not_videos(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes
) -> None:
    settings = web_settings(tmp_path, max_input_mb=0.05, web_links_per_hour=3)

    async def scenario() -> None:
        async with web_stack(settings, pool) as (engine, web, chats), aiohttp.ClientSession() as http:
            base = settings.public_url
            expired = await web.links.mint("upload", platform="telegram", chat_id="1", user_id="1", lang="en", ttl_s=-1)
            for path in (f"/u/{expired}", "/u/short", "/u/", "/", "/d/", "/etc/passwd", f"/d/{expired}/x.mp4"):
                async with http.get(base + path) as page:
                    body = await page.text()
                    assert page.status == 404 and "Traceback" not in body and "Index of" not in body, path
            async with http.get(f"{base}/u/{expired}", headers={"Accept-Language": "zh-CN"}) as zh:
                assert "链接" in await zh.text()

            token = await web.upload_link("telegram", "2", "2", "en")
            endpoint = token.url + "/file"
            async with http.post(endpoint, headers={"Upload-Length": str(10**9)}) as huge:
                assert huge.status == 413 and "limit is 0.05 MB" in (await huge.json())["message"]
            async with http.post(endpoint, headers={"Upload-Length": "40000"}) as made:
                assert made.status == 201
            # a declared body past the announced length is refused before it is sent
            port, path = settings.web_port, endpoint.split(str(settings.web_port), 1)[1]
            head = (
                f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/offset+octet-stream\r\n"
                "Upload-Offset: 0\r\nContent-Length: 900000000\r\n"
            )
            answer = await _raw(port, head)  # no body bytes at all: the answer comes anyway
            assert answer.startswith(b"HTTP/1.1 413")
            # a chunked body that runs past it is cut off where the announced length ends
            head = (
                f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/offset+octet-stream\r\n"
                "Upload-Offset: 0\r\nTransfer-Encoding: chunked\r\n"
            )
            body = clip[:40000] + bytes(30000)
            chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:35000], body[35000:]))
            answer = await _raw(port, head, chunked)
            assert answer.startswith(b"HTTP/1.1 413")
            assert await _offset(http, endpoint) < 40000  # the piece that ran past the length was not kept

            page = await web.upload_link("telegram", "3", "3", "en")
            endpoint = page.url + "/file"
            html_bytes = b"<!doctype html><html><body>" + b"x" * 2000 + b"</body></html>"
            async with http.post(endpoint, headers={"Upload-Length": str(len(html_bytes))}) as made:
                assert made.status == 201
            refused = await _patch(http, endpoint, 0, html_bytes)
            assert refused.status == 415
            async with http.post(endpoint, headers={"Upload-Length": "3000"}) as made:
                assert made.status == 201  # the same link takes the right file afterwards
            picture = b"\xff\xd8\xff\xe0" + bytes(2996)
            async with http.patch(
                endpoint,
                data=picture,
                headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
            ) as response:
                assert response.status == 415 and "video" in (await response.json())["message"]

            await web.upload_link("telegram", "9", "9", "en")
            await web.upload_link("telegram", "9", "9", "en")
            replies = [r async for r in engine.handle(Incoming("telegram", "9", "9", text="/upload"))]
            replies += [r async for r in engine.handle(Incoming("telegram", "9", "9", text="/upload"))]
            assert isinstance(replies[0], Text) and isinstance(replies[-1], Error)
            assert "a lot of links" in replies[-1].text
            assert chats.replies == {}

    asyncio.run(scenario())


def test_download_links_answer_ranges_and_expire(tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes) -> None:
    settings = web_settings(tmp_path, download_ttl_s=0.5)

    async def scenario() -> None:
        async with web_stack(settings, pool) as (_engine, web, _chats), aiohttp.ClientSession() as http:
            result = tmp_path / "result.mp4"
            result.write_bytes(clip)
            link = await web.download_link("telegram", "5", "5", "en", result)
            result.unlink()  # the backend prunes its renders: the link keeps its own copy
            async with http.get(link.url) as whole:
                assert whole.status == 200 and await whole.read() == clip
                assert whole.headers["Content-Type"] == "video/mp4"
                assert whole.headers["Content-Disposition"].startswith('inline; filename="musiccog-')
                assert whole.headers["Accept-Ranges"] == "bytes"
            async with http.get(link.url, headers={"Range": "bytes=100-199"}) as part:
                assert part.status == 206 and await part.read() == clip[100:200]
                assert part.headers["Content-Range"] == f"bytes 100-199/{len(clip)}"
            async with http.get(link.url, headers={"Range": "bytes=-50"}) as tail:
                assert tail.status == 206 and await tail.read() == clip[-50:]
            async with http.head(link.url) as head:
                assert head.status == 200 and head.headers["Content-Length"] == str(len(clip))
            upload_path = link.url.replace("/d/", "/u/").rsplit("/", 1)[0]
            async with http.get(upload_path) as wrong_kind:  # a download token opens no upload page
                assert wrong_kind.status == 404
            await asyncio.sleep(0.6)
            async with http.get(link.url) as gone:
                assert gone.status == 404
            kept = list((settings.web_dir / "downloads").iterdir())
            assert len(kept) == 1
            await web.housekeeping()
            assert list((settings.web_dir / "downloads").iterdir()) == []

    asyncio.run(scenario())
