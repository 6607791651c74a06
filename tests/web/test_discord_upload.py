"""Discord with the upload page on: ``/upload`` is synced, answers with a link, and a clip sent through the
page comes back in the channel (discord.py's real client against the fake Discord, the real web server)."""

from __future__ import annotations

import base64
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp

from adapters.discord import MusicBot
from bot.config import Settings
from tests.adapters.test_discord import content, has_file, run
from tests.fakes.discord_api import FakeDiscord
from tests.web.stack import free_port


def test_upload_command_and_a_clip_through_the_page(tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes) -> None:
    port = free_port()

    async def scenario(fake: FakeDiscord, client: MusicBot, settings: Settings) -> None:
        assert "upload" in {c["name"] for c in fake.commands["global"]}
        fake.push_command("upload")
        deferred = await fake.wait_for("callback")
        assert deferred.payload["type"] == 5 and deferred.payload["data"]["flags"] & 64  # only the asker sees it
        offer = await fake.wait_for("edit_original", lambda c: "this page" in content(c))
        url = content(offer).rsplit(" ", 1)[-1]
        name = base64.b64encode(b"trip.mp4").decode()
        async with aiohttp.ClientSession() as http:
            headers = {"Upload-Length": str(len(clip)), "Upload-Metadata": f"filename {name}"}
            async with http.post(url + "/file", headers=headers) as made:
                assert made.status == 201
            octets = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
            async with http.patch(url + "/file", data=clip, headers=octets) as done:
                assert done.status == 204
        result = await fake.wait_for("channel_message", has_file, timeout=90)
        assert result.payload["embeds"][0]["fields"][0]["name"] == "BPM"

    run(scenario, tmp_path, pool, public_url=f"http://127.0.0.1:{port}", web_port=port, data_dir=tmp_path / "data")
