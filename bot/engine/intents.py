"""Deterministic intent routing: what a message or button press asks the engine to do.

Rule based on purpose: the same words always do the same thing, in English and Chinese, with no
model to load. Order of precedence, first match wins:

1. a button id (``mc:…``) maps to its fixed intent and instruction text; an unknown id is a stale button;
2. an attached file is an upload (its caption travels along as the instruction);
3. a ``/command`` (``/start@MyBot`` in groups too);
4. an http(s) link is an upload of that link;
5. a whole-message language switch ("中文", "English");
6. keywords: export > credits > status > upload, so "export the quieter version" exports;
7. everything else is an edit or mood instruction for ``bot.media.instructions.parse_instruction``.

Keywords are searched outside quotes, so ``title "Export day"`` stays an edit. Mentions of the bot
("@musicbot calm") are stripped first.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.engine.messages import (
    BUTTON_ANOTHER,
    BUTTON_EXPORT,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_QUIETER,
    Incoming,
    MediaRef,
)
from bot.media.instructions import help_text as edits_help_text

logger = logging.getLogger(__name__)

Lang = Literal["en", "zh"]


class Intent(StrEnum):
    """What the engine should do with one ``Incoming``."""

    EDIT = "edit"
    EXPORT = "export"
    CREDITS = "credits"
    STATUS = "status"
    UPLOAD = "upload"
    HELP = "help"
    NEW = "new"
    CANCEL = "cancel"
    LANGUAGE = "language"
    BACKEND = "backend"
    UNKNOWN_COMMAND = "unknown_command"
    STALE_BUTTON = "stale_button"


@dataclass(frozen=True)
class Routed:
    """The routing decision.

    ``text`` is the cleaned message (mentions and the command word removed): the instruction for
    ``EDIT``, the caption for ``UPLOAD``. ``argument`` is the language asked for (``LANGUAGE``: "en",
    "zh" or None when missing/unknown), the backend named (``BACKEND``) or the command name
    (``UNKNOWN_COMMAND``). ``media`` is the file
    or link to upload.
    """

    intent: Intent
    text: str = ""
    argument: str | None = None
    media: MediaRef | None = None


BUTTON_ROUTES: dict[str, tuple[Intent, str]] = {
    BUTTON_ANOTHER: (Intent.EDIT, "another track"),
    BUTTON_QUIETER: (Intent.EDIT, "quieter"),
    BUTTON_LOUDER: (Intent.EDIT, "louder"),
    BUTTON_MUTE_ORIGINAL: (Intent.EDIT, "mute original"),
    BUTTON_KEEP_ORIGINAL: (Intent.EDIT, "keep original"),
    BUTTON_EXPORT: (Intent.EXPORT, ""),
}
"""Buttons re-render exactly as their words would: the text goes through the same instruction parser."""

COMMANDS: dict[str, Intent] = {
    "start": Intent.HELP,
    "help": Intent.HELP,
    "new": Intent.NEW,
    "cancel": Intent.CANCEL,
    "language": Intent.LANGUAGE,
    "lang": Intent.LANGUAGE,
    "export": Intent.EXPORT,
    "credits": Intent.CREDITS,
    "status": Intent.STATUS,
    "upload": Intent.UPLOAD,
    "backend": Intent.BACKEND,
}

_LANGUAGE_WORDS: dict[str, Lang] = {
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "zh": "zh",
    "cn": "zh",
    "chinese": "zh",
    "中文": "zh",
    "简体中文": "zh",
    "汉语": "zh",
}
_LANGUAGE_SWITCH_RE = re.compile(r"^(?:(?:说|用|切换到|switch to|speak|in)\s*)?(\S+?)(?:\s*(?:please|吧))?[.!。！]?$")

_KEYWORD_RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (
        Intent.EXPORT,
        re.compile(
            r"\b(?:export|download)\b"
            r"|\bsend\s+(?:it\b|(?:(?:me|us)\s+)?(?:the\s+|my\s+|this\s+)?(?:final\s+)?(?:video|file|result|mp4)\b)"
            r"|导出|下载|(?:视频|成品|文件)发给我|发给我(?:视频|成品|文件)|发送(?:视频|成品|文件)"
        ),
    ),
    (Intent.CREDITS, re.compile(r"\b(?:credits?|balance|quota)\b|积分|余额|额度|配额")),
    (
        Intent.STATUS,
        re.compile(r"\bstatus\b|\bshow\s+(?:me\s+)?(?:the\s+|my\s+)?tracks?\b|\btimeline\b|状态|时间线|当前设置"),
    ),
    (Intent.UPLOAD, re.compile(r"\bupload\b|上传")),
)
_HELP_WORDS = frozenset({"help", "?", "帮助", "怎么用", "使用说明"})

_MENTION_RE = re.compile(r"^(?:@\w+[\s,:，：]*)+")
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
_LINK_RE = re.compile(r"https?://[^\s<>\"'“”「」]+", re.IGNORECASE)
_QUOTED_RE = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』|《[^》]*》|\'[^\']*\'(?![a-z])')
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[A-Za-z]")


def detect_language(text: str | None) -> Lang | None:
    """``"zh"`` if the text has any CJK ideograph, ``"en"`` if it has Latin letters, else None."""
    if not text:
        return None
    if _CJK_RE.search(text):
        return "zh"
    if _LATIN_RE.search(text):
        return "en"
    return None


def normalise_language(code: str | None) -> Lang | None:
    """A platform locale ("zh-hans", "zh_CN", "en-US") or a typed name ("中文") as ``Lang``; None if unknown."""
    if not code:
        return None
    word = code.strip().casefold()
    if word in _LANGUAGE_WORDS:
        return _LANGUAGE_WORDS[word]
    if word.startswith("zh"):
        return "zh"
    if word.startswith("en"):
        return "en"
    return None


def choose_language(chosen: str | None, text: str | None, platform_hint: str | None) -> Lang:
    """The reply language: the user's explicit choice, else Chinese text, else the platform locale, else English.

    Latin text does not override a Chinese locale: Chinese users type "lo-fi" or "BGM" too.
    """
    explicit = normalise_language(chosen)
    if explicit:
        return explicit
    if detect_language(text) == "zh":
        return "zh"
    return normalise_language(platform_hint) or "en"


def strip_mentions(text: str, bot_username: str | None = None) -> str:
    """Drop leading ``@name`` mentions (and ``@bot_username`` anywhere) so "@musicbot calm" reads "calm"."""
    text = _MENTION_RE.sub("", text.strip())
    if bot_username:
        name = bot_username.lstrip("@")
        text = re.sub(rf"@{re.escape(name)}\b[\s,:，：]*", " ", text, flags=re.IGNORECASE)
    return text.strip()


def _clean(text: str | None, bot_username: str | None) -> str:
    folded = unicodedata.normalize("NFKC", text or "")
    return " ".join(strip_mentions(folded, bot_username).split())


def _route_command(name: str, rest: str) -> Routed:
    intent = COMMANDS.get(name.casefold())
    if intent is None:
        return Routed(Intent.UNKNOWN_COMMAND, text=rest, argument=name)
    if intent is Intent.LANGUAGE:
        return Routed(intent, text=rest, argument=normalise_language(rest))
    if intent is Intent.BACKEND:
        return Routed(intent, text=rest, argument=rest.casefold().strip() or None)
    return Routed(intent, text=rest)


def _language_switch(text: str) -> Lang | None:
    match = _LANGUAGE_SWITCH_RE.match(text.casefold())
    if match is None:
        return None
    return _LANGUAGE_WORDS.get(match.group(1))


def route_text(text: str | None, *, bot_username: str | None = None) -> Routed:
    """Route a message that has no attachment and no button (see the module docstring for the order)."""
    cleaned = _clean(text, bot_username)
    command = _COMMAND_RE.match(cleaned)
    if command:
        return _route_command(command.group(1), (command.group(2) or "").strip())
    link = _LINK_RE.search(cleaned)
    if link:
        url = link.group(0).rstrip(".,;:!?)]}。，！？")
        rest = " ".join((cleaned[: link.start()] + " " + cleaned[link.end() :]).split())
        return Routed(Intent.UPLOAD, text=rest, media=MediaRef(kind="link", url=url))
    language = _language_switch(cleaned)
    if language:
        return Routed(Intent.LANGUAGE, text=cleaned, argument=language)
    lowered = cleaned.casefold()
    if lowered in _HELP_WORDS:
        return Routed(Intent.HELP)
    unquoted = _QUOTED_RE.sub(" ", lowered)
    for intent, pattern in _KEYWORD_RULES:
        if pattern.search(unquoted):
            return Routed(intent, text=cleaned)
    return Routed(Intent.EDIT, text=cleaned)


_SONG_REQUEST_RE = re.compile(
    r"\b(?:use|take|put|set)\s+(?:this|that|my|it|its|the\s+(?:attached|uploaded|sent))\b[^.!?]{0,25}?"
    r"\b(?:song|music|track|audio|soundtrack|tune|sound|as)\b"
    r"|\bas\s+(?:the\s+|my\s+)?(?:background\s+)?(?:music|song|soundtrack|bgm)\b"
    r"|用(?:这|那|我)[^，。！？,.!?]{0,4}?(?:歌|音乐|配乐|曲|音频|声音)|(?:作为|当作?|做)(?:背景)?(?:音乐|配乐|bgm)",
    re.IGNORECASE,
)


def asks_for_song(text: str | None) -> bool:
    """A caption like "use this song" / "as background music" / "用这首歌": the attached file (a video too)
    is the music for the current clip, not a new clip."""
    return bool(text) and _SONG_REQUEST_RE.search(unicodedata.normalize("NFKC", text or "")) is not None


def route(incoming: Incoming, *, bot_username: str | None = None) -> Routed:
    """Route one ``Incoming``: button, then attachment, then its text."""
    if incoming.button is not None:
        found = BUTTON_ROUTES.get(incoming.button)
        if found is None:
            logger.info("stale or foreign button id %r", incoming.button)
            return Routed(Intent.STALE_BUTTON, argument=incoming.button)
        intent, text = found
        return Routed(intent, text=text)
    if incoming.media is not None:
        return Routed(Intent.UPLOAD, text=_clean(incoming.text, bot_username), media=incoming.media)
    return route_text(incoming.text, bot_username=bot_username)


_START_EN = (
    "Hi! Send me a video and I'll put background music under it that fits: I pick a track for its "
    "mood and pace, line its beats up with your cuts, duck it under speech and level the loudness, "
    "then send the video back.\n\n"
    "How to use it:\n"
    "• Send a clip (video, file or link), optionally with a caption like “upbeat travel vibe” or "
    "“calm, music at 30%”.\n"
    "• Then refine in words or with the buttons: “another track”, “quieter”, “more energetic”, "
    'title "Day 1", “vertical”.\n'
    "• “status” shows the current edit, “credits” your renders left today, “export” sends the final file.\n"
    "• /new starts over, /cancel stops the current job, /language zh switches to Chinese, /help for more.\n\n"
    "Privacy: your videos are processed on this bot's own server by default, not sent to any "
    "third-party service, and temporary files are deleted after each job."
)
_START_ZH = (
    "你好！发给我一段视频，我会给它配上合适的背景音乐：按情绪和节奏挑选曲目，让鼓点对齐你的剪辑点，"
    "有人说话时自动压低音乐，统一响度，然后把视频发回给你。\n\n"
    "使用方法：\n"
    "• 发送视频（视频、文件或链接），可以附一句说明，比如“轻快的旅行感”或“安静一点，音量 30%”。\n"
    "• 然后用文字或按钮继续调整：“换一首”“小声点”“更燃”“标题「第一天」”“竖屏”。\n"
    "• “状态”查看当前编辑，“积分”查看今天剩余的渲染次数，“导出”发送最终文件。\n"
    "• /new 重新开始，/cancel 取消当前任务，/language en 切换到英文，/help 查看更多。\n\n"
    "隐私：默认情况下你的视频只在本机器人自己的服务器上处理，不会发送给第三方服务，"
    "每个任务结束后临时文件都会删除。"
)
_HELP_HEAD_EN = "What you can say after sending a clip:\n"
_HELP_HEAD_ZH = "发送视频后可以这样说：\n"


def start_text(lang: Lang = "en") -> str:
    """The /start greeting: what the bot does, how to use it, and where the video is processed."""
    return _START_ZH if lang == "zh" else _START_EN


def help_text(lang: Lang = "en") -> str:
    """The /help text: the greeting plus the full list of edits the instruction parser understands."""
    head = _HELP_HEAD_ZH if lang == "zh" else _HELP_HEAD_EN
    return f"{start_text(lang)}\n\n{head}{edits_help_text(lang)}"
