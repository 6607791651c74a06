"""``musiccog run``: Telegram and Discord served by one process on ONE engine.

``bot.cli.serve.serve_all`` runs against both fakes on 127.0.0.1 (PTB's real Application and discord.py's real
client), with the default backend (``LocalBackend`` from the settings, one spawn worker), real SQLite and
tiny generated clips. A Telegram user and a Discord user each send a clip at the same time; both get their
video back on their own platform, through the same ``Services``/``Engine``/store, and cancelling the task
shuts everything down cleanly.

Observed, not counted: nothing of ours is patched. "One ``Services``" is the data dir's process lock held
while serving (an adapter opening its own would be refused by it) and free again after the shutdown; "one
engine" is its one queue: with one worker, exactly one of the two users is told they are in line.

Why the waits are what they are: this once timed out at load ~10 on 2 cores while the music library was
indexed inside the 60 s wait. The library is now indexed up front (the run's shared data dir), every wait is
on an event (a call reaching a fake) and the limits are generous: they only bound a hung run.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.cli import main
from bot.cli.serve import serve_all
from bot.config import Settings, get_settings
from bot.errors import InputRejected
from bot.media.library import load_library
from bot.services import Services
from tests.fakes.discord_api import ApiCall as DiscordCall
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import ApiCall as TelegramCall
from tests.fakes.telegram_api import FakeBotApi
from tests.mediagen import make_clip

TG_CHAT = 41
DC_USER = 5005
START_S = 120.0
"""Both platforms up (login, gateway, commands synced, engine started)."""
RESULT_S = 300.0
"""Both clips rendered, one after the other on the one worker."""
SETTLE_S = 60.0
"""A delivered result's job recorded as done; the whole process stopped after the cancel."""


@pytest.fixture(autouse=True)
def _ptb_and_discord_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB needs PTB_TIMEDELTA; ``configure_endpoints`` sets discord.py class attributes: put them back."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's shared data dir (see ``tests/conftest.py``), its music library indexed once up front."""
    path = tmp_path_factory.getbasetemp() / "musiccog-data"
    load_library(Settings(data_dir=path))
    return path


def _tg_to(chat: int) -> Callable[[TelegramCall], bool]:
    return lambda call: call.params.get("chat_id") == chat


def _dc_has_video(call: DiscordCall) -> bool:
    return bool(call.files) and call.files[0].data[4:8] == b"ftyp"


def _told_in_line(tg: FakeBotApi, dc: FakeDiscord) -> list[str]:
    """Who heard "You're #N in line" (the engine's queue is full), by platform."""
    told = ["telegram" for c in tg.calls_to("sendMessage") if "in line" in c.params.get("text", "")]
    told += ["discord" for c in dc.calls if "in line" in str(c.payload.get("content"))]
    return told


async def _jobs_settled(db: Path, timeout_s: float) -> list[tuple[str, str, str]]:
    """(platform, chat, state) of every job once none is queued or running any more."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT platform, chat_id, state FROM jobs ORDER BY id").fetchall()
        conn.close()
        if all(state not in ("queued", "running") for _, _, state in rows) or loop.time() > deadline:
            return [(str(platform), str(chat), str(state)) for platform, chat, state in rows]
        await asyncio.sleep(0.1)


def test_run_serves_telegram_and_discord_on_one_engine(
    tmp_path: Path, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clip = make_clip(tmp_path / "trip.mp4", duration_s=2.0, size=(160, 90), cut_times_s=(1.0,)).read_bytes()
    children_before = set(multiprocessing.active_children())

    async def scenario() -> None:
        async with FakeBotApi() as tg, FakeDiscord() as dc:
            settings = Settings(
                data_dir=data_dir,
                engine_db_path=tmp_path / "sessions.sqlite3",
                temp_dir=tmp_path / "tmp",
                telegram_bot_token=tg.token,
                telegram_api_base_url=tg.base_url,
                telegram_api_file_url=tg.base_file_url,
                discord_bot_token=dc.token,
                discord_api_base_url=dc.base_url,
                discord_gateway_url=dc.gateway_url,
                workers=1,
                progress_interval_s=0.5,
            )
            serving = asyncio.create_task(serve_all(settings))
            try:
                ready = asyncio.ensure_future(dc.wait_ready(START_S))
                await asyncio.wait({ready, serving}, return_when=asyncio.FIRST_COMPLETED)
                if serving.done():  # a platform failed to start: show why
                    ready.cancel()
                    serving.result()
                await ready
                await tg.wait_for("setMyCommands", timeout=START_S)  # the Telegram adapter is set up too
                assert [c["command"] for c in tg.commands][:2] == ["start", "help"]
                assert {c["name"] for c in dc.commands["global"]} >= {"music", "help"}

                # One process, one Services: they hold the data dir's lock while both adapters serve.
                with pytest.raises(InputRejected, match="Another musiccog bot is already serving"):
                    await Services.open(settings)

                # Both users send a clip at about the same time.
                tg.push_message(TG_CHAT, TG_CHAT, video=tg.add_file(clip, kind="video"), caption="calm")
                dc.push_command(
                    "music", {"video": dc.add_attachment(clip, "trip.mp4"), "mood": "upbeat"}, user_id=DC_USER
                )
                # The Discord result replaces the deferred response, or is a follow-up when the response
                # already holds an answer ("You're #1 in line" while the one worker renders the other clip).
                tg_video, dc_video = await asyncio.gather(
                    tg.wait_for("sendVideo", _tg_to(TG_CHAT), timeout=RESULT_S),
                    dc.wait_for(("edit_original", "followup"), _dc_has_video, timeout=RESULT_S),
                )
                assert tg_video.ok, tg_video.error
                assert "BPM" in tg_video.params["caption"] and tg_video.files["video"].data[4:8] == b"ftyp"
                fields = {f["name"] for f in dc_video.payload["embeds"][0]["fields"]}
                assert fields == {"BPM", "Cuts on beat", "Loudness"}
                # Each platform got only its own result (both adapters are attached to the engine).
                assert len(tg.calls_to("sendVideo")) == 1
                assert len([c for c in dc.calls if _dc_has_video(c)]) == 1
                # One engine, one queue: with one worker, whichever clip came second waited for the first.
                assert len(_told_in_line(tg, dc)) == 1, _told_in_line(tg, dc)

                # One SQLite db holds the jobs of both platforms, all done.
                rows = await _jobs_settled(settings.engine_db, SETTLE_S)
                assert {platform for platform, _, _ in rows} == {"telegram", "discord"}, rows
                assert all(state == "done" for _, _, state in rows), rows
                assert ("telegram", str(TG_CHAT)) in {(p, c) for p, c, _ in rows}
                assert any(p == "discord" and c.endswith(f":{DC_USER}") for p, c, _ in rows), rows
                job_dbs = []
                for path in tmp_path.rglob("*.sqlite3"):
                    with sqlite3.connect(path) as db:
                        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone():
                            job_dbs.append(path)
                    db.close()
                assert job_dbs == [settings.engine_db]
            finally:
                serving.cancel()
                done, _ = await asyncio.wait({serving}, timeout=SETTLE_S)
            assert done, f"_serve_all did not stop within {SETTLE_S} s of being cancelled"
            assert serving.cancelled(), serving.exception()  # CancelledError and nothing else

            # Services closed: the lock is free (a new process could serve), no job is left behind, and the
            # worker pool is gone.
            reopened = await Services.open(settings)
            try:
                assert await reopened.store.queued_count() == 0
            finally:
                await reopened.close()
            assert set(multiprocessing.active_children()) <= children_before
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
