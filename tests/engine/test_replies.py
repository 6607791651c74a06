"""Reply building is pure: captions, facts, progress lines and failure wording in the chat's language."""

from __future__ import annotations

from pathlib import Path

from bot.backends.base import Rendered, Stage
from bot.engine.messages import Progress
from bot.engine.replies import (
    busy_reply,
    export_video,
    failure_reply,
    result_video,
    stage_progress,
    still_working,
    text_reply,
)
from bot.errors import BackendRefused, InputRejected, RenderFailed
from bot.language import say

RENDERED = Rendered(Path("x.mp4"), "Sunny", "bright and quick", 120.4, 3, 4, -14.0, 640, 360, 5.0, False, "quieter")


def test_a_result_in_chinese() -> None:
    video = result_video(RENDERED, "zh")
    assert video.lang == "zh"
    assert video.caption.splitlines() == [
        "quieter",
        "🎵 Sunny",
        "bright and quick",
        "120 BPM · 4 个剪辑点中 3 个踩在节拍上 · -14.0 LUFS",
    ]
    assert [fact.label for fact in video.facts] == ["BPM", "踩点", "响度"]
    assert [button.label for button in video.buttons] == ["换一首", "小声点", "大声点", "静音原声", "导出"]
    assert video.description == "quieter\nbright and quick"


def test_an_export_has_no_facts_and_no_buttons() -> None:
    video = export_video(RENDERED, "en")
    assert (video.caption, video.description, video.facts, video.buttons) == (
        "Your final video — 🎵 Sunny",
        "Your final video",
        (),
        (),
    )


def test_progress_lines_carry_their_language() -> None:
    assert stage_progress(Stage("match", 0.4), "en") == Progress("match", 0.4, "Choosing the music… 40%")
    assert stage_progress(Stage("render", 1.7), "zh") == Progress("render", 1.0, "正在混音和渲染… 100%", lang="zh")
    assert stage_progress(Stage("mystery", 0.0), "en").text == "mystery 0%"  # a stage nobody has words for yet
    again = still_working(Progress("render", 0.5, "正在混音和渲染… 50%", lang="zh"))
    assert again == Progress("render", 0.5, "正在混音和渲染… 50%\n还在处理中…", lang="zh")


def test_failures_are_worded_in_the_chat_language_with_their_id() -> None:
    rejected = failure_reply(InputRejected("send_video_first"), "zh", what="test")
    assert (rejected.kind, rejected.lang) == ("input", "zh")
    assert rejected.text == f"{say('send_video_first', 'zh')} （错误 {rejected.error_id}）"
    refused = failure_reply(BackendRefused("engine_private"), "en", what="test")
    assert refused.kind == "quota" and refused.text.startswith("Sorry, this bot is private")
    broken = failure_reply(RenderFailed("ffmpeg said no"), "en", what="test")
    assert broken.text == f"I couldn't finish your video this time; please try again. (error {broken.error_id})"
    assert "ffmpeg" not in broken.text  # the exception's own text is for the log only


def test_text_and_busy_replies() -> None:
    assert text_reply("engine_queue_position", "en", place=2).text == (
        "You're #2 in line — I'll start on your video soon."
    )
    busy = busy_reply("zh")
    assert busy.kind == "busy" and busy.lang == "zh" and "/cancel" in busy.text
    assert len(busy.error_id) == 8
