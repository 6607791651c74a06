"""``musiccog run``: Telegram and Discord served by one process on ONE engine.

``bot.cli._serve_all`` runs against both fakes on 127.0.0.1 (PTB's real Application and discord.py's real
client), with the default backend (``LocalBackend`` from the settings, one spawn worker), real SQLite and
tiny generated clips. A Telegram user and a Discord user each send a clip at the same time; both get their
video back on their own platform, through the same ``Services``/``Engine``/store, and cancelling the task
shuts everything down cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

import adapters.discord as discord_adapter
import adapters.telegram as telegram_adapter
from bot.cli import _serve_all, main
from bot.config import Settings, get_settings
from bot.engine.engine import Engine
from bot.services import Services
from tests.fakes.discord_api import ApiCall as DiscordCall
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import ApiCall as TelegramCall
from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_clip

TG_CHAT = 41
DC_USER = 5005


@pytest.fixture(autouse=True)
def _ptb_and_discord_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB needs PTB_TIMEDELTA; ``configure_endpoints`` sets discord.py class attributes: put them back."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)


def _tg_video_to(chat: int) -> Callable[[TelegramCall], bool]:
    return lambda call: call.params.get("chat_id") == chat


def _dc_has_video(call: DiscordCall) -> bool:
    return bool(call.files) and call.files[0].data[4:8] == b"ftyp"


async def _dc_video(fake: FakeDiscord, timeout: float) -> DiscordCall:
    """The Discord result: it replaces the deferred response, or is a follow-up when the response already
    holds an answer (e.g. "You're #1 in line" while the one worker renders the Telegram clip)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = [c for c in fake.calls if c.name in ("edit_original", "followup") and _dc_has_video(c)]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no Discord video within {timeout} s; calls: {[c.name for c in fake.calls]}")


def test_run_serves_telegram_and_discord_on_one_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clip = make_clip(tmp_path / "trip.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,)).read_bytes()

    opened: list[Services] = []
    engines: list[Engine] = []
    tg_apps: list[Any] = []
    dc_clients: list[discord_adapter.MusicBot] = []

    real_open = Services.open
    real_engine_init = Engine.__init__
    real_setup = telegram_adapter.setup
    real_build_client = discord_adapter.build_client

    async def counting_open(cls: type[Services], settings: Settings, **kwargs: Any) -> Services:
        services = await real_open(settings, **kwargs)
        opened.append(services)
        return services

    def counting_engine_init(self: Engine, *args: Any, **kwargs: Any) -> None:
        engines.append(self)
        real_engine_init(self, *args, **kwargs)

    async def recording_setup(app: Any) -> None:
        tg_apps.append(app)
        await real_setup(app)

    def recording_build_client(*args: Any, **kwargs: Any) -> discord_adapter.MusicBot:
        client = real_build_client(*args, **kwargs)
        dc_clients.append(client)
        return client

    monkeypatch.setattr(Services, "open", classmethod(counting_open))
    monkeypatch.setattr(Engine, "__init__", counting_engine_init)
    monkeypatch.setattr(telegram_adapter, "setup", recording_setup)
    monkeypatch.setattr(discord_adapter, "build_client", recording_build_client)

    async def scenario() -> None:
        async with FakeBotApi() as tg, FakeDiscord() as dc:
            settings = Settings(
                data_dir=tmp_path / "data",
                telegram_bot_token=tg.token,
                telegram_api_base_url=tg.base_url,
                telegram_api_file_url=tg.base_file_url,
                discord_bot_token=dc.token,
                discord_api_base_url=dc.base_url,
                discord_gateway_url=dc.gateway_url,
                workers=1,
                progress_interval_s=0.5,
            )
            serving = asyncio.create_task(_serve_all(settings))
            try:
                ready = asyncio.ensure_future(dc.wait_ready(30))
                await asyncio.wait({ready, serving}, return_when=asyncio.FIRST_COMPLETED)
                if serving.done():  # a platform failed to start: show why
                    ready.cancel()
                    serving.result()
                await ready
                await tg.wait_for("setMyCommands", timeout=30)  # the Telegram adapter is set up too
                assert [c["command"] for c in tg.commands][:2] == ["start", "help"]
                assert {c["name"] for c in dc.commands["global"]} >= {"music", "help"}

                # One process, one Services, one engine: both adapters' runtimes hold the very same objects.
                assert len(opened) == 1 and len(engines) == 1, (opened, engines)
                services = opened[0]
                assert len(tg_apps) == 1 and len(dc_clients) == 1
                await asyncio.wait_for(dc_clients[0].wait_until_ready(), 20)
                tg_runtime = tg_apps[0].bot_data["musiccog"]
                dc_runtime = dc_clients[0].runtime
                assert dc_runtime is not None
                assert tg_runtime.services is services and dc_runtime.services is services
                assert tg_runtime.engine is dc_runtime.engine is services.engine is engines[0]
                assert not tg_runtime.owns_services and not dc_runtime.owns_services
                assert set(services.engine._links) >= {"telegram", "discord"}  # both attached

                # Both users send a clip at about the same time.
                tg.push_message(TG_CHAT, TG_CHAT, video=tg.add_file(clip, kind="video"), caption="calm")
                dc.push_command(
                    "music", {"video": dc.add_attachment(clip, "trip.mp4"), "mood": "upbeat"}, user_id=DC_USER
                )
                tg_video, dc_video = await asyncio.gather(
                    tg.wait_for("sendVideo", _tg_video_to(TG_CHAT), timeout=60),
                    _dc_video(dc, 60),
                )
                assert tg_video.ok, tg_video.error
                assert "BPM" in tg_video.params["caption"] and tg_video.files["video"].data[4:8] == b"ftyp"
                fields = {f["name"] for f in dc_video.payload["embeds"][0]["fields"]}
                assert fields == {"BPM", "Cuts on beat", "Loudness"}
                # Each platform got only its own result.
                assert len(tg.calls_to("sendVideo")) == 1
                assert len([c for c in dc.calls if _dc_has_video(c)]) == 1
                await asyncio.wait_for(services.engine.drain(), 30)

                # One SQLite db holds the jobs of both platforms, all done.
                with sqlite3.connect(settings.engine_db) as db:
                    rows = db.execute("SELECT platform, chat_id, state FROM jobs ORDER BY id").fetchall()
                assert {platform for platform, _, _ in rows} == {"telegram", "discord"}, rows
                assert all(state == "done" for _, _, state in rows), rows
                assert ("telegram", str(TG_CHAT)) in {(p, c) for p, c, _ in rows}
                assert any(p == "discord" and c.endswith(f":{DC_USER}") for p, c, _ in rows), rows
                job_dbs = []
                for path in tmp_path.rglob("*.sqlite3"):
                    with sqlite3.connect(path) as db:
                        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone():
                            job_dbs.append(path)
                assert job_dbs == [settings.engine_db]
            finally:
                serving.cancel()
                done, _ = await asyncio.wait({serving}, timeout=30)
            assert done, "_serve_all did not stop within 30 s of being cancelled"
            assert serving.cancelled(), serving.exception()  # CancelledError and nothing else

            # Services closed: engine stopped, backend pool shut down, store connection closed.
            assert services.engine._dispatcher is None and services.engine._running == {}
            assert getattr(services.backend, "_executor", None) is None
            with pytest.raises(ValueError):
                await services.store.queued_count()
            assert tg_apps[0].bot_data.get("musiccog") is None and dc_clients[0].runtime is None
            temp = settings.job_temp_dir
            assert not temp.exists() or list(temp.iterdir()) == []  # no leftover job folders
            oops = [c for c in tg.calls_to("sendMessage") if "on my side" in c.params.get("text", "")]
            oops += [c for c in dc.calls if "on my side" in str(c.payload.get("content"))]
            assert oops == [], oops

    asyncio.run(scenario())
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], errors  # nothing failed on the way, nor while shutting down


def test_run_without_tokens_is_rejected(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "telegram_bot_token", "discord_bot_token"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no .env with tokens here
    get_settings.cache_clear()
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "No platform token is set: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN."
