"""NemoBackend end to end against the fake NemoVideo server (loopback only, millisecond waits)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.backends.base import Backend, BackendEvent, Credits, ExportOptions, Rendered, Said, Stage
from bot.backends.factory import make_backend
from bot.backends.nemo import NemoBackend, NemoDraft
from bot.backends.nemo.backend import TurnLost
from bot.backends.nemo.turn import TurnTimedOut
from bot.config import Settings
from bot.errors import BackendRefused, InputRejected
from bot.language import say
from tests.fakes.nemo_api import (
    DROP,
    FAST,
    HEARTBEAT_COMMENT,
    HEARTBEAT_EMPTY,
    HEARTBEAT_EVENT,
    FakeNemoApi,
    Sleep,
    Step,
    Turn,
    adk_error,
    adk_text,
    adk_tool,
    adk_tool_result,
    draft_with,
    simple_text,
    simple_tool,
    simple_tool_result,
)
from tests.mediagen import make_clip

STAGES = {"upload", "agent", "render", "export"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("nemo") / "trip.mp4", duration_s=3.0, size=(320, 180), audio="noise")


def _settings(tmp_path: Path, fake: FakeNemoApi, **extra: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "nemo_api_url": fake.url, "nemo_token": None}
    values.update(extra)
    return Settings(**values)


def _backend(tmp_path: Path, fake: FakeNemoApi, **extra: Any) -> NemoBackend:
    settings_extra = {k: extra.pop(k) for k in list(extra) if k.startswith("nemo_")}
    return NemoBackend(_settings(tmp_path, fake, **settings_extra), **{**FAST, **extra})


def _run(body: Callable[[FakeNemoApi], Awaitable[None]], video: bytes | None = None) -> None:
    async def main() -> None:
        async with FakeNemoApi() as fake:
            if video is not None:
                fake.video_bytes = video
            await body(fake)

    asyncio.run(main())


async def _collect(events: AsyncIterator[BackendEvent]) -> list[BackendEvent]:
    return [event async for event in events]


def _said(events: list[BackendEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, Said)]


def _rendered(events: list[BackendEvent]) -> list[Rendered]:
    return [e for e in events if isinstance(e, Rendered)]


async def _uploaded(backend: NemoBackend, fake: FakeNemoApi, clip: Path, platform: str = "telegram") -> str:
    """A session with the clip uploaded and a first render made."""
    sid = await backend.open_session(platform=platform, language="en")
    fake.queue_turn(Turn([adk_tool("add_bgm"), adk_text("I added a lo-fi track.")], draft=draft_with(bgm="Lo-fi")))
    events = await _collect(backend.upload(sid, clip, prompt="chill"))
    assert _rendered(events)
    return sid


def _nemo_sid(fake: FakeNemoApi) -> str:
    return next(iter(fake.sessions))


def test_factory_and_protocol(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = make_backend(_settings(tmp_path, fake), "nemo")
        assert isinstance(backend, NemoBackend) and isinstance(backend, Backend)
        await backend.close()

    _run(body)


def test_upload_renders_and_downloads_from_the_cdn_without_the_token(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await backend.open_session(platform="telegram", language="en")
        assert await backend.state(sid) is None  # nothing uploaded yet
        fake.queue_turn(
            Turn(
                [
                    HEARTBEAT_COMMENT,
                    adk_tool("generate_bgm"),
                    adk_tool_result("generate_bgm"),
                    adk_text("I added ", partial=True),
                    adk_text("a lo-fi", partial=True),
                    adk_text("I added a lo-fi track at 35%. Click Export in the top right to download it."),
                ],
                draft=draft_with(bgm="Lo-fi"),
            )
        )
        events = await _collect(backend.upload(sid, clip, prompt="chill evening"))
        assert {e.stage for e in events if isinstance(e, Stage)} == STAGES
        assert _said(events) == ['I added a lo-fi track at 35%.\n\nSay "export" when you want the final file.']
        (rendered,) = _rendered(events)
        assert isinstance(events[-1], Rendered)
        assert rendered.track_title == "Lo-fi"
        assert rendered.reason == "I added a lo-fi track at 35%."
        assert (rendered.width, rendered.height) == (320, 180)
        assert rendered.duration_s == pytest.approx(3.0, abs=0.1)
        assert rendered.path.read_bytes() == fake.video_bytes
        assert rendered.path.is_relative_to(tmp_path / "data" / "nemo-sessions")
        # the agent got the mood; the upload used the "files" field
        assert "chill evening" in fake.turn_messages[0] and "background music" in fake.turn_messages[0]
        assert fake.by_route("upload")[0].files[0][:2] == ("files", "trip.mp4")
        # the CDN (another host name) never saw the token; every API call after auth carried it
        token = fake.issued[0][1]
        (cdn,) = fake.by_route("cdn")
        assert cdn.host.startswith("localhost:") and cdn.header("Authorization") is None
        for request in fake.requests:
            if request.route in ("auth", "cdn"):
                continue
            assert request.host.startswith("127.0.0.1:")
            assert request.header("Authorization") == f"Bearer {token}"
            assert request.header("X-Skill-Source") == "best-music-cog"
            assert request.header("X-Skill-Platform") == "telegram"
            assert request.header("X-Skill-Version")
        state = await backend.state(sid)
        assert isinstance(state, NemoDraft) and state.summary().startswith("Timeline (2 tracks): 1. Video")
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_instruct_with_text_rerenders_with_notes(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        fake.queue_turn(
            Turn([simple_tool("edit"), simple_tool_result("edit"), simple_text("Swapped to piano. Drag it to move.")],
                 draft=draft_with(bgm="Piano"))
        )  # fmt: skip
        events = await _collect(backend.instruct(sid, "use piano instead"))
        assert _said(events) == ["Swapped to piano."]
        (rendered,) = _rendered(events)
        assert rendered.notes == "Swapped to piano." and rendered.track_title == "Piano"
        assert fake.turn_messages[-1] == "use piano instead"
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_tool_only_turn_reports_the_diff(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        fake.queue_turn(Turn([adk_tool("edit"), adk_tool_result("edit")], draft=draft_with(bgm="Lo-fi", title="Hi")))
        events = await _collect(backend.instruct(sid, "add a title Hi"))
        (said,) = _said(events)
        assert 'added Title: "Hi"' in said
        (rendered,) = _rendered(events)
        assert 'Title: "Hi"' in rendered.notes
        # nothing changed and nothing said: never silence
        fake.queue_turn(Turn([simple_tool("edit"), HEARTBEAT_EMPTY]))
        events = await _collect(backend.instruct(sid, "hmm"))
        assert len(events) >= 1 and not _rendered(events)
        assert "nothing changed" in _said(events)[-1]
        # text but no change: the text, no render
        fake.queue_turn(Turn([adk_text("Which part should I trim?")]))
        events = await _collect(backend.instruct(sid, "trim it"))
        assert _said(events) == ["Which part should I trim?"] and not _rendered(events)
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_dropped_stream_recovers_from_state_without_resending(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        turns_before = len(fake.by_route("run_sse"))
        # the turn changes the draft, but the stream is cut before any text
        fake.queue_turn(Turn([adk_tool("edit"), Sleep(0.05), DROP], draft=draft_with(bgm="Jazz")))
        events = await _collect(backend.instruct(sid, "jazz please"))
        assert len(fake.by_route("run_sse")) == turns_before + 1
        assert "BGM: Jazz" in _said(events)[0]
        assert _rendered(events)[0].track_title == "Jazz"
        # cut again and nothing changes: bounded state checks, then a retry-later failure
        state_reads = len(fake.by_route("state"))
        fake.queue_turn(Turn([HEARTBEAT_COMMENT, DROP]))
        with pytest.raises(TurnLost):
            await _collect(backend.instruct(sid, "more jazz"))
        assert len(fake.by_route("run_sse")) == turns_before + 2
        assert len(fake.by_route("state")) - state_reads == 1 + 5  # before the turn, then 5 checks
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_heartbeats_only_and_hard_timeouts(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake, idle_timeout_s=0.3)
        sid = await _uploaded(backend, fake, clip)
        beats: list[Any] = [HEARTBEAT_COMMENT, Sleep(0.05), HEARTBEAT_EVENT, Sleep(0.05), HEARTBEAT_EMPTY, Sleep(0.05)]
        fake.queue_turn(Turn(beats * 40))
        with pytest.raises(TurnTimedOut):
            await _collect(backend.instruct(sid, "slow"))
        await backend.close()
        hard = _backend(tmp_path, fake, turn_timeout_s=0.3)
        fake.queue_turn(Turn([adk_tool("generate_video"), Sleep(0.1)] * 20))
        with pytest.raises(TurnTimedOut):
            await _collect(hard.instruct(sid, "slow again"))
        # the client still works after the aborted streams
        assert await hard.credits(sid) == Credits(remaining=100, limit=100)
        await hard.close()

    _run(body, video=clip.read_bytes())


def test_cancellation_closes_the_stream(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        beats: list[Step] = [Sleep(0.05), HEARTBEAT_COMMENT]
        fake.queue_turn(Turn([adk_tool("generate_video"), *beats * 100]))
        task = asyncio.create_task(_collect(backend.instruct(sid, "long one")))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await backend.credits(sid) == Credits(remaining=100, limit=100)
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_session_not_found_opens_a_new_session_and_tells_the_user(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        old = _nemo_sid(fake)
        fake.forget_session(old)
        events = await _collect(backend.instruct(sid, "louder"))
        said = _said(events)
        assert "expired" in said[0] and "send your clip again" in said[1]
        assert len(fake.sessions) == 1 and _nemo_sid(fake) != old
        assert fake.turn_messages[-1] != "louder"  # no turn was sent to a dead session
        # the upload path has the file, so it carries on in the new session
        fake.forget_session(_nemo_sid(fake))
        fake.queue_turn(Turn([adk_text("Added music.")], draft=draft_with(bgm="Pop")))
        events = await _collect(backend.upload(sid, clip))
        assert "expired" in _said(events)[0] and _rendered(events)[0].track_title == "Pop"
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_a_chinese_session_is_told_in_chinese_whichever_request_finds_the_session_gone(
    tmp_path: Path, clip: Path
) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await backend.open_session(platform="telegram", language="zh-CN")
        fake.queue_turn(Turn([adk_text("已添加音乐。")], draft=draft_with(bgm="Lo-fi")))
        assert _rendered(await _collect(backend.upload(sid, clip)))
        expected = [say("nemo_draft_expired", "zh"), say("nemo_send_clip_again", "zh")]
        for request in (
            lambda: backend.export(sid, ExportOptions()),
            lambda: backend.instruct(sid, "大声一点"),
            lambda: backend.use_song(sid, clip.with_suffix(".mp3")),
        ):
            fake.forget_session(_nemo_sid(fake))
            assert _said(await _collect(request())) == expected
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_agent_error_codes(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        fake.fail("run_sse", code=2001)  # before the stream: plain JSON
        with pytest.raises(BackendRefused) as caught:
            await _collect(backend.instruct(sid, "more"))
        assert "register?bind=anon_" in caught.value.reason
        fake.queue_turn(Turn([adk_error(2001, "out of credits")]))  # inside the stream
        with pytest.raises(BackendRefused):
            await _collect(backend.instruct(sid, "more"))
        fake.queue_turn(Turn([adk_text("Done, louder now."), adk_error("E500", "tool crashed")]))
        events = await _collect(backend.instruct(sid, "louder"))
        assert _said(events) == ["Done, louder now."]
        fake.expire_tokens()  # 1001 before the stream: renew and send the turn once
        fake.queue_turn(Turn([adk_text("Okay.")]))
        events = await _collect(backend.instruct(sid, "ok?"))
        assert _said(events) == ["Okay."] and fake.turn_messages.count("ok?") == 1
        fake.fail("run_sse", http=429)
        fake.queue_turn(Turn([adk_text("After the wait.")]))
        assert _said(await _collect(backend.instruct(sid, "again"))) == ["After the wait."]
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_input_checks(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await backend.open_session()
        odd = tmp_path / "clip.flv"
        odd.write_bytes(b"x")
        with pytest.raises(InputRejected) as caught:
            await _collect(backend.upload(sid, odd))
        assert "mp4" in caught.value.reason and "mkv" in caught.value.reason
        assert fake.by_route("upload") == []
        fake.fail("upload", code=4002)
        with pytest.raises(InputRejected) as caught:
            await _collect(backend.upload(sid, clip))
        assert "compress" in caught.value.reason
        with pytest.raises(InputRejected):
            await _collect(backend.instruct(sid, "louder"))  # the upload failed: nothing to change
        assert fake.turn_messages == []
        song = tmp_path / "song.mp3"
        song.write_bytes(b"ID3")
        with pytest.raises(InputRejected):
            await _collect(backend.use_song(sid, song))  # no video yet
        with pytest.raises(InputRejected):
            await _collect(backend.export(sid, ExportOptions()))  # nothing to export
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_use_song(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        song = tmp_path / "mine.m4a"
        song.write_bytes(b"\x00" * 100)
        fake.queue_turn(Turn([adk_text("Your song is the music now.")], draft=draft_with(bgm="mine")))
        events = await _collect(backend.use_song(sid, song, title="Mine"))
        assert fake.by_route("upload")[-1].files[0][1] == "mine.m4a"
        assert "use this uploaded song as the background music" in fake.turn_messages[-1].lower()
        assert _rendered(events)[0].track_title == "mine"
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_render_failure_retries_with_a_new_id_and_data_poll_shape(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        fake.render_outcomes.extend(["fail", "ok"])
        fake.poll_shape = "data"
        await _uploaded(backend, fake, clip)
        first, second = (r.body["id"] for r in fake.by_route("render"))
        assert first != second and first.startswith("render_")
        assert fake.by_route("render")[1].body["sessionId"] == _nemo_sid(fake)
        assert fake.by_route("render")[1].body["draft"] == draft_with(bgm="Lo-fi")
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_poll_errors_repoll_and_cdn_failure_falls_back_to_the_proxy(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake, network_retries=0)
        fake.fail("poll", http=503)
        fake.fail("poll", drop=True)
        fake.fail("cdn", http=404)
        sid = await _uploaded(backend, fake, clip)
        assert len(fake.by_route("render")) == 1  # the same render, polled again
        (download,) = fake.by_route("download")
        assert download.header("Authorization") == f"Bearer {fake.issued[0][1]}"
        assert download.host.startswith("127.0.0.1:")
        assert await backend.state(sid) is not None
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_export_reuses_the_last_render_and_402(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        renders = len(fake.by_route("render"))
        events = await _collect(backend.export(sid, ExportOptions()))
        assert isinstance(events[-1], Rendered) and len(fake.by_route("render")) == renders
        assert all(e.stage == "export" for e in events if isinstance(e, Stage))
        fake.state_of(_nemo_sid(fake))["draft"] = draft_with(bgm="Lo-fi", volume=0.5)
        fake.fail("render", http=402)
        with pytest.raises(BackendRefused) as caught:
            await _collect(backend.export(sid, ExportOptions()))
        assert "register to export" in caught.value.reason
        events = await _collect(backend.instruct(sid, "export"))  # routed locally, never to the agent
        assert isinstance(events[-2], Rendered) and "export" not in fake.turn_messages
        claim = events[-1]  # a fresh export ends with the browser link to the project (§8.5)
        assert isinstance(claim, Said) and "https://nemovideo.com/workspace/claim?ct=clm_" in claim.text
        assert "nmv_" not in claim.text and fake.by_route("claim")
        assert {e.stage for e in events if isinstance(e, Stage)} <= {"export", "render"}
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_export_fits_under_the_size_cap(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        cap = int(len(fake.video_bytes) * 0.6)
        events = await _collect(backend.export(sid, ExportOptions(max_size_bytes=cap)))
        rendered = _rendered(events)[0]
        assert rendered.path.stat().st_size <= cap
        assert rendered.duration_s == pytest.approx(3.0, abs=0.2)
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_credits_and_mapping_survive_a_restart(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip, platform="discord")
        fake.credits = {"available": 40, "frozen": 10}
        assert await backend.credits(sid) == Credits(remaining=40, limit=50)
        await backend.close()
        again = _backend(tmp_path, fake)
        state = await again.state(sid)
        assert state is not None and state.bgm_title == "Lo-fi"
        assert fake.requests[-1].header("X-Skill-Platform") == "discord"
        fake.queue_turn(Turn([adk_text("Quieter now.")], draft=draft_with(bgm="Lo-fi", volume=0.2)))
        events = await _collect(again.instruct(sid, "quieter"))
        assert _rendered(events)[0].notes == "Quieter now."
        assert len(fake.sessions) == 1 and len(fake.issued) == 1
        await again.discard(sid)
        assert await again.state(sid) is None
        await again.close()

    _run(body, video=clip.read_bytes())


def test_registered_token_and_no_secrets_in_logs(tmp_path: Path, clip: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake, nemo_token=SecretStr(fake.registered_token))
        sid = await _uploaded(backend, fake, clip)
        fake.fail("run_sse", code=2001)
        with pytest.raises(BackendRefused) as caught:
            await _collect(backend.instruct(sid, "secret user words"))
        assert "top it up" in caught.value.reason
        assert fake.issued == []
        await backend.close()
        assert fake.registered_token not in caplog.text and fake.registered_token not in str(caught.value)
        assert "secret user words" not in "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
        assert "chill" not in caplog.text

    _run(body, video=clip.read_bytes())


def test_url_upload(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await backend.open_session(platform="cli")
        files = await backend.upload_urls(sid, ["https://example.com/v/holiday.mov?sig=1"])
        assert files[0]["filename"] == "holiday.mov" and files[0]["file_type"] == "video"
        assert fake.by_route("upload")[0].body == {
            "urls": ["https://example.com/v/holiday.mov?sig=1"],
            "source_type": "url",
        }
        assert await backend.state(sid) is not None
        await backend.close()

    _run(body)


def test_cancelling_during_render_cancels_the_render(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        fake.polls_to_complete = 10_000
        fake.state_of(_nemo_sid(fake))["draft"] = draft_with(bgm="Lo-fi", volume=0.9)
        task = asyncio.create_task(_collect(backend.export(sid, ExportOptions())))
        while len(fake.by_route("poll")) < 5:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        (cancel,) = fake.by_route("cancel")
        rid = fake.by_route("render")[-1].body["id"]
        assert cancel.path.endswith(f"/{rid}/cancel") and fake.renders[rid].cancelled
        await backend.close()

    _run(body, video=clip.read_bytes())


def test_a_failed_claim_link_does_not_spoil_the_export(tmp_path: Path, clip: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        backend = _backend(tmp_path, fake)
        sid = await _uploaded(backend, fake, clip)
        fake.state_of(_nemo_sid(fake))["draft"] = draft_with(bgm="Lo-fi", volume=0.5)
        fake.fail("claim", http=500)
        events = await _collect(backend.export(sid, ExportOptions()))
        assert isinstance(events[-1], Rendered)
        await backend.close()

    _run(body, video=clip.read_bytes())
