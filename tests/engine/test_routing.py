"""Intent routing (buttons, attachments, text) and the boundary dataclasses, table driven in English and Chinese.

The words themselves (language choice, /start and /help) are tested in ``tests/language/test_intents.py``."""

from __future__ import annotations

import inspect
import pickle

import pytest

import bot.engine as engine
from bot.engine import (
    BUTTON_ANOTHER,
    BUTTON_EXPORT,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_QUIETER,
    Incoming,
    Intent,
    MediaRef,
    Progress,
    new_error_id,
    result_buttons,
    route,
    route_text,
)
from bot.engine.routing import BUTTON_ROUTES
from bot.language.intents import strip_mentions
from bot.media.instructions import parse_instruction

ROUTES = [
    # export
    ("export", Intent.EXPORT),
    ("Export the quieter version", Intent.EXPORT),
    ("download", Intent.EXPORT),
    ("can I download it?", Intent.EXPORT),
    ("send me the video", Intent.EXPORT),
    ("send the final video please", Intent.EXPORT),
    ("导出", Intent.EXPORT),
    ("帮我导出小声点的版本", Intent.EXPORT),
    ("把视频发给我", Intent.EXPORT),
    # credits
    ("credits", Intent.CREDITS),
    ("what's my balance?", Intent.CREDITS),
    ("how many credits do I have left", Intent.CREDITS),
    ("积分", Intent.CREDITS),
    ("我的余额", Intent.CREDITS),
    # status
    ("status", Intent.STATUS),
    ("what's my status", Intent.STATUS),
    ("show tracks", Intent.STATUS),
    ("show me the tracks", Intent.STATUS),
    ("状态", Intent.STATUS),
    ("当前状态是什么", Intent.STATUS),
    # upload
    ("upload", Intent.UPLOAD),
    ("I want to upload another clip", Intent.UPLOAD),
    ("上传", Intent.UPLOAD),
    # commands
    ("/start", Intent.HELP),
    ("/help", Intent.HELP),
    ("/start@MusicCogBot", Intent.HELP),
    ("/new", Intent.NEW),
    ("/cancel", Intent.CANCEL),
    ("/status", Intent.STATUS),
    ("/export", Intent.EXPORT),
    ("/credits", Intent.CREDITS),
    ("/frobnicate", Intent.UNKNOWN_COMMAND),
    ("help", Intent.HELP),
    ("帮助", Intent.HELP),
    # edits and moods
    ("make it calm", Intent.EDIT),
    ("calmer and quieter, title 'Day 1'", Intent.EDIT),
    ("another track", Intent.EDIT),
    ("mute original", Intent.EDIT),
    ("more energetic", Intent.EDIT),
    ('title "Export day"', Intent.EDIT),
    ("title 「积分榜」", Intent.EDIT),
    ("换一首", Intent.EDIT),
    ("更安静，小声点", Intent.EDIT),
    ("音量 30%", Intent.EDIT),
    ("", Intent.EDIT),
]


@pytest.mark.parametrize(("text", "intent"), ROUTES)
def test_route_text(text: str, intent: Intent) -> None:
    assert route_text(text).intent is intent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@musicbot calm", "calm"),
        ("@musicbot, make it calm", "make it calm"),
        ("@a @b 更燃", "更燃"),
        ("make it calm @musicbot", "make it calm"),
        ("no mention here", "no mention here"),
    ],
)
def test_mentions_are_stripped(text: str, expected: str) -> None:
    assert route_text(text, bot_username="musicbot").text == expected
    assert strip_mentions(text, "@musicbot") == expected


def test_mention_before_command_and_keyword() -> None:
    assert route_text("@musicbot /new", bot_username="musicbot").intent is Intent.NEW
    assert route_text("@musicbot 导出").intent is Intent.EXPORT


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("/language zh", "zh"),
        ("/language en", "en"),
        ("/language 中文", "zh"),
        ("/lang English", "en"),
        ("/language klingon", None),
        ("/language", None),
        ("中文", "zh"),
        ("说中文", "zh"),
        ("English", "en"),
        ("switch to english", "en"),
        ("英文", "en"),
    ],
)
def test_language_switch(text: str, language: str | None) -> None:
    routed = route_text(text)
    assert routed.intent is Intent.LANGUAGE
    assert routed.argument == language


def test_unknown_command_keeps_its_name() -> None:
    routed = route_text("/frobnicate now")
    assert (routed.intent, routed.argument, routed.text) == (Intent.UNKNOWN_COMMAND, "frobnicate", "now")


def test_link_is_an_upload_with_the_rest_as_caption() -> None:
    routed = route_text("upbeat travel vibe https://example.com/clip.mp4.")
    assert routed.intent is Intent.UPLOAD
    assert routed.media == MediaRef(kind="link", url="https://example.com/clip.mp4")
    assert routed.text == "upbeat travel vibe"


def test_attached_file_is_an_upload_whatever_the_caption() -> None:
    media = MediaRef(kind="video", file_id="abc", size_bytes=1000)
    incoming = Incoming("telegram", "1", "2", text="@musicbot export calm", media=media)
    routed = route(incoming, bot_username="musicbot")
    assert (routed.intent, routed.media, routed.text) == (Intent.UPLOAD, media, "export calm")


@pytest.mark.parametrize(
    ("button", "intent", "text"),
    [
        (BUTTON_ANOTHER, Intent.EDIT, "another track"),
        (BUTTON_QUIETER, Intent.EDIT, "quieter"),
        (BUTTON_LOUDER, Intent.EDIT, "louder"),
        (BUTTON_MUTE_ORIGINAL, Intent.EDIT, "mute original"),
        (BUTTON_KEEP_ORIGINAL, Intent.EDIT, "keep original"),
        (BUTTON_EXPORT, Intent.EXPORT, ""),
        ("mc:gone", Intent.STALE_BUTTON, ""),
    ],
)
def test_buttons(button: str, intent: Intent, text: str) -> None:
    routed = route(Incoming("discord", "c", "u", text="ignored", button=button))
    assert (routed.intent, routed.text) == (intent, text)


@pytest.mark.parametrize("button", sorted(BUTTON_ROUTES))
def test_button_edit_texts_are_understood_by_the_parser(button: str) -> None:
    intent, text = BUTTON_ROUTES[button]
    if intent is Intent.EDIT:
        result = parse_instruction(text)
        assert result.understood and result.edits and not result.ignored


def test_result_buttons_in_both_languages() -> None:
    en = result_buttons("en")
    assert [b.label for b in en] == ["Another track", "Quieter", "Louder", "Mute original", "Export"]
    assert all(b.id.startswith("mc:") and b.id in BUTTON_ROUTES for b in en)
    zh = result_buttons("zh", original_muted=True)
    assert [b.label for b in zh] == ["换一首", "小声点", "大声点", "保留原声", "导出"]
    assert zh[3].id == BUTTON_KEEP_ORIGINAL


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "video"},
        {"kind": "video", "file_id": "a", "url": "https://x"},
        {"kind": "link", "file_id": "a"},
        {"kind": "video", "url": "https://x"},
        {"kind": "sticker", "file_id": "a"},
        {"kind": "video", "file_id": "a", "size_bytes": -1},
    ],
)
def test_media_ref_rejects_inconsistent_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        MediaRef(**kwargs)  # type: ignore[arg-type]


def test_boundary_objects_are_frozen_and_picklable() -> None:
    incoming = Incoming("telegram", "1", "2", media=MediaRef(kind="audio", file_id="f"))
    assert pickle.loads(pickle.dumps(incoming)) == incoming
    with pytest.raises(AttributeError):
        incoming.text = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Progress("analyse", 1.5, "…")
    error_id = new_error_id()
    assert len(error_id) == 8 and error_id != new_error_id()


def test_exported_members_match_all() -> None:
    public = {
        name
        for name in dir(engine)
        if not name.startswith("_") and not inspect.ismodule(getattr(engine, name))  # submodules appear once imported
    }
    public -= {"annotations"}
    assert public == set(engine.__all__)
