"""Several items through the Discord adapter: discord.py's real client against the fake Discord, the real
engine and local backend, real SQLite. A message with several attachments is one set; ``/montage`` takes up
to 10 attachment options and a prompt."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import MusicBot
from bot.backends.base import MontageMaker
from bot.config import Settings
from tests.adapters.test_discord import content, custom_ids, has_file, run, settled
from tests.fakes.discord_api import ApiCall, FakeDiscord


@pytest.fixture(autouse=True)
def _restore_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """``configure_endpoints`` sets class attributes of discord.py; put them back after each test."""
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)


def in_reply_to(message: dict[str, Any]) -> Any:
    return lambda call: str((call.payload.get("message_reference") or {}).get("message_id")) == message["id"]


def test_several_attachments_are_one_set_and_montage_takes_ten(
    tmp_path: Path, pool: ProcessPoolExecutor, clip: bytes
) -> None:
    async def scenario(fake: FakeDiscord, client: MusicBot, settings: Settings) -> None:
        synced = {c["name"]: c for c in fake.commands["global"]}
        options = [(o["name"], o["type"], o.get("required", False)) for o in synced["montage"]["options"]]
        assert options[:2] == [("item1", 11, True), ("item2", 11, False)]
        assert [name for name, kind, _ in options if kind == 11] == [f"item{n}" for n in range(1, 11)]
        assert ("prompt", 3, False) in options and len(options) == 11

        attachments = [fake.add_attachment(clip, f"day{n}.mp4") for n in (1, 2)]
        sent = fake.push_message("", dm=True, attachments=attachments, user_id=2001)
        question = await fake.wait_for("channel_message", in_reply_to(sent), timeout=30)
        assert content(question) == "I have 2 videos. One film of them all, or each one separately?"
        assert custom_ids(question.result) == ["mc:set:film", "mc:set:each"]

        fake.push_button("mc:set:each", question.result, user_id=2001, dm=True)
        seen: list[ApiCall] = [await fake.wait_for("edit_original", has_file, timeout=60)]
        seen.append(await fake.wait_for("followup", has_file, timeout=60))  # later answers are follow-ups
        assert [c.payload["embeds"][0]["description"].splitlines()[0] for c in seen] == ["1 of 2", "2 of 2"]
        await settled(client)

        items = {f"item{n}": fake.add_attachment(clip, f"trip{n}.mp4") for n in (1, 2)}
        fake.push_command("montage", {**items, "prompt": "a 20-second travel montage"}, user_id=2002)
        if isinstance(client.runtime.engine._backends.default, MontageMaker):  # type: ignore[union-attr]
            film = await fake.wait_for("edit_original", has_file, timeout=120)
            assert film.payload["embeds"]
        else:  # this branch's local backend makes no films yet: it says so and makes each
            said = await fake.wait_for("edit_original", lambda c: "can't make one film" in content(c), timeout=30)
            assert content(said).startswith("The local backend")
            await fake.wait_for("followup", lambda c: has_file(c) and c not in seen, timeout=60)
        await settled(client)

    run(scenario, tmp_path, pool, collect_quiet_s=0.5)
