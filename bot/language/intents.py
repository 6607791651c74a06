"""What a message asks for, in words: the intent classifier, the reply language, and the /start and /help texts.

Rule based on purpose: the same words always do the same thing, in English and Chinese, with no
model to load. Order of precedence for a message's text, first match wins:

1. a ``/command`` (``/start@MyBot`` in groups too);
2. an http(s) link is an upload of that link;
3. a whole-message language switch ("中文", "English");
4. keywords: export > credits > status > upload, so "export the quieter version" exports;
5. everything else is an edit or mood instruction for the instruction parser.

Keywords are searched outside quotes, so ``title "Export day"`` stays an edit. Mentions of the bot
("@musicbot calm") are stripped first.

Only words live here: buttons and attachments (which outrank the text) are the engine's to route
(``bot.engine.routing``), since they are platform-neutral ids and files, not language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.language.instructions.numbers import cn_number
from bot.language.phrases import Lang, say

__all__ = [
    "COMMANDS",
    "Classified",
    "Intent",
    "SetChoice",
    "Targeted",
    "asks_for_song",
    "choose_language",
    "classify_text",
    "clean_message",
    "detect_language",
    "help_text",
    "normalise_language",
    "set_choice",
    "start_text",
    "strip_mentions",
    "targeted_item",
]


class Intent(StrEnum):
    """What the engine should do with one message."""

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
    CHOOSE = "choose"
    """One film or each separately, for the chat's several items (a button; ``argument`` is the choice)."""


@dataclass(frozen=True)
class Classified:
    """What a message's text asks for.

    ``text`` is the cleaned message (mentions and the command word removed; for a link, the words around
    it). ``argument`` is the language asked for (``LANGUAGE``: "en", "zh" or None when missing/unknown),
    the backend named (``BACKEND``) or the command name (``UNKNOWN_COMMAND``). ``url`` is the link to
    upload (``UPLOAD`` by link only).
    """

    intent: Intent
    text: str = ""
    argument: str | None = None
    url: str | None = None


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


# ----- the reply language -----------------------------------------------------------------------------


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


# ----- the intent of a message's text -----------------------------------------------------------------


def strip_mentions(text: str, bot_username: str | None = None) -> str:
    """Drop leading ``@name`` mentions (and ``@bot_username`` anywhere) so "@musicbot calm" reads "calm"."""
    text = _MENTION_RE.sub("", text.strip())
    if bot_username:
        name = bot_username.lstrip("@")
        text = re.sub(rf"@{re.escape(name)}\b[\s,:，：]*", " ", text, flags=re.IGNORECASE)
    return text.strip()


def clean_message(text: str | None, bot_username: str | None = None) -> str:
    """The message as the classifier reads it: NFKC-folded, mentions stripped, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text or "")
    return " ".join(strip_mentions(folded, bot_username).split())


def _classify_command(name: str, rest: str) -> Classified:
    intent = COMMANDS.get(name.casefold())
    if intent is None:
        return Classified(Intent.UNKNOWN_COMMAND, text=rest, argument=name)
    if intent is Intent.LANGUAGE:
        return Classified(intent, text=rest, argument=normalise_language(rest))
    if intent is Intent.BACKEND:
        return Classified(intent, text=rest, argument=rest.casefold().strip() or None)
    return Classified(intent, text=rest)


def _language_switch(text: str) -> Lang | None:
    match = _LANGUAGE_SWITCH_RE.match(text.casefold())
    if match is None:
        return None
    return _LANGUAGE_WORDS.get(match.group(1))


def classify_text(text: str | None, *, bot_username: str | None = None) -> Classified:
    """Classify a message that has no attachment and no button (see the module docstring for the order)."""
    cleaned = clean_message(text, bot_username)
    command = _COMMAND_RE.match(cleaned)
    if command:
        return _classify_command(command.group(1), (command.group(2) or "").strip())
    link = _LINK_RE.search(cleaned)
    if link:
        url = link.group(0).rstrip(".,;:!?)]}。，！？")
        rest = " ".join((cleaned[: link.start()] + " " + cleaned[link.end() :]).split())
        return Classified(Intent.UPLOAD, text=rest, url=url)
    language = _language_switch(cleaned)
    if language:
        return Classified(Intent.LANGUAGE, text=cleaned, argument=language)
    lowered = cleaned.casefold()
    if lowered in _HELP_WORDS:
        return Classified(Intent.HELP)
    unquoted = _QUOTED_RE.sub(" ", lowered)
    for intent, pattern in _KEYWORD_RULES:
        if pattern.search(unquoted):
            return Classified(intent, text=cleaned)
    return Classified(Intent.EDIT, text=cleaned)


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


# ----- several items: one film or each separately -----------------------------------------------------


class SetChoice(StrEnum):
    """What to make of several clips and photos: one film of them all, or each one separately."""

    FILM = "film"
    EACH = "each"


_FILM_RE = re.compile(
    r"\b(?:montage|combine|combined|compilation|merge|one\s+(?:film|video|movie|clip)|single\s+(?:film|video))\b"
    r"|\b(?:all|them)\s+(?:together|in\s+one)\b"
    r"|合成|剪成一个|剪成一部|拼成|拼接|一个视频|一部影片|一部片|合在一起|混剪|串起来"
)
_EACH_RE = re.compile(
    r"\b(?:each|separately|separate|individually|one\s+by\s+one|every\s+(?:one|clip|video))\b"
    r"|分别|一个一个|逐个|各自|单独|每个"
)


def set_choice(text: str | None) -> SetChoice | None:
    """Whether the words ask for one film ("montage", "combine", "合成一个视频", "a 60-second travel montage")
    or for each item separately ("each", "separately", "分别", "一个一个"); None when they say neither.

    Quoted words do not count (``title "Each day"``); when both appear, the first one said wins."""
    if not text:
        return None
    unquoted = _QUOTED_RE.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    film, each = _FILM_RE.search(unquoted), _EACH_RE.search(unquoted)
    if film and (not each or film.start() <= each.start()):
        return SetChoice.FILM
    return SetChoice.EACH if each else None


_ORDINAL_WORDS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "last": -1,
}
_EN_TARGET_RE = re.compile(
    r"^(?:the\s+|for\s+(?:the\s+)?|in\s+(?:the\s+)?)?"
    r"(?:(?P<word>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)"
    r"|(?P<digits>\d{1,2})(?:st|nd|rd|th)|#(?P<hash>\d{1,2})|(?:video|clip|item|number|no\.?)\s*(?P<named>\d{1,2}))"
    r"(?:\s+(?P<noun>one|video|clip|item))?\s*(?P<colon>[:,;\-–—]|\s)\s*(?P<rest>.*)$",
    re.DOTALL,
)
_ZH_TARGET_RE = re.compile(
    r"^(?:把)?(?:第(?P<number>[零〇一二两三四五六七八九十\d]{1,3})(?:个|段|条|部)?|最后一(?:个|段|条))(?:视频|片子|素材)?"
    r"\s*[:：,，、]?\s*(?P<rest>.*)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Targeted:
    """An instruction aimed at one item of a batch: ``position`` is 1-based (-1: the last one)."""

    position: int
    text: str


def targeted_item(text: str | None) -> Targeted | None:
    """ "the second one: calmer", "#2 louder", "video 3 — another track", "第二个：更安静", "最后一个 换一首":
    the item the words name and the instruction that follows; None when the message names no item first."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text).strip()
    english = _EN_TARGET_RE.match(folded.casefold())
    if english is not None:
        rest = folded[english.start("rest") :].strip()
        bare = (english["word"] or english["digits"]) and not english["noun"] and english["colon"].isspace()
        if bare:  # "the second half quieter" is an edit of the current video, not of item 2
            return None
        if english["word"]:
            position = _ORDINAL_WORDS[english["word"]]
        else:
            position = int(english["digits"] or english["hash"] or english["named"])
        return Targeted(position, rest) if rest and position != 0 else None
    chinese = _ZH_TARGET_RE.match(folded)
    if chinese is None:
        return None
    rest = chinese["rest"].strip()
    number = chinese["number"]
    named = -1 if number is None else int(number) if number.isdigit() else cn_number(number)
    return Targeted(named, rest) if rest and named else None


# ----- /start and /help ---------------------------------------------------------------------------------


def start_text(lang: str = "en") -> str:
    """The /start greeting: what the bot does, how to use it, and where the video is processed."""
    return say("engine_start", lang)


def help_text(lang: str = "en") -> str:
    """The /help text: the greeting plus the full list of edits the instruction parser understands."""
    return f"{start_text(lang)}\n\n{say('engine_help_head', lang)}{say('edits_help', lang)}"
