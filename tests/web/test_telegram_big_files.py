"""End to end with the fake Telegram Bot API: PTB's real application, the real engine and local backend, and
the real web server the services start when ``MUSICCOG_PUBLIC_URL`` is set.

A 25 MB clip (over the Bot API's 20 MB download limit) → the bot answers with an upload link → the clip
goes up through the page's endpoints in chunks, one connection dropped and resumed → the video comes back
in the chat. The upload limit is lowered to 8 MB (the code path is the one a 50 MB result takes), so the
result is over it: the chat gets a fitted preview and a download link that answers range requests."""

from __future__ import annotations

import asyncio
import base64
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp
import pytest

from bot.backends.local import LocalBackend
from tests.adapters.telegram_bot import bot_settings, running_bot, text_in, to_chat
from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_clip
from tests.web.stack import free_port

CHAT = 77
CHUNK = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """About 25 MB in 3 s: lossless H.264 of grain (a phone clip's size without a phone clip's length)."""
    path = make_clip(
        tmp_path_factory.mktemp("big") / "big.mp4",
        duration_s=3.0,
        size=(640, 360),
        video_source="color=c=gray:s=640x360:r=30:d=3,noise=alls=16:allf=t",
        video_args=("-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"),
    )
    data = path.read_bytes()
    assert 21_000_000 < len(data) < 40_000_000, len(data)
    return data


async def _upload(http: aiohttp.ClientSession, url: str, data: bytes, port: int) -> None:
    """What the page's script does: POST, PATCH chunk by chunk; one connection drops mid-chunk, HEAD, go on."""
    endpoint = url + "/file"
    name = base64.b64encode(b"big.mp4").decode()
    async with http.post(endpoint, headers={"Upload-Length": str(len(data)), "Upload-Metadata": f"filename {name}"}):
        pass
    octets = {"Content-Type": "application/offset+octet-stream"}
    offset, dropped = 0, False
    while offset < len(data):
        end = min(len(data), offset + CHUNK)
        if not dropped and offset > 0:  # the second chunk: half of it, then the connection is gone
            dropped = True
            path = endpoint.split(f":{port}", 1)[1]
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            head = f"PATCH {path} HTTP/1.1\r\nHost: x\r\nUpload-Offset: {offset}\r\nContent-Length: {end - offset}\r\n"
            writer.write(head.encode() + b"Content-Type: application/offset+octet-stream\r\n\r\n")
            writer.write(data[offset : offset + (end - offset) // 2])
            await writer.drain()
            await asyncio.sleep(0.5)
            writer.close()
            await asyncio.sleep(0.2)
            async with http.head(endpoint) as head_response:
                offset = int(head_response.headers["Upload-Offset"])
            continue
        async with http.patch(endpoint, data=data[offset:end], headers={**octets, "Upload-Offset": str(offset)}) as r:
            if r.status == 409:  # the dropped request is still being wound up: ask again
                await asyncio.sleep(0.2)
                async with http.head(endpoint) as head_response:
                    offset = int(head_response.headers["Upload-Offset"])
                continue
            assert r.status == 204, await r.text()
            offset = int(r.headers["Upload-Offset"])
    assert dropped


def test_a_25_mb_clip_through_the_page_and_a_result_over_the_limit_as_preview_and_link(
    tmp_path: Path, pool: ProcessPoolExecutor, big_clip: bytes
) -> None:
    port = free_port()

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = bot_settings(
                fake,
                tmp_path,
                public_url=f"http://127.0.0.1:{port}/",
                web_port=port,
                telegram_max_upload_mb=8.0,
                data_dir=tmp_path / "data",
            )
            async with running_bot(settings, LocalBackend(settings, executor=pool)), aiohttp.ClientSession() as http:
                assert "upload" in [c["command"] for c in fake.commands]  # in the menu while the page is on
                file_id = fake.add_file(b"\0" * 64, file_name="big.mp4", kind="video", size=len(big_clip))
                fake.push_message(CHAT, CHAT, video=file_id, caption="calm")
                offer = await fake.wait_for("sendMessage", text_in(CHAT, "this page"), timeout=30)
                assert "20 MB" in offer.params["text"] and fake.calls_to("getFile") == []
                url = offer.params["text"].rsplit(" ", 1)[-1]
                assert url.startswith(f"http://127.0.0.1:{port}/u/")
                async with http.get(url) as page:
                    assert page.status == 200 and "<progress" in await page.text()

                await _upload(http, url, big_clip, port)
                preview = await fake.wait_for("sendVideo", to_chat(CHAT), timeout=240)
                assert preview.ok, preview.error
                # served like a clip sent in the chat: a status message kept up to date, gone with the result
                messages = fake.calls_to("sendMessage")
                statuses = [c for c in messages[messages.index(offer) + 1 :] if c.ok]
                assert statuses, "a status message while the uploaded clip was worked on"
                await fake.wait_for("deleteMessage", to_chat(CHAT), timeout=30)
                assert fake.calls_to("sendChatAction"), "the chat shows the bot at work, as for an attachment"
                sent = preview.files["video"].data
                assert len(sent) <= 8 * 1024 * 1024 and sent[4:8] == b"ftyp" and "BPM" in preview.params["caption"]
                full = await fake.wait_for("sendMessage", text_in(CHAT, "Full quality"), timeout=30)
                link = full.params["text"].rsplit(" ", 1)[-1]
                async with http.get(link, headers={"Range": "bytes=0-1023"}) as part:
                    assert part.status == 206 and len(await part.read()) == 1024
                    total = int(part.headers["Content-Range"].rsplit("/", 1)[1])
                    assert total > 8 * 1024 * 1024  # the full-quality file, not the preview
                    assert 'filename="musiccog-' in part.headers["Content-Disposition"]
                async with http.get(link, headers={"Range": f"bytes={total - 100}-"}) as tail:
                    assert tail.status == 206 and len(await tail.read()) == 100

                async with http.get(url) as used:
                    assert used.status == 404  # the upload link was spent

                fake.push_message(CHAT, CHAT, "导出")  # export offers the link too (in the words' language)
                exported = await fake.wait_for("sendVideo", to_chat(CHAT), timeout=240)
                assert len(exported.files["video"].data) <= 8 * 1024 * 1024
                again = await fake.wait_for("sendMessage", text_in(CHAT, "原画质"), timeout=30)
                second = again.params["text"].rsplit("：", 1)[-1]
                assert second != link
                async with http.head(second) as head:
                    assert head.status == 200 and int(head.headers["Content-Length"]) == total
                oops = [c for c in fake.calls_to("sendMessage") if "on my side" in c.params.get("text", "")]
                assert oops == []

    asyncio.run(main())


def test_a_file_whose_size_telegram_did_not_announce_gets_the_link_when_getfile_refuses_it(
    tmp_path: Path, pool: ProcessPoolExecutor
) -> None:
    """No ``file_size`` in the message: the bot tries ``getFile``, Telegram says "file is too big", and the
    refusal comes with an upload link, in the chat's language, as it does when the size was announced."""
    port = free_port()

    async def main() -> None:
        async with FakeBotApi() as fake:
            settings = bot_settings(fake, tmp_path, public_url=f"http://127.0.0.1:{port}/", web_port=port)
            async with running_bot(settings, LocalBackend(settings, executor=pool)), aiohttp.ClientSession() as http:
                big = 30 * 1024 * 1024
                file_id = fake.add_file(b"\0" * 64, file_name="big.mp4", kind="video", size=big, size_announced=False)
                fake.push_message(CHAT, CHAT, video=file_id, caption="安静一点")
                offer = await fake.wait_for("sendMessage", text_in(CHAT, "http://127.0.0.1"), timeout=120)
                assert len(fake.calls_to("getFile")) >= 1, "the size was learned from getFile"
                text = offer.params["text"]
                assert "20 MB" in text and "20" in text
                url = text.split()[-1].rstrip("。.")
                url = url[url.index("http") :]
                assert f"127.0.0.1:{port}/u/" in url
                async with http.get(url) as page:
                    assert page.status == 200 and "<progress" in await page.text()

    asyncio.run(main())
