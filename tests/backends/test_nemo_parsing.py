"""The Nemo backend's pure parts: SSE events, GUI translation, draft summary/readiness/diff, poll shapes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from bot.backends.base import SessionState
from bot.backends.nemo.draft import NemoDraft, describe_changes
from bot.backends.nemo.render import read_poll
from bot.backends.nemo.sse import AgentError, Heartbeat, Text, ToolCall, ToolResult, TurnText, parse_event, sse_data
from bot.backends.nemo.translate import translate
from tests.fakes.nemo_api import adk_error, adk_text, adk_tool, adk_tool_result, draft_with, simple_text, simple_tool


async def _lines(text: str) -> AsyncIterator[str]:
    for line in text.split("\n"):
        yield line


def _data(text: str) -> list[str | None]:
    async def collect() -> list[str | None]:
        return [d async for d in sse_data(_lines(text))]

    return asyncio.run(collect())


def test_sse_framing_and_heartbeats() -> None:
    stream = ': keep-alive\n\ndata: {"a": 1}\n\ndata: \n\nevent: x\ndata: {"b":\ndata: 2}\n\n'
    assert _data(stream) == [None, '{"a": 1}', None, '{"b":\n2}']


def test_adk_events() -> None:
    assert parse_event(json.dumps(adk_text("Hello"))) == [Text("Hello", False)]
    assert parse_event(json.dumps(adk_text("Hel", partial=True))) == [Text("Hel", True)]
    assert parse_event(json.dumps(adk_tool("generate_bgm"))) == [ToolCall("generate_bgm")]
    assert parse_event(json.dumps(adk_tool_result("generate_bgm"))) == [ToolResult("generate_bgm")]
    assert parse_event(json.dumps(adk_error(2001, "no credits"))) == [AgentError(2001, "no credits")]
    assert parse_event(json.dumps({"error": "boom"})) == [AgentError(None, "boom")]
    assert parse_event(None) == [Heartbeat()]
    assert parse_event("not json") == []


def test_simplified_events() -> None:
    assert parse_event(json.dumps(simple_text("Hi"))) == [Text("Hi", False)]
    assert parse_event(json.dumps(simple_tool("edit"))) == [ToolCall("edit")]
    assert parse_event(json.dumps({"type": "tool_result", "name": "edit"})) == [ToolResult("edit")]
    assert parse_event(json.dumps({"type": "heartbeat"})) == [Heartbeat()]
    assert parse_event(json.dumps({"type": "error", "code": 4002, "message": "big"})) == [AgentError(4002, "big")]


def test_partial_chunks_are_progress_only() -> None:
    text = TurnText()
    text.add_all([Text("Add", True), Text("ed music", True), Text("Added music.", False)])
    assert text.text() == "Added music."
    fallback = TurnText()
    fallback.add_all([Text("Added ", True), Text("music", True)])  # the final event never came
    assert fallback.text() == "Added music"


def test_trailing_temporary_issue_is_ignored() -> None:
    text = TurnText()
    text.add_all([Text("Added lo-fi music."), Text("I encountered a temporary issue, please retry.")])
    assert text.text() == "Added lo-fi music."
    same = TurnText()
    same.add(Text("Done: calm piano added. Sorry, I encountered a temporary issue."))
    assert same.text() == "Done: calm piano added."
    alone = TurnText()
    alone.add(Text("I encountered a temporary issue."))
    assert alone.text() == "I encountered a temporary issue."


def test_translate_drops_gui_directions_en() -> None:
    text = (
        "I added a lo-fi track at 35% volume. Click the Export button in the top right to download it. "
        "You can preview it in the timeline.\n- Drag the music block to move it.\n- The title fades out at 3s."
    )
    out = translate(text, "en")
    assert "lo-fi track at 35% volume" in out
    assert "title fades out" in out
    for gone in ("Click", "preview", "Drag", "top right"):
        assert gone not in out
    assert 'Say "export"' in out


def test_translate_drops_gui_directions_zh() -> None:
    out = translate("我已添加了轻音乐背景。点击右上角的导出按钮下载。打开音频面板调整音量。标题在3秒淡出。", "zh")
    assert out.startswith("我已添加了轻音乐背景。标题在3秒淡出。")
    assert "点击" not in out and "面板" not in out
    assert "导出" in out  # the hint


def test_translate_keeps_plain_text() -> None:
    assert translate("The music now starts at 2 seconds.") == "The music now starts at 2 seconds."


def test_draft_summary_ready_and_json() -> None:
    draft = NemoDraft({"draft": draft_with(bgm="Lo-fi", title="Summer"), "video_infos": [{"filename": "a.mp4"}]})
    assert isinstance(draft, SessionState)
    assert draft.summary() == (
        'Timeline (3 tracks): 1. Video: clip (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Summer" (0-3s)'
    )
    assert draft.is_ready and draft.has_media
    assert draft.bgm_title == "Lo-fi"
    assert (draft.width, draft.height, draft.duration_s) == (320, 180, 10.0)
    assert NemoDraft.from_json(draft.to_json()) == draft
    empty = NemoDraft({"draft": {}, "video_infos": []})
    assert not empty.is_ready and not empty.has_media
    assert not NemoDraft({"draft": {"t": [{"tt": 0, "sg": []}]}}).is_ready


def test_describe_changes() -> None:
    before = NemoDraft({"draft": draft_with(bgm="Lo-fi")})
    after = NemoDraft({"draft": draft_with(bgm="Piano", volume=0.2, title="Hi")})
    changes = describe_changes(before, after)
    assert any(c.startswith("changed BGM: Piano") and "20%" in c for c in changes)
    assert any(c.startswith('added Title: "Hi"') for c in changes)
    assert describe_changes(after, after) == []
    removed = describe_changes(after, NemoDraft({"draft": draft_with(bgm="Piano", volume=0.2)}))
    assert removed == ['removed Title: "Hi" (0-3s)']


def test_read_poll_shapes() -> None:
    top = read_poll({"id": "r", "status": "completed", "progress": 100, "output": {"url": "https://cdn/x.mp4"}})
    assert (top.status, top.progress, top.url) == ("completed", 100.0, "https://cdn/x.mp4")
    data = read_poll({"success": True, "data": {"status": "processing", "progress": 40}})
    assert (data.status, data.progress, data.url) == ("processing", 40.0, None)
    nested = read_poll({"success": True, "data": {"status": "completed", "outputUrl": "https://cdn/y.mp4"}})
    assert nested.url == "https://cdn/y.mp4"
    mixed = read_poll({"status": "completed", "data": {"output": {"url": "https://cdn/z.mp4"}}})
    assert mixed.url == "https://cdn/z.mp4"
    failed = read_poll({"success": True, "data": {"status": "failed", "error": "boom"}})
    assert (failed.status, failed.error) == ("failed", "boom")
