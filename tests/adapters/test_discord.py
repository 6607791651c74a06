"""The Discord adapter end to end: discord.py's real client (REST, gateway, app-command tree, views) against
the fake Discord on 127.0.0.1, with the real engine, the real local backend (a shared spawn pool) and real
SQLite, on tiny generated clips."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

import adapters.discord as discord_adapter
import adapters.discord.surfaces as discord_surfaces
from adapters.discord import MusicBot, build_client
from bot.backends.local import LocalBackend
from bot.config import Settings
from bot.engine.messages import Incoming, Text, Video
from bot.language import say
from tests.fakes.discord_api import ApiCall, FakeDiscord

Scenario = Callable[[FakeDiscord, MusicBot, Settings], Awaitable[None]]
MP4 = b"ftyp"


@pytest.fixture(autouse=True)
def _restore_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """``configure_endpoints`` sets class attributes of discord.py; put them back after each test."""
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)


def run(
    scenario: Scenario,
    tmp_path: Path,
    pool: ProcessPoolExecutor,
    *,
    timeout_s: float = 90,
    gateway_from_base: bool = False,
    **overrides: Any,
) -> None:
    """Start the fake and the bot (login → setup_hook → gateway), run the scenario, close the bot."""

    async def main() -> None:
        async with FakeDiscord() as fake:
            settings = Settings(
                discord_bot_token=fake.token,
                discord_api_base_url=fake.base_url,
                discord_gateway_url=None if gateway_from_base else fake.gateway_url,
                workers=2,
                engine_db_path=tmp_path / "sessions.sqlite3",
                temp_dir=tmp_path / "tmp",
                progress_interval_s=0.5,
                **overrides,
            )
            client = build_client(settings, backend=LocalBackend(settings, executor=pool))
            async with client:
                serving = asyncio.create_task(client.start(fake.token))
                try:
                    ready = asyncio.ensure_future(fake.wait_ready(20))
                    await asyncio.wait({ready, serving}, return_when=asyncio.FIRST_COMPLETED)
                    if serving.done():  # login or setup failed: show why
                        ready.cancel()
                        serving.result()
                    await ready
                    await asyncio.wait_for(client.wait_until_ready(), 20)
                    await asyncio.wait_for(scenario(fake, client, settings), timeout_s)
                finally:
                    await client.close()
                    await asyncio.wait_for(serving, 60)
            assert client.runtime is None  # services it opened are closed
            oops = [c for c in fake.calls if "on my side" in str(c.payload.get("content"))]
            assert oops == [], oops

    asyncio.run(main())


async def settled(client: MusicBot) -> None:
    """Wait until the job behind a delivered result has finished and its event is fully served: the engine
    delivers the result before it records the job as done, so an instant next request could be "busy"."""
    assert client.runtime is not None
    cog = client.get_cog("MusicCog")
    assert isinstance(cog, discord_adapter.MusicCog)
    await asyncio.wait_for(client.runtime.engine.drain(), 30)
    await asyncio.wait_for(cog.drain(), 30)


def has_file(call: ApiCall) -> bool:
    return bool(call.files) and call.files[0].data[4:8] == MP4


def replies_to(call: ApiCall, message: dict[str, Any]) -> bool:
    return str((call.payload.get("message_reference") or {}).get("message_id")) == message["id"]


def content(call: ApiCall) -> str:
    return str(call.payload.get("content") or "")


def in_channel(channel_id: int | str) -> Callable[[ApiCall], bool]:
    return lambda call: call.path.get("channel") == str(channel_id)


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [item["custom_id"] for row in message["components"] for item in row["components"]]


def test_music_command_to_video_then_buttons_replies_and_commands(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes
) -> None:
    """/music with an attachment → progress edited into the deferred response → the video with embed and
    buttons; a button and a reply re-render with another track / quieter; a DM clip works as a message."""

    async def scenario(fake: FakeDiscord, client: MusicBot, settings: Settings) -> None:
        assert fake.identify is not None and fake.identify["intents"] == 1 | 1 << 9 | 1 << 12 | 1 << 15
        synced = {c["name"]: c for c in fake.commands["global"]}
        assert set(synced) == {"music", "montage", "status", "credits", "export", "new", "help"}
        assert [(o["name"], o["type"]) for o in synced["music"]["options"]] == [
            ("video", 11),
            ("mood", 3),
            ("volume", 4),
        ]
        music = synced["music"]
        assert music["description"] == say("discord_cmd_music")
        assert music["description_localizations"]["zh-CN"] == say("discord_cmd_music", "zh")
        assert music["options"][1]["description_localizations"]["zh-CN"] == say("discord_opt_mood", "zh")

        fake.push_command("music", {"video": fake.add_attachment(clip, "trip.mp4"), "mood": "calm"})
        assert (await fake.wait_for("callback")).payload["type"] == 5  # deferred, "thinking"
        progress = await fake.wait_for("edit_original", lambda c: "Got it" in content(c))
        assert not progress.files
        first = await fake.wait_for("edit_original", has_file, timeout=60)
        await settled(client)
        embed = first.payload["embeds"][0]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert set(fields) == {"BPM", "Cuts on beat", "Loudness"}
        assert fields["Loudness"].endswith("LUFS") and "cuts on the beat" in fields["Cuts on beat"]
        assert embed["title"] and first.payload["content"] is None
        assert custom_ids(first.result) == ["mc:another", "mc:quieter", "mc:louder", "mc:mute", "mc:export"]
        assert first.files[0].filename == "musiccog.mp4"

        fake.push_button("mc:another", first.result)
        assert (await fake.wait_for("callback")).payload["type"] == 5
        second = await fake.wait_for("edit_original", has_file, timeout=60)
        await settled(client)
        assert second.payload["embeds"][0]["title"] != embed["title"]  # another track

        fake.push_message("quieter", reply_to=second.result)  # a reply to the result, no mention needed
        status = await fake.wait_for("channel_message", lambda c: "Choosing the music" in content(c))
        quieter = await fake.wait_for("channel_message", has_file, timeout=60)
        await settled(client)
        assert "music" in quieter.payload["embeds"][0]["description"].casefold()
        assert (await fake.wait_for("delete_message")).path["message"] == status.result["id"]

        fake.push_command("status")
        assert "Timeline" in content(await fake.wait_for("edit_original", lambda c: "Timeline" in content(c)))
        fake.push_command("credits")
        await fake.wait_for("edit_original", lambda c: "17 of 20 renders left today" in content(c))
        fake.push_command("help")
        helped = await fake.wait_for("edit_original", lambda c: content(c).startswith("Hi!"))
        assert len(content(helped)) <= 2000

        dm = fake.push_message("upbeat", dm=True, attachments=[fake.add_attachment(clip, "dm.mp4")], user_id=2002)
        in_dm = in_channel(dm["channel_id"])
        result = await fake.wait_for("channel_message", lambda c: in_dm(c) and has_file(c), timeout=60)
        assert result.payload["embeds"][0]["fields"][0]["name"] == "BPM"
        assert str(result.payload["message_reference"]["message_id"]) == dm["id"]

    run(scenario, tmp_path, pool)


def test_limits_bad_input_and_addressing(tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes) -> None:
    """Input over the limit → the clear sentence, nothing downloaded; output fitted under a small interaction
    limit; a text file named .mp4 and an empty file get a sentence and the bot keeps serving."""

    async def scenario(fake: FakeDiscord, client: MusicBot, settings: Settings) -> None:
        big = fake.add_attachment(b"\0" * 64, "long.mp4", size=5 * 1024 * 1024)
        fake.push_command("music", {"video": big})
        refused = await fake.wait_for("callback")
        text = refused.payload["data"]["content"]
        assert "That file is 5 MB" in text and "up to 2 MB" in text and "link" in text
        fake.push_message("calm", attachments=[big])  # in a channel, not for us: ignored
        fake.push_message("calm", attachments=[big], mention_bot=True)
        assert "That file is 5 MB" in content(await fake.wait_for("channel_message"))
        assert fake.calls_to("cdn") == []  # refused from the announced size

        limit = len(clip) // 2
        fake.push_command("music", {"video": fake.add_attachment(clip, "trip.mp4")}, attachment_size_limit=limit)
        fitted = await fake.wait_for("edit_original", has_file, timeout=60)
        await settled(client)
        assert 0 < len(fitted.files[0].data) <= limit

        fake.push_command("new", user_id=3003)
        await fake.wait_for("edit_original", lambda c: "Fresh start" in content(c))
        notes = fake.add_attachment(b"my holiday notes, not a video\n" * 20, "notes.mp4", content_type="text/plain")
        fake.push_command("music", {"video": notes}, user_id=3003)
        answer = await fake.wait_for("edit_original", lambda c: "error" in content(c), timeout=60)
        assert "isn't a video" in content(answer) and fake.token not in content(answer)
        await settled(client)
        empty = fake.add_attachment(b"", "empty.mp4")
        fake.push_message("", attachments=[empty], mention_bot=True, user_id=3003)
        failed = await fake.wait_for("channel_message", lambda c: "error" in content(c), timeout=60)
        assert "Traceback" not in content(failed)
        await settled(client)
        fake.push_command("music", {"video": fake.add_attachment(clip, "ok.mp4")}, user_id=3003)
        assert (await fake.wait_for("edit_original", has_file, timeout=60)).payload["embeds"]  # still serving

        channel = client.get_partial_messageable(fake.channel_id)
        cog = client.get_cog("MusicCog")
        assert isinstance(cog, discord_adapter.MusicCog)
        big_result = tmp_path / "big.mp4"
        big_result.write_bytes(b"\0" * 3 * 1024 * 1024)
        surface = discord_surfaces.ChannelSurface(cog, channel, 2 * 1024 * 1024)
        await surface.show(Video(path=big_result, caption="x"))
        over = await fake.wait_for("channel_message", lambda c: "finished video" in content(c))
        assert content(over).startswith("The finished video is 3 MB, over this channel's 2 MB upload limit")
        refusals = [c for c in fake.calls_to("channel_message") if "That file is 5 MB" in content(c)]
        assert len(refusals) == 1  # the unaddressed channel message got nothing

        fake.update_guild(locale="zh-CN")  # a Chinese server: its members' plain messages are answered in Chinese
        guild = client.get_guild(fake.guild_id)
        while guild is None or guild.preferred_locale is not discord.Locale.chinese:
            await asyncio.sleep(0.05)
            guild = client.get_guild(fake.guild_id)
        asked = fake.push_message("status", mention_bot=True, user_id=5005)
        answer = await fake.wait_for("channel_message", lambda c: replies_to(c, asked))
        assert "视频" in content(answer)  # "send me a video first", in Chinese

    run(scenario, tmp_path, pool, max_input_mb=2 * 1.048576)


def test_old_tokens_links_gateway_lookup_and_redaction(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the REST base set → the gateway comes from /gateway/bot; a job past the token's life posts into the
    channel; links go through the SSRF guard; the token never reaches discord.py's log lines."""

    async def scenario(fake: FakeDiscord, client: MusicBot, settings: Settings) -> None:
        assert len(fake.calls_to("gateway_bot")) == 1

        fake.push_message("http://localhost/clip.mp4 calm", dm=True, user_id=4004)  # loopback: refused
        refused = await fake.wait_for("channel_message", lambda c: "error" in content(c), timeout=30)
        assert "private or local" in content(refused)

        link = fake.add_attachment(clip, "linked.mp4")["url"]  # any loopback URL will do: allow-listed below
        fake.push_message(f"{link} calm", dm=True, user_id=4005)
        assert (await fake.wait_for("channel_message", has_file, timeout=60)).payload["embeds"]

        stranger = fake._message(fake.channel_id, fake.bot_user, "", attachments=[], guild=True)
        fake.push_button("mc:quieter", stranger, user_id=4007)  # a result from before a restart: still routes
        await fake.wait_for("edit_original", lambda c: "Send me a video first" in content(c))

        cog = client.get_cog("MusicCog")
        assert isinstance(cog, discord_adapter.MusicCog)
        await cog.notify("discord", f"{fake.channel_id}:4008", Text("Your video is back."))
        assert in_channel(fake.channel_id)(await fake.wait_for("channel_message", lambda c: "is back" in content(c)))

        monkeypatch.setattr(discord_surfaces, "TOKEN_FRESH_S", 0.0)
        fake.push_command("music", {"video": fake.add_attachment(clip, "late.mp4")}, user_id=4006)
        late = await fake.wait_for("channel_message", has_file, timeout=60)
        assert late.path["channel"] == str(fake.channel_id) and late.payload["embeds"]
        assert not [c for c in fake.calls_to("edit_original") if c.files]

        record = logging.LogRecord("discord.http", logging.ERROR, __file__, 1, "token %s", (fake.token,), None)
        assert logging.getLogger("discord.http").filter(record)
        assert fake.token not in record.getMessage()

    run(scenario, tmp_path, pool, gateway_from_base=True, link_allowed_hosts="127.0.0.1")


def test_run_discord_with_shared_services_and_guild_sync(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    """``run_discord`` serves until cancelled; with DISCORD_GUILD_IDS the commands are synced to those guilds;
    services lent by ``musiccog run`` stay open for the other platforms."""
    from adapters.discord import run_discord
    from bot.services import Services

    async def main() -> None:
        async with FakeDiscord() as fake:
            settings = Settings(
                discord_bot_token=fake.token,
                discord_api_base_url=fake.base_url,
                discord_gateway_url=fake.gateway_url,
                discord_guild_ids=str(fake.guild_id),
                discord_message_content=False,
                workers=1,
                engine_db_path=tmp_path / "sessions.sqlite3",
                temp_dir=tmp_path / "tmp",
            )
            services = await Services.open(settings, backend=LocalBackend(settings, executor=pool))
            try:
                serving = asyncio.create_task(run_discord(settings, services=services))
                await fake.wait_ready(20)
                assert fake.identify is not None and fake.identify["intents"] == 1  # guilds only
                assert {c["name"] for c in fake.commands[str(fake.guild_id)]} >= {"music", "help"}
                assert "global" not in fake.commands
                fake.push_message("status", dm=True)  # no Message Content: plain messages are not served
                fake.push_command("credits", dm=True)
                await fake.wait_for("edit_original", lambda c: "renders left today" in content(c))
                assert fake.calls_to("channel_message") == []
                serving.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await serving
                replies = [r async for r in services.engine.handle(Incoming("discord", "1:1", "1", text="/help"))]
                assert replies  # the shared engine still serves
            finally:
                await services.close()

    asyncio.run(main())


def test_intents_endpoints_embed_and_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.discord import configure_endpoints, intents_for, result_embed, upload_limit_for
    from adapters.discord.surfaces import pieces

    assert intents_for(Settings(discord_message_content=True)).message_content
    assert intents_for(Settings(discord_message_content=False)).value == 1
    assert upload_limit_for(Settings(), interaction_limit=None, guild=None) == 10 * 1024 * 1024
    assert upload_limit_for(Settings(), interaction_limit=123, guild=None) == 123

    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    restore = configure_endpoints(
        Settings(discord_api_base_url="http://127.0.0.1:1/api/v10/", discord_gateway_url="ws://127.0.0.1:1/gw")
    )
    assert Route.BASE == "http://127.0.0.1:1/api/v10" and str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1/gw"
    restore()
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)

    from bot.backends.base import Rendered
    from bot.engine.engine import caption_for, result_facts

    rendered = Rendered(
        Path("x.mp4"), "Sunny Road", "Calm and bright like the clip", 96.0, 2, 3, -14.0, 640, 360, 5.0, False,
        notes="music −3 dB (71%)",
    )  # fmt: skip
    video = Video(
        path=rendered.path,
        caption=caption_for(rendered),
        title=rendered.track_title,
        description=f"{rendered.notes}\n{rendered.reason}",
        facts=result_facts(rendered),
    )
    embed = result_embed(video)
    assert embed.title == "Sunny Road"
    assert embed.description == "music −3 dB (71%)\nCalm and bright like the clip"
    assert [(f.name, f.value) for f in embed.fields] == [
        ("BPM", "96"),
        ("Cuts on beat", "2 of 3 cuts on the beat"),
        ("Loudness", "-14.0 LUFS"),
    ]
    exported = result_embed(
        Video(
            path=Path("x.mp4"),
            caption="Your final video — 🎵 Sunny Road",
            title="Sunny Road",
            description="Your final video",
        )
    )
    assert (exported.title, exported.description) == ("Sunny Road", "Your final video")

    text = "\n".join(f"line {n} " + "x" * 90 for n in range(60))
    found = pieces(text)
    assert all(len(p) <= 2000 for p in found) and "\n".join(found) == text


def test_shutdown_tells_waiting_chats_and_keeps_their_jobs(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes
) -> None:
    """Closing the client mid-job closes the engine first: the chat hears that the bot is restarting, and the
    job stays in the database (running or queued) for the next start to finish."""
    seen: dict[str, Any] = {}

    async def scenario(fake: FakeDiscord, client: MusicBot, settings: Settings) -> None:
        fake.push_command("music", {"video": fake.add_attachment(clip, "trip.mp4"), "mood": "calm"})
        await fake.wait_for("edit_original", lambda c: "Got it" in content(c))
        await client.close()
        seen["told"] = await fake.wait_for("edit_original", lambda c: "restarting" in content(c), timeout=60)

    run(scenario, tmp_path, pool)
    assert "restarting" in content(seen["told"])
    with sqlite3.connect(tmp_path / "sessions.sqlite3") as conn:
        states = [row[0] for row in conn.execute("SELECT state FROM jobs")]
    conn.close()
    assert states in (["running"], ["queued"]), states
