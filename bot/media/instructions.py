"""Chat instructions ("calmer and quieter, title 'Day 1'", "换一首，音量 30%") turned into timeline edits.

The parser is deterministic and rule based: a fixed, ordered list of phrase patterns in English and
Chinese is scanned over the whole message, each match claims its span (so "静音原声" is never also
read as the style word "原声"), and whatever is left is handed to the mood vocabulary. Edits come
back in the order they were written. Nothing the user typed is ever evaluated or spliced into
commands: titles are cleaned (control characters gone, length capped) and kept as data.

Applying edits is pure: ``apply_edits`` returns a new ``Timeline``. Mood edits need the matcher to
re-rank the library first (``ParseResult.needs_rerank``); the caller computes the new words with
``moods_after`` and passes the fresh ranking in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.media.timeline import (
    DEFAULT_TITLE_DURATION_S,
    MAX_TITLE_CHARS,
    MAX_VOLUME_PCT,
    MusicTrack,
    Timeline,
    TimelineError,
    TitleTrack,
    clean_text,
    format_seconds,
)
from bot.media.vocabulary import parse_mood_words

Lang = Literal["en", "zh"]

STEP_DB = 3.0
"""One "louder"/"quieter" step."""
VOLUME_FROM_SILENCE_PCT = 25.0
"""Where "louder" starts when the music was muted (0 % times any gain is still 0 %)."""
MIN_TITLE_DURATION_S = 0.5
MAX_TITLE_DURATION_S = 600.0
MAX_MESSAGE_CHARS = 2000
"""Longer messages are cut before parsing: keeps the regex work bounded."""

MB = 1_000_000
MIB = 1_048_576
DISCORD_BYTES = 10 * MIB
TELEGRAM_BYTES = 50 * MB

MOOD_SHIFTS: dict[str, tuple[str, ...]] = {
    "energetic": ("energetic",),
    "calm": ("calm",),
    "happy": ("happy",),
    "sad": ("sad",),
    "epic": ("epic",),
}
"""Relative mood requests and the vocabulary words they are recorded as (what the matcher reads)."""

_SHIFT_NAMES: dict[str, tuple[str, str]] = {
    "energetic": ("more energetic", "更燃"),
    "calm": ("calmer", "更平静"),
    "happy": ("happier", "更欢快"),
    "sad": ("sadder", "更伤感"),
    "epic": ("more epic", "更激昂"),
}

_ASPECT_NAMES: dict[str | None, tuple[str, str]] = {
    "9:16": ("vertical 9:16", "竖屏 9:16"),
    "1:1": ("square 1:1", "方形 1:1"),
    "16:9": ("landscape 16:9", "横屏 16:9"),
    None: ("original aspect", "原始比例"),
}


def _t(lang: Lang, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def format_size(size_bytes: int) -> str:
    """10_000_000 -> ``10 MB``, 10_485_760 -> ``10 MiB``: the unit the user most likely typed."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", MIB)):
        if size_bytes >= factor and size_bytes % factor == 0:
            return f"{size_bytes // factor} {unit}"
    for unit, factor in (("GB", 10**9), ("MB", MB), ("KB", 1000)):
        if size_bytes >= factor:
            return f"{format_seconds(size_bytes / factor)} {unit}"
    return f"{size_bytes} bytes"


def _format_offset(seconds: float) -> str:
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)}:{format_seconds(rest).zfill(2)}"
    return f"{format_seconds(seconds)} s"


# ----- edits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One small change to a timeline; ``describe`` gives the words for the bot's reply."""

    def describe(self, lang: Lang = "en") -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class NextTrack(Edit):
    """The best track of the ranking not yet offered in this round ("another track", 换一首)."""

    def describe(self, lang: Lang = "en") -> str:
        return _t(lang, "another track", "换一首")


@dataclass(frozen=True)
class PreviousTrack(Edit):
    """Back to the track offered before the current one (上一首, 换回来)."""

    def describe(self, lang: Lang = "en") -> str:
        return _t(lang, "back to the previous track", "换回上一首")


@dataclass(frozen=True)
class ShiftMood(Edit):
    """A relative mood request ("calmer", 更燃); needs a re-rank, then the best track of it."""

    direction: str

    def __post_init__(self) -> None:
        if self.direction not in MOOD_SHIFTS:
            raise ValueError(f"unknown mood direction {self.direction!r}")

    @property
    def words(self) -> tuple[str, ...]:
        return MOOD_SHIFTS[self.direction]

    def describe(self, lang: Lang = "en") -> str:
        en, zh = _SHIFT_NAMES[self.direction]
        return _t(lang, en, zh)


@dataclass(frozen=True)
class SetMood(Edit):
    """Named mood or genre words ("make it lo-fi", 浪漫一点); needs a re-rank, then the best track of it."""

    words: tuple[str, ...]

    def describe(self, lang: Lang = "en") -> str:
        return _t(lang, "mood: ", "风格：") + ", ".join(self.words)


@dataclass(frozen=True)
class ChangeVolume(Edit):
    """Music louder (+) or quieter (-) by ``steps`` of 3 dB."""

    steps: int

    @property
    def gain_db(self) -> float:
        return STEP_DB * self.steps

    def describe(self, lang: Lang = "en") -> str:
        sign = "+" if self.steps > 0 else "−"
        return _t(lang, "music ", "音乐 ") + f"{sign}{format_seconds(abs(self.gain_db))} dB"


@dataclass(frozen=True)
class SetVolume(Edit):
    """Music at an absolute level, in percent of the track's normalised level (0..400)."""

    pct: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "pct", round(min(MAX_VOLUME_PCT, max(0.0, float(self.pct))), 3))

    def describe(self, lang: Lang = "en") -> str:
        return _t(lang, f"music at {format_seconds(self.pct)}%", f"音乐音量 {format_seconds(self.pct)}%")


@dataclass(frozen=True)
class SetOriginalAudio(Edit):
    """Keep or mute the clip's own sound."""

    keep: bool

    def describe(self, lang: Lang = "en") -> str:
        if self.keep:
            return _t(lang, "original audio kept", "保留原声")
        return _t(lang, "original audio muted", "原声静音")


@dataclass(frozen=True)
class SetDucking(Edit):
    """Whether the music dips while someone speaks."""

    enabled: bool

    def describe(self, lang: Lang = "en") -> str:
        if self.enabled:
            return _t(lang, "music ducks under speech", "说话时压低音乐")
        return _t(lang, "no ducking", "不压低音乐")


@dataclass(frozen=True)
class StartMusic(Edit):
    """Where the song starts. ``offset_s=None, skip_intro=True`` is resolved by the caller from the analysis
    (first downbeat after the intro); ``offset_s=None, skip_intro=False`` hands the choice back to the planner.
    """

    offset_s: float | None = None
    skip_intro: bool = False

    def __post_init__(self) -> None:
        if self.offset_s is not None:
            object.__setattr__(self, "offset_s", round(max(0.0, float(self.offset_s)), 3))
            object.__setattr__(self, "skip_intro", False)

    def describe(self, lang: Lang = "en") -> str:
        if self.offset_s is not None:
            when = _format_offset(self.offset_s)
            return _t(lang, f"music starts at {when}", f"音乐从 {when.replace(' s', ' 秒')} 开始")
        if self.skip_intro:
            return _t(lang, "music skips the intro", "跳过前奏")
        return _t(lang, "music start chosen automatically", "音乐起点自动选择")


@dataclass(frozen=True)
class SetTitle(Edit):
    """A title over the video. ``duration_s=None`` keeps the present duration (3 s for a new title)."""

    text: str
    duration_s: float | None = None

    def __post_init__(self) -> None:
        text = clean_text(self.text, MAX_TITLE_CHARS)
        if not text:
            raise TimelineError("a title needs some text")
        object.__setattr__(self, "text", text)
        if self.duration_s is not None:
            duration = min(MAX_TITLE_DURATION_S, max(MIN_TITLE_DURATION_S, float(self.duration_s)))
            object.__setattr__(self, "duration_s", round(duration, 3))

    def describe(self, lang: Lang = "en") -> str:
        return _describe_title(self.text, self.duration_s, lang)


def _describe_title(text: str, duration_s: float | None, lang: Lang) -> str:
    if lang == "zh":
        return f"标题「{text}」" + ("" if duration_s is None else f" {format_seconds(duration_s)} 秒")
    return f"title “{text}”" + ("" if duration_s is None else f" for {format_seconds(duration_s)} s")


@dataclass(frozen=True)
class RemoveTitle(Edit):
    def describe(self, lang: Lang = "en") -> str:
        return _t(lang, "title removed", "去掉标题")


@dataclass(frozen=True)
class SetAspect(Edit):
    """Output shape; None keeps the clip's own."""

    aspect: str | None

    def __post_init__(self) -> None:
        if self.aspect not in _ASPECT_NAMES:
            raise ValueError(f"unknown aspect {self.aspect!r}")

    def describe(self, lang: Lang = "en") -> str:
        en, zh = _ASPECT_NAMES[self.aspect]
        return _t(lang, en, zh)


@dataclass(frozen=True)
class SetFit(Edit):
    """``crop`` to fill the new shape, or ``blur``: the whole picture over a blurred copy of itself."""

    mode: str

    def __post_init__(self) -> None:
        if self.mode not in ("crop", "blur"):
            raise ValueError(f"unknown fit mode {self.mode!r}")

    def describe(self, lang: Lang = "en") -> str:
        if self.mode == "blur":
            return _t(lang, "blurred background", "模糊背景")
        return _t(lang, "crop to fill", "裁剪填满")


@dataclass(frozen=True)
class SetMaxHeight(Edit):
    """Largest output height in pixels (720 for 720p); None keeps the clip's resolution."""

    height: int | None

    def describe(self, lang: Lang = "en") -> str:
        if self.height is None:
            return _t(lang, "original resolution", "原始分辨率")
        return f"{self.height}p"


@dataclass(frozen=True)
class SetTargetSize(Edit):
    """Largest output file size in bytes; ``label`` names where it comes from ("Discord")."""

    size_bytes: int | None
    label: str = ""

    def describe(self, lang: Lang = "en") -> str:
        if self.size_bytes is None:
            return _t(lang, "no size limit", "不限大小")
        text = _t(lang, f"under {format_size(self.size_bytes)}", f"小于 {format_size(self.size_bytes)}")
        if self.label:
            text += _t(lang, f" ({self.label})", f"（{self.label}）")
        return text


MOOD_EDITS = (ShiftMood, SetMood)


# ----- parse result and help ------------------------------------------------------------------------


_HELP_EN = (
    "I can change: the track (“another track”, “previous track”); the mood (“calmer”, “more energetic”, "
    "“happier”, “sadder”, “more epic”, “make it lo-fi”); the music volume (“louder”, “quieter”, “music at 30%”); "
    "the original sound (“mute original”, “keep original”, “no ducking”); where the music starts "
    '(“start at 0:45”, “skip the intro”); a title (title "Day 1" for 4s, “remove title”); the shape '
    "(“vertical”, “square”, “landscape”, “with blurred background”); the size (“720p”, “under 10MB”, "
    "“for discord”). Several at once work too: “calmer and quieter, title 'Day 1'”."
)
_HELP_ZH = (
    "我可以改：换歌（“换一首”“上一首”）；风格（“更安静”“更燃”“更欢快”“更伤感”“更激昂”“浪漫一点”）；"
    "音乐音量（“大声点”“小声点”“音量 30%”）；原声（“静音原声”“保留原声”“不要压低音乐”）；"
    "音乐起点（“从第12秒开始”“跳过前奏”）；标题（标题「第一天」5秒、“去掉标题”）；"
    "画面（“竖屏”“方形”“横屏”“模糊背景”）；大小（“720p”“小于10MB”“适合discord”）。"
    "一次说几条也行：“更安静，小声点，标题「第一天」”。"
)


def help_text(lang: Lang = "en") -> str:
    """The short "what I can do" reply for a message the parser did not understand."""
    return _t(lang, _HELP_EN, _HELP_ZH)


@dataclass(frozen=True)
class ParseResult:
    """What a message asked for.

    ``understood`` is False when nothing in it was recognised (then ``edits`` is empty and the bot should
    answer with ``help_text``). ``errors`` are recognised-but-unusable requests (an empty title), already
    worded for the user; ``ignored`` are leftover words nothing matched.
    """

    edits: tuple[Edit, ...]
    understood: bool
    language: Lang
    errors: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def needs_rerank(self) -> bool:
        """True when the matcher must rank again with ``moods_after(timeline, edits)`` before ``apply_edits``."""
        return any(isinstance(edit, MOOD_EDITS) for edit in self.edits)

    @property
    def needs_intro(self) -> bool:
        """True when the music should start after the intro, which only the track's analysis can place."""
        return any(isinstance(edit, StartMusic) and edit.skip_intro for edit in self.edits)

    def reply(self) -> str:
        """A plain reply: the help when nothing was understood, else the edits, errors and ignored words."""
        if not self.understood:
            return help_text(self.language)
        lines = [edit.describe(self.language) for edit in self.edits]
        lines.extend(self.errors)
        if self.ignored:
            lines.append(_t(self.language, "Not understood: ", "没看懂：") + ", ".join(self.ignored))
        return _t(self.language, "; ", "；").join(lines)


# ----- text preparation -----------------------------------------------------------------------------

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_MASK_FILL = "\ue000"
_MASK_OPEN = "\ue001"
_PRIVATE = re.compile("[\ue000-\ue002]")

_QUOTE_RE = re.compile(
    r'"([^"]*)"'
    r"|“([^”]*)”"
    r"|「([^」]*)」"
    r"|『([^』]*)』"
    r"|《([^》]*)》"
    r"|«([^»]*)»"
    r"|‘(.*?)’(?![a-z0-9])"
    r"|(?<![a-z0-9])'(.*?)'(?![a-z0-9])"
)
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class _Quote:
    start: int
    content: str


@dataclass(frozen=True)
class _Context:
    """The message three ways, all the same length so a match's span means the same in each."""

    original: str
    """Cleaned, case and width kept (titles are taken from here)."""
    masked: str
    """Lower-case, half-width, quoted text replaced by private-use characters."""
    quotes: dict[int, _Quote]


def _prepare(text: str) -> _Context:
    original = _PRIVATE.sub("", clean_text(text[: MAX_MESSAGE_CHARS * 2], MAX_MESSAGE_CHARS))
    lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in original.translate(_FULLWIDTH))
    quotes: dict[int, _Quote] = {}
    chars = list(lowered)
    for match in _QUOTE_RE.finditer(lowered):
        group = next(i for i in range(1, (match.lastindex or 0) + 1) if match.group(i) is not None)
        content = original[match.start(group) : match.end(group)]
        quotes[match.start()] = _Quote(match.start(), content)
        chars[match.start()] = _MASK_OPEN
        for i in range(match.start() + 1, match.end()):
            chars[i] = _MASK_FILL
    masked = "".join(chars).replace("’", "'")
    return _Context(original=original, masked=masked, quotes=quotes)


# ----- numbers and times ----------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "[零〇一二两三四五六七八九十百]+"
_NUM = r"\d+(?:\.\d+)?"
_ANY_NUM = rf"(?:{_NUM}|{_CN_NUM})"


def _cn_number(text: str) -> int | None:
    """Chinese numerals up to 999: 十二 -> 12, 四十五 -> 45, 一百二十 -> 120."""
    total = 0
    current = 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        value = _cn_number(text)
        return None if value is None else float(value)


_SEC_UNIT = r"(?:s|sec|secs|second|seconds)(?![a-z])"
_TIME = (
    r"(?:(?P<mm>\d+):(?P<ss>\d{1,2}(?:\.\d+)?)"
    rf"|(?P<mins>\d+)\s*(?:m|min|mins|minute|minutes)\s*(?P<secs>{_NUM})\s*{_SEC_UNIT}"
    rf"|(?P<sec>{_NUM})\s*{_SEC_UNIT}"
    rf"|(?P<zmin>{_ANY_NUM})\s*分(?:钟)?\s*(?:(?P<zsec2>{_ANY_NUM})\s*秒?)?"
    rf"|(?P<zsec>{_ANY_NUM})\s*秒(?:钟)?)"
)
_BARE_TIME = rf"(?:{_TIME}|(?P<bare>{_NUM})(?![\d.%:a-z]))"


def _seconds(match: re.Match[str]) -> float | None:
    groups = match.groupdict()
    if groups.get("mm") is not None:
        return 60.0 * float(groups["mm"]) + float(groups["ss"])
    if groups.get("mins") is not None:
        return 60.0 * float(groups["mins"]) + float(groups["secs"])
    if groups.get("zmin") is not None:
        minutes = _number(groups["zmin"])
        seconds = _number(groups.get("zsec2")) or 0.0
        return None if minutes is None else 60.0 * minutes + seconds
    for key in ("sec", "zsec", "bare"):
        if groups.get(key) is not None:
            return _number(groups[key])
    return None


# ----- rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Issue:
    """A recognised request that cannot be carried out, worded for the user."""

    en: str
    zh: str


_EMPTY_TITLE = _Issue(
    'The title is empty: put the text in quotes, e.g. title "Day 1".',
    "标题是空的：请把文字放在引号里，例如 标题「第一天」。",
)

_Item = Edit | _Issue
_Builder = Callable[[re.Match[str], _Context], Sequence[_Item]]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    build: _Builder


_B = r"(?<![a-z0-9'])"
"""Start of an English word. Not ``\\b``: CJK characters count as word characters, so "换成720p" has no ``\\b``."""
_E = r"(?![a-z0-9])"


def _const(*items: _Item) -> _Builder:
    return lambda _m, _c: items


def _rule(pattern: str, build: _Builder) -> _Rule:
    return _Rule(re.compile(pattern), build)


def _title_from_quote(match: re.Match[str], ctx: _Context) -> Sequence[_Item]:
    offset = match.group(0).index(_MASK_OPEN)
    quote = ctx.quotes[match.start() + offset]
    text = clean_text(quote.content, MAX_TITLE_CHARS)
    if not text:
        return [_EMPTY_TITLE]
    return [SetTitle(text, _number(match.groupdict().get("dur")))]


def _title_from_rest(match: re.Match[str], ctx: _Context) -> Sequence[_Item]:
    group = "text" if match.group("text") is not None else "text2"
    raw = ctx.original[match.start(group) : match.end(group)]
    text = clean_text(raw.strip("\"'“”‘’「」『』《》«» "), MAX_TITLE_CHARS)
    return [SetTitle(text)] if text else [_EMPTY_TITLE]


def _target_size(match: re.Match[str], _ctx: _Context) -> Sequence[_Item]:
    size = _number(match.group("size")) or 0.0
    unit = match.group("unit")
    factors = {"kib": 1024, "mib": MIB, "gib": 1 << 30, "kb": 1000, "gb": 10**9}
    factor = next((f for key, f in factors.items() if unit.startswith(key)), MB)
    size_bytes = round(size * factor)
    return [SetTargetSize(size_bytes)] if size_bytes > 0 else []


def _height(match: re.Match[str], _ctx: _Context) -> Sequence[_Item]:
    height = int(match.group("h"))
    return [SetMaxHeight(height)] if 144 <= height <= 4320 else []


def _percent(match: re.Match[str], _ctx: _Context) -> Sequence[_Item]:
    value = _number(match.group("pct") or match.group("cnpct"))
    return [] if value is None else [SetVolume(value)]


def _start_at(match: re.Match[str], _ctx: _Context) -> Sequence[_Item]:
    seconds = _seconds(match)
    return [] if seconds is None else [StartMusic(offset_s=seconds)]


def _steps(sign: int) -> _Builder:
    def build(match: re.Match[str], _ctx: _Context) -> Sequence[_Item]:
        much = any(value for key, value in match.groupdict().items() if key.startswith("much"))
        return [ChangeVolume(sign * (2 if much else 1))]

    return build


def _shift_from(table: Mapping[str, str]) -> _Builder:
    def build(match: re.Match[str], _ctx: _Context) -> Sequence[_Item]:
        word = next(v for k, v in match.groupdict().items() if k.startswith("x") and v)
        return [ShiftMood(table[word])]

    return build


def _alternation(words: Sequence[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_ZH_SHIFT_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("燃", "动感", "有活力", "活力", "有劲", "带劲", "嗨", "热血", "激情", "劲爆", "快", "有力量", "有力"),
        "energetic",
    ),
    **dict.fromkeys(("安静", "平静", "舒缓", "放松", "轻松", "柔和", "缓", "慢", "静"), "calm"),
    **dict.fromkeys(("欢快", "开心", "快乐", "愉快", "阳光", "轻快", "活泼", "喜庆"), "happy"),
    **dict.fromkeys(("伤感", "悲伤", "忧伤", "难过", "感伤", "怀旧", "煽情", "走心", "催泪"), "sad"),
    **dict.fromkeys(("激昂", "史诗", "大气", "宏大", "磅礴", "震撼", "壮观"), "epic"),
}

_EN_SHIFTS: dict[str, str] = {
    "calm": (
        r"calmer|chiller|mellower|slower|more\s+(?:calm|chill|relaxed|relaxing|peaceful|mellow|laid-?back|gentle)"
        r"|less\s+(?:energetic|intense|busy|hectic|aggressive|upbeat)"
    ),
    "energetic": (
        r"more\s+(?:energetic|energy|upbeat|lively|exciting|intense|dynamic|powerful|punchy|driving|hype)"
        r"|livelier|faster|punchier|pump\s+it\s+up|less\s+(?:calm|boring|slow|sleepy)"
    ),
    "happy": (
        r"happier|more\s+(?:happy|cheerful|joyful|fun|positive|uplifting|playful)"
        r"|less\s+(?:sad|gloomy|depressing|melancholic)"
    ),
    "sad": (
        r"sadder|more\s+(?:sad|melancholic|melancholy|emotional|nostalgic|moody|somber|sombre|touching|bittersweet)"
        r"|less\s+(?:happy|cheerful)"
    ),
    "epic": r"more\s+(?:epic|cinematic|dramatic|grand|heroic|majestic|triumphant)|grander",
}

_MUCH = r"(?:(?P<much>much|a\s+lot|way|far|lots|significantly)\s+|(?:a\s+(?:bit|little)|slightly|even|bit)\s+)?"
_LOUDER = (
    r"louder|more\s+volume|volume\s+up|turn\s+(?:it|the\s+music|the\s+volume|the\s+bgm)\s+up"
    r"|turn\s+up\s+(?:the\s+)?(?:music|volume|bgm)|(?:raise|boost|increase)\s+(?:the\s+)?(?:music|volume|bgm)"
    r"|music\s+up|too\s+quiet|can'?t\s+hear\s+(?:the\s+)?music"
)
_QUIETER = (
    r"quieter|softer|less\s+loud|volume\s+down|turn\s+(?:it|the\s+music|the\s+volume|the\s+bgm)\s+down"
    r"|turn\s+down\s+(?:the\s+)?(?:music|volume|bgm)|(?:lower|reduce|decrease)\s+(?:the\s+)?(?:music|volume|bgm)"
    r"|music\s+down|too\s+loud|(?:music|bgm|volume)\s+(?:(?:a\s+)?(?:bit|little)\s+)?lower|lower\s+volume"
)
_AUDIO_NOUN = r"(?:audio|sound|sounds|noise|voices?)"
_SOURCE = r"(?:original|orig|source|clip|video|camera)(?:'s)?"
_NOT_OUTPUT = r"(?!\s+(?:aspect|ratio|resolution|res|size|format|shape|quality))"
_SIZE = rf"(?P<size>{_NUM})\s*(?P<unit>kib|mib|gib|kb|mb|gb|megabytes?|megs?|兆(?:字节|b)?)(?![a-z])"
_ZH_SOUND = r"(?:原声音|原声|原音|原来的声音|视频的?声音|视频原声)"


def _build_rules() -> tuple[_Rule, ...]:
    """The phrase families, highest priority first: a span claimed by one rule is invisible to the rest."""
    zh_shift = _alternation(list(_ZH_SHIFT_WORDS))
    rules: list[_Rule] = [
        # "i love it" is praise, not the mood word "love".
        _rule(rf"{_B}(?:i\s+)?(?:love|like)\s+(?:it|this|that){_E}|喜欢这首", _const()),
        # ----- title
        _rule(
            rf"{_B}(?:remove|delete|drop|clear|hide|no|without|take\s+off|get\s+rid\s+of)\s+(?:the\s+|a\s+)?"
            rf"(?:title|caption|heading|text)s?{_E}|(?:去掉|删除|删掉|移除|取消|不要|去除|关掉|隐藏)\s*(?:标题|字幕|文字)",
            _const(RemoveTitle()),
        ),
        _rule(
            rf"{_B}(?:(?:add|put|set|use|with|change|make)\s+(?:a\s+|the\s+|it\s+)?)?(?:title|caption|heading|headline|text)"
            rf"\s*(?:to\s+|as\s+|is\s+|[:=]\s*)?{_MASK_OPEN}{_MASK_FILL}*"
            rf"(?:\s*,?\s*(?:(?:for|lasting|during)\s+)?(?P<dur>{_NUM})\s*{_SEC_UNIT})?",
            _title_from_quote,
        ),
        _rule(
            rf"(?:加(?:上|个|一个)?|添加|设置|显示|把)?\s*(?:标题|字幕|片名)\s*(?:是|为|改成|改为|设为|:)?\s*"
            rf"{_MASK_OPEN}{_MASK_FILL}*(?:\s*,?\s*(?:显示|持续|停留)?\s*(?P<dur>{_ANY_NUM})\s*秒(?:钟)?)?",
            _title_from_quote,
        ),
        _rule(
            rf"{_MASK_OPEN}{_MASK_FILL}*\s*(?:as\s+(?:the\s+|a\s+)?title{_E}|(?:作为|当|做)标题)",
            _title_from_quote,
        ),
        _rule(
            rf"{_B}(?:title|caption)\s*(?::\s*|[\"“「『‘'《«])(?P<text>[^,;.!?。！？\ue000\ue001]+)"
            rf"|(?:标题|字幕)\s*(?::\s*|[\"“「『‘'《«])(?P<text2>[^,;!?。、\ue000\ue001]+)",
            _title_from_rest,
        ),
        _rule(
            rf"{_B}(?:add|put|give\s+it|with|set)\s+(?:a\s+|the\s+)?(?:title|caption){_E}|(?:加|添加|加个|加一个|加上)\s*(?:标题|字幕)",
            _const(_EMPTY_TITLE),
        ),
        # ----- output size
        _rule(
            rf"{_B}(?:(?:under|below|less\s+than|smaller\s+than|max(?:imum)?|at\s+most|up\s+to|no\s+(?:more|bigger|larger)"
            rf"\s+than|within|fit\s+(?:in|into)|target)\s*|<=?\s*|≤\s*|(?:小于|低于|不超过|不要超过|不大于|压缩到|压到|控制在|限制在|最多)\s*)?"
            rf"{_SIZE}(?:\s*(?:max(?:imum)?|or\s+(?:less|smaller|under)|limit|以内|以下|之内))?",
            _target_size,
        ),
        _rule(
            rf"{_B}(?:(?:for|to|on)\s+)?discord{_E}|(?:发到|发给|适合|用于)?\s*discord",
            _const(SetTargetSize(DISCORD_BYTES, "Discord")),
        ),
        _rule(
            rf"{_B}(?:(?:for|to|on)\s+)?telegram{_E}|(?:发到|发给|适合|用于)?\s*(?:telegram|电报)",
            _const(SetTargetSize(TELEGRAM_BYTES, "Telegram")),
        ),
        _rule(rf"{_B}no\s+size\s+limit{_E}|不限(?:制)?大小", _const(SetTargetSize(None))),
        # ----- resolution
        _rule(rf"(?<![a-z0-9.])(?P<h>\d{{3,4}})\s*p{_E}", _height),
        _rule(rf"{_B}4k{_E}", _const(SetMaxHeight(2160))),
        _rule(rf"{_B}(?:full\s*hd|fhd){_E}", _const(SetMaxHeight(1080))),
        _rule(
            rf"{_B}(?:original|full|native|max(?:imum)?)\s+(?:resolution|res){_E}|原始分辨率|原分辨率|原画质",
            _const(SetMaxHeight(None)),
        ),
        # ----- aspect and fit
        _rule(
            rf"{_B}(?:original|native|source)\s+(?:aspect(?:\s+ratio)?|ratio|shape|format|size){_E}"
            rf"|{_B}keep\s+(?:the\s+)?(?:aspect(?:\s+ratio)?|ratio|shape){_E}|原始比例|原比例|原来的比例|原始画幅|保持比例",
            _const(SetAspect(None)),
        ),
        _rule(
            rf"{_B}9\s*[:x×/]\s*16{_E}|{_B}(?:vertical|portrait|tiktok|reels?|shorts|stor(?:y|ies)){_E}"
            r"|竖屏|竖版|竖的|竖向|竖着|抖音",
            _const(SetAspect("9:16")),
        ),
        _rule(rf"{_B}1\s*[:x×/]\s*1{_E}|{_B}square{_E}|正方形|方形|方的", _const(SetAspect("1:1"))),
        _rule(
            rf"{_B}16\s*[:x×/]\s*9{_E}|{_B}(?:landscape|horizontal|widescreen){_E}|横屏|横版|横的|横向|横着",
            _const(SetAspect("16:9")),
        ),
        _rule(
            rf"{_B}(?:(?:with\s+(?:a\s+)?)?blur(?:red|ry)?\s+(?:background|bg|bars|sides|fill)|with\s+blur"
            rf"|blur(?:red)?|fit(?:\s+(?:inside|in\s+frame|the\s+whole\s+(?:video|picture)))?|letterbox(?:ed)?"
            rf"|no\s+crop(?:ping)?|don'?t\s+crop|without\s+crop(?:ping)?|(?:show|keep)\s+the\s+whole\s+(?:picture|video|frame))"
            rf"{_E}|模糊背景|背景模糊|模糊填充|不裁剪|不要裁剪|别裁剪|不要裁|完整画面",
            _const(SetFit("blur")),
        ),
        _rule(
            rf"{_B}(?:crop(?:ped)?(?:\s+to\s+fill)?|fill(?:\s+the\s+(?:frame|screen))?|zoom\s+to\s+fill){_E}"
            r"|裁剪|裁切|填满|铺满|充满",
            _const(SetFit("crop")),
        ),
        # ----- original audio
        _rule(
            rf"{_B}(?:mute|silence)\s+(?:the\s+)?{_SOURCE}(?:\s+{_AUDIO_NOUN})?{_E}"
            rf"|{_B}(?:remove|drop|kill|cut|lose|delete|disable|turn\s+off|switch\s+off|get\s+rid\s+of|no|without|strip)"
            rf"\s+(?:the\s+)?(?:{_SOURCE}|background|ambient)\s+{_AUDIO_NOUN}{_E}"
            rf"|{_B}original\s+(?:{_AUDIO_NOUN}\s+)?off{_E}|{_B}(?:music|bgm)\s+only{_E}|{_B}only\s+(?:the\s+)?music{_E}"
            rf"|(?:静音|去掉|去除|删掉|删除|关掉|关闭|不要|移除|消除)\s*(?:{_ZH_SOUND}|声音)|原声\s*(?:静音|去掉|关掉|关闭|不要)"
            r"|只要音乐|只留音乐|只保留音乐|只有音乐",
            _const(SetOriginalAudio(False)),
        ),
        _rule(
            rf"{_B}(?:keep|unmute|restore)\s+(?:the\s+)?{_SOURCE}(?:\s+{_AUDIO_NOUN})?{_E}{_NOT_OUTPUT}"
            rf"|{_B}(?:with|leave|turn\s+on|bring\s+back)\s+(?:the\s+)?{_SOURCE}\s+{_AUDIO_NOUN}{_E}"
            rf"|{_B}original\s+{_AUDIO_NOUN}\s+(?:back|on){_E}"
            rf"|(?:保留|留着|留下|保持|恢复|打开|开启|要|加回|还原)\s*{_ZH_SOUND}|原声\s*(?:保留|留着|恢复|打开)",
            _const(SetOriginalAudio(True)),
        ),
        # ----- music muted outright
        _rule(
            rf"{_B}(?:mute|silence|turn\s+off|switch\s+off|kill)\s+(?:the\s+)?(?:music|bgm|song){_E}|{_B}no\s+music{_E}"
            r"|静音音乐|音乐静音|关掉音乐|关闭音乐|不要音乐|去掉音乐|去掉背景音乐|不要背景音乐",
            _const(SetVolume(0.0)),
        ),
        # ----- ducking
        _rule(
            rf"{_B}(?:don'?t|do\s+not|no|never|stop|without|disable|turn\s+off|switch\s+off)\s+(?:auto\s*)?duck(?:ing)?{_E}"
            rf"|{_B}duck(?:ing)?\s+off{_E}"
            rf"|{_B}(?:don'?t|do\s+not|never|stop)\s+(?:lower|dip|reduc)(?:e|ing)?\s+(?:the\s+)?music"
            rf"(?:\s+(?:when|while|during|for|under)\s+(?:people\s+|someone\s+|they\s+)?"
            rf"(?:speak|speaks|speaking|talk|talks|talking|speech|voices?))?{_E}"
            r"|(?:不要|别|不用|不需要|取消|关闭|关掉|停止)\s*(?:自动)?\s*(?:压低(?:音乐)?|降低音乐|闪避|躲避|ducking|duck)",
            _const(SetDucking(False)),
        ),
        _rule(
            rf"{_B}(?:turn\s+on|enable|re-?enable|bring\s+back|restore|use)\s+(?:the\s+)?(?:auto\s*)?duck(?:ing)?{_E}"
            rf"|{_B}duck(?:ing)?\s+(?:on|back\s+on|again){_E}"
            rf"|{_B}duck\s+(?:the\s+music|it|under\s+(?:speech|voices?|talking|dialog(?:ue)?)){_E}"
            rf"|{_B}(?:lower|dip)\s+(?:the\s+)?music\s+(?:when|while|during|under)\s+(?:people\s+|someone\s+)?"
            rf"(?:speak|speaks|speaking|talk|talks|talking|speech|voices?){_E}|^\s*duck(?:ing)?\s*[.!]*\s*$"
            r"|(?:开启|打开|恢复|启用)\s*(?:自动)?\s*(?:压低|闪避|ducking|duck)(?:音乐)?|压低音乐|降低音乐|自动压低",
            _const(SetDucking(True)),
        ),
        # ----- where the music starts
        _rule(rf"跳过\s*(?:前|开头(?:的)?)\s*{_TIME}", _start_at),
        _rule(rf"{_B}skip\s+(?:the\s+)?first\s+{_TIME}", _start_at),
        _rule(
            rf"{_B}(?:skip|cut|drop|remove|no|without|lose)\s+(?:the\s+)?(?:intro|introduction|build-?up){_E}"
            rf"|{_B}straight\s+(?:to|into)\s+the\s+(?:beat|drop|action){_E}"
            r"|(?:跳过|去掉|不要|省略|略过|去除|删掉)\s*(?:前奏|引子|开头|片头)",
            _const(StartMusic(None, skip_intro=True)),
        ),
        _rule(
            rf"{_B}(?:(?:start|play)\s+)?(?:from|at)\s+the\s+(?:very\s+)?(?:beginning|start){_E}|{_B}from\s+the\s+top{_E}"
            r"|从头(?:开始|播放)?|从开头(?:开始|播放)?",
            _const(StartMusic(0.0)),
        ),
        _rule(
            rf"{_B}(?:auto(?:matic)?\s+start|best\s+part){_E}|自动选择起点|自动起点",
            _const(StartMusic(None)),
        ),
        _rule(
            rf"{_B}(?:start|begin|play|cue)(?:s|ing)?\s+(?:the\s+)?(?:music|song|track|bgm|it|audio)?\s*(?:at|from)\s+"
            rf"(?:second\s+)?{_BARE_TIME}",
            _start_at,
        ),
        _rule(rf"{_B}(?:music|song|track|bgm)\s+(?:from|starting\s+at|starts\s+at|at)\s+{_TIME}", _start_at),
        _rule(rf"{_B}from\s+{_TIME}", _start_at),
        _rule(rf"(?:音乐|歌曲|歌|配乐|bgm)?\s*从\s*(?:第)?\s*{_TIME}\s*(?:开始|起|播放|放)?", _start_at),
        # ----- volume
        _rule(
            rf"(?:{_B}(?:set\s+)?(?:the\s+)?(?:music|bgm|volume|song)\s*(?:volume\s*)?(?:at|to|=|:)?\s*"
            rf"|(?:音乐|音量|背景音乐|配乐|声音)\s*(?:调到|调成|设为|设成|为|是|:)?\s*)?"
            rf"(?:(?P<pct>{_NUM})\s*(?:%|percent{_E}|per\s*cent{_E})|百分之(?P<cnpct>{_ANY_NUM}))",
            _percent,
        ),
        _rule(
            rf"{_B}{_MUCH}(?:{_LOUDER}){_E}"
            r"|大(?:一)?点声|大声(?P<much1>很多|多了|得多)?(?:一)?(?:点儿?|些)?"
            r"|(?:音乐|音量|声音|bgm|配乐)(?:的)?(?:再)?(?:调|开)?(?:大|高|响)(?:(?P<much2>很多|得多)|(?:一)?(?:点儿?|些))"
            r"|(?:调|开|提)(?:大|高)(?:音乐|音量|声音)?|响(?:一)?点儿?|太小声|听不到音乐|听不见音乐|提高音量",
            _steps(+1),
        ),
        _rule(
            rf"{_B}{_MUCH}(?:{_QUIETER}){_E}"
            r"|小(?:一)?点声|小声(?P<much1>很多|多了|得多)?(?:一)?(?:点儿?|些)?"
            r"|(?:音乐|音量|声音|bgm|配乐)(?:的)?(?:再)?(?:调|放)?(?:小|低|轻)(?:(?P<much2>很多|得多)|(?:一)?(?:点儿?|些))"
            r"|(?:调|放|降)(?:小|低)(?:音乐|音量|声音)?|轻(?:一)?点儿?|低(?:一)?点儿?|太大声|太吵|降低音量",
            _steps(-1),
        ),
        # ----- track navigation
        _rule(
            rf"{_B}(?:go|switch|change|put\s+it|swap)\s+back(?:\s+to\s+(?:the\s+)?(?:previous|last|old|earlier|first|other)"
            rf"(?:\s+(?:one|track|song|tune|music))?)?{_E}"
            rf"|{_B}back\s+to\s+(?:the\s+)?(?:previous|last|old|earlier|other|first)(?:\s+(?:one|track|song|tune|music))?{_E}"
            rf"|{_B}(?:previous|prev|last|old|earlier)\s+(?:one|track|song|tune|music){_E}|{_B}(?:previous|prev){_E}"
            rf"|{_B}the\s+one\s+before{_E}"
            r"|^\s*(?:back|undo\s+track)\s*[.!]*\s*$"
            r"|上一首|上首|前一首|换回(?:来|去)?|回到上一首|(?:之前|刚才|原来)(?:那|的)(?:首|个)|还是上一首",
            _const(PreviousTrack()),
        ),
        _rule(
            rf"{_B}(?:another|different|next|new|other|else)\s+(?:one|track|song|tune|music|piece|bgm|pick){_E}"
            rf"|{_B}(?:change|switch|swap|replace|skip)\s+(?:the\s+|this\s+)?(?:track|song|tune|music|bgm){_E}"
            rf"|{_B}something\s+else{_E}|{_B}try\s+another(?:\s+one)?{_E}"
            rf"|{_B}i\s+don'?t\s+like\s+(?:this|it|the\s+(?:music|song|track)){_E}"
            rf"|^\s*(?:another|next|other)(?:\s+(?:one|please))?\s*[.!]*\s*$"
            r"|下一首|下首|换(?:一|个|一个)?首(?:歌|曲子)?|换(?:一|个|一个)?(?:歌|音乐|曲子|bgm|配乐)|换一个|换个|换别的"
            r"|换(?:一)?下(?:音乐|歌)?|再来一首|另一首|别的歌|不喜欢(?:这首|这个)",
            _const(NextTrack()),
        ),
        # ----- relative mood
        *(
            _rule(
                rf"{_B}(?:(?:a\s+(?:bit|little|lot)|much|slightly|way|even|somewhat)\s+)?(?:{words}){_E}",
                _const(ShiftMood(d)),
            )
            for d, words in _EN_SHIFTS.items()
        ),
        _rule(
            rf"(?:更加|更|还要|再)\s*(?P<x1>{zh_shift})(?:一点儿?|一些|点儿?|些)?|(?P<x2>{zh_shift})(?:一点儿?|一些|点儿?|些)",
            _shift_from(_ZH_SHIFT_WORDS),
        ),
    ]
    return tuple(rules)


_RULES = _build_rules()

_EN_FILLER = frozenset(
    """please pls plz make it its it's the a an music bgm song track bit little lot much more less and
    then also with can could would you u i i'd i'm want wanna like to be slightly some just set put use
    audio sound video clip now ok okay thanks thank thx this that one is of in for at on let's lets me
    maybe try so too very really sure yes but instead again even way add change switch turn do go get
    give have should need something kind sort there here my our we while when keep background version
    output file hey hi bot tune vibe vibes feel feeling mood style genre somewhat rather quite pretty
    volume percent abit bot's your it'll make's up down""".split()  # noqa: SIM905 - a word list reads better as text
)
_ZH_FILLER = sorted(
    """请 麻烦 帮我 帮忙 给我 把 让 将 的 地 得 一点儿 一点 一些 点儿 点
    背景音乐 音乐 配乐 歌曲 歌 视频 这个 这首 那个 再 稍微 它 能 可以 吗 吧
    呢 啊 呀 了 我 想 要 用 换成 变成 改成 弄成 调成 做成 一下 谢谢 有点
    更加 更 加 些 和 并且 然后 还有 也 就 好的 好 嗯 一个 个 来 说话时
    说话的时候 时候 节奏 感觉 风格 一首 首 还是 声音 音量 一 下
    转成 转为 导出 输出 画面 格式""".split(),  # noqa: SIM905
    key=len,
    reverse=True,
)
_LEFTOVER_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*|[\u3400-\u9fff\uf900-\ufaff]+")


def _leftover_words(leftover: str, mood_words: Sequence[str]) -> tuple[str, ...]:
    """Words nothing claimed and that are not filler: reported back so the user knows what was skipped."""
    moods = {w.lower() for w in mood_words}
    found: list[str] = []
    for token in _LEFTOVER_TOKEN.findall(leftover):
        if _CJK_RE.match(token):
            rest = token
            for word in (*sorted(moods, key=len, reverse=True), *_ZH_FILLER):
                rest = rest.replace(word, "")
            if rest:
                found.append(token)
        elif token not in _EN_FILLER and token not in moods and token.strip("-") not in moods:
            found.append(token)
    return tuple(dict.fromkeys(found))


def _language(masked: str) -> Lang:
    """Chinese when the words outside quotes are: an English command with a Chinese title is answered in English."""
    return "zh" if _CJK_RE.search(masked) else "en"


def parse_instruction(text: str) -> ParseResult:
    """Read a chat message as timeline edits, in the order written. Never raises on user text."""
    ctx = _prepare(text or "")
    language = _language(ctx.masked)
    claimed = [False] * len(ctx.masked)
    found: list[tuple[int, _Item]] = []
    for rule in _RULES:
        for match in rule.pattern.finditer(ctx.masked):
            start, end = match.span()
            if start == end or any(claimed[start:end]):
                continue
            for i in range(start, end):
                claimed[i] = True
            found.extend((start, item) for item in rule.build(match, ctx))

    leftover = "".join(" " if claimed[i] else ch for i, ch in enumerate(ctx.masked))
    leftover = leftover.replace(_MASK_OPEN, " ").replace(_MASK_FILL, " ")
    request = parse_mood_words(leftover)
    if request.words:
        position = leftover.find(request.words[0])
        found.append((position if position >= 0 else len(leftover), SetMood(tuple(dict.fromkeys(request.words)))))

    found.sort(key=lambda pair: pair[0])
    edits = [item for _, item in found if isinstance(item, Edit)]
    issues = [item for _, item in found if isinstance(item, _Issue)]
    edits = _combine_moods(edits)
    ignored = _leftover_words(leftover, request.words)
    if not edits and not issues:
        return ParseResult(edits=(), understood=False, language=language, ignored=ignored)
    errors = tuple(dict.fromkeys(issue.zh if language == "zh" else issue.en for issue in issues))
    return ParseResult(edits=tuple(edits), understood=True, language=language, errors=errors, ignored=ignored)


def _combine_moods(edits: list[Edit]) -> list[Edit]:
    """A mood change already changes the track, so "another, calmer track" is one edit, not two;
    several mood requests in one message are asked together, not one after the other."""
    moods = [e for e in edits if isinstance(e, MOOD_EDITS)]
    if not moods:
        return edits
    kept = [e for e in edits if not isinstance(e, NextTrack)]
    if len(moods) == 1:
        return kept
    words: list[str] = []
    for mood in moods:
        words.extend(mood.words)
    merged = SetMood(tuple(dict.fromkeys(words)))
    out: list[Edit] = []
    for edit in kept:
        if isinstance(edit, MOOD_EDITS):
            if edit is moods[0]:
                out.append(merged)
        else:
            out.append(edit)
    return out


# ----- applying ------------------------------------------------------------------------------------


def _is_mood_word(word: str) -> bool:
    return bool(parse_mood_words(word).moods)


def _is_style_word(word: str) -> bool:
    return bool(parse_mood_words(word).styles)


def merge_mood_words(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """New words replace the old ones of the same kind: "calmer" after "piano, happy" gives ("piano", "calm");
    "make it lo-fi" (a mood and a style) replaces both."""
    new_request = parse_mood_words(" ".join(new))
    drop_moods = bool(new_request.moods)
    drop_styles = bool(new_request.styles)
    kept = [w for w in old if not ((drop_moods and _is_mood_word(w)) or (drop_styles and _is_style_word(w)))]
    return tuple(dict.fromkeys([*kept, *new]))


def moods_after(timeline: Timeline, edits: Sequence[Edit]) -> tuple[str, ...]:
    """The mood words the matcher should rank with once ``edits`` are applied (for ``needs_rerank``)."""
    words: tuple[str, ...] = timeline.music.moods if timeline.music is not None else ()
    for edit in edits:
        if isinstance(edit, MOOD_EDITS):
            words = merge_mood_words(words, edit.words)
    return words


@dataclass(frozen=True)
class _Env:
    ranked: tuple[str, ...]
    titles: Mapping[str, str]
    lang: Lang


def _switch(music: MusicTrack | None, track_id: str, env: _Env, *, new_round: bool = False) -> MusicTrack:
    """Put a library track on the timeline and record the offer; start point goes back to the planner."""
    title = env.titles.get(track_id, track_id)
    if music is None:
        return MusicTrack.from_library(track_id, title)
    offered = (*music.offered, track_id)
    return replace(
        music,
        title=title,
        track_id=track_id,
        user_path=None,
        start_offset_s=None,
        offered=offered,
        current=len(offered) - 1,
        round_start=len(offered) - 1 if new_round else music.round_start,
    )


def _next_track(timeline: Timeline, env: _Env) -> tuple[Timeline, str]:
    music = timeline.music
    current = music.track_id if music is not None else None
    offered_this_round = set(music.offered[music.round_start :]) if music is not None else set()
    fresh = [t for t in env.ranked if t not in offered_this_round and t != current]
    if fresh:
        new_music = _switch(music, fresh[0], env)
    else:
        others = [t for t in env.ranked if t != current]
        if not others:
            return timeline, _t(env.lang, "no other track to offer", "没有别的曲子了")
        new_music = _switch(music, others[0], env, new_round=True)
    note = _t(env.lang, "another track: ", "换一首：") + new_music.title
    return replace(timeline, music=new_music), note


def _previous_track(timeline: Timeline, env: _Env) -> tuple[Timeline, str]:
    music = timeline.music
    if music is None or music.current <= 0:
        return timeline, _t(env.lang, "there is no previous track", "没有上一首")
    index = music.current - 1
    track_id = music.offered[index]
    new_music = replace(
        music,
        title=env.titles.get(track_id, track_id),
        track_id=track_id,
        user_path=None,
        start_offset_s=None,
        current=index,
    )
    return replace(timeline, music=new_music), _t(env.lang, "back to ", "换回：") + new_music.title


def _mood(timeline: Timeline, edit: ShiftMood | SetMood, env: _Env) -> tuple[Timeline, str]:
    music = timeline.music
    base = edit.describe(env.lang)
    if not env.ranked:
        if music is None:
            return timeline, base
        return replace(timeline, music=replace(music, moods=merge_mood_words(music.moods, edit.words))), base
    moods = merge_mood_words(music.moods if music is not None else (), edit.words)
    best = env.ranked[0]
    if music is not None and music.track_id == best:
        new_music = replace(music, moods=moods)
    else:
        new_music = replace(_switch(music, best, env), moods=moods)
    return replace(timeline, music=new_music), f"{base} → {new_music.title}"


def _change_volume(timeline: Timeline, edit: ChangeVolume, env: _Env) -> tuple[Timeline, str]:
    music = timeline.music
    if music is None:
        return timeline, _t(env.lang, "there is no music yet", "还没有音乐")
    if music.volume_pct <= 0 and edit.steps > 0:
        pct = VOLUME_FROM_SILENCE_PCT * 10 ** (STEP_DB * (edit.steps - 1) / 20)
    else:
        pct = music.volume_pct * 10 ** (edit.gain_db / 20)
    new_music = replace(music, volume_pct=min(MAX_VOLUME_PCT, max(0.0, pct)))
    return replace(timeline, music=new_music), f"{edit.describe(env.lang)} ({round(new_music.volume_pct)}%)"


def _set_title(timeline: Timeline, edit: SetTitle) -> Timeline:
    old = timeline.title
    duration = edit.duration_s if edit.duration_s is not None else (old.duration_s if old else DEFAULT_TITLE_DURATION_S)
    if timeline.duration_s > 0:
        duration = min(duration, timeline.duration_s)
    start = old.start_s if old is not None else 0.0
    return replace(timeline, title=TitleTrack(text=edit.text, start_s=start, duration_s=duration))


def _apply_one(timeline: Timeline, edit: Edit, env: _Env) -> tuple[Timeline, str]:
    lang = env.lang
    music = timeline.music
    note = edit.describe(lang)
    if isinstance(edit, NextTrack):
        return _next_track(timeline, env)
    if isinstance(edit, PreviousTrack):
        return _previous_track(timeline, env)
    if isinstance(edit, ShiftMood | SetMood):
        return _mood(timeline, edit, env)
    if isinstance(edit, ChangeVolume):
        return _change_volume(timeline, edit, env)
    if isinstance(edit, SetVolume | StartMusic):
        if music is None:
            return timeline, _t(lang, "there is no music yet", "还没有音乐")
        if isinstance(edit, SetVolume):
            return replace(timeline, music=replace(music, volume_pct=edit.pct)), note
        new_music = replace(music, start_offset_s=edit.offset_s, skip_intro=edit.skip_intro)
        return replace(timeline, music=new_music), note
    if isinstance(edit, SetOriginalAudio):
        return replace(timeline, original=replace(timeline.original, keep=edit.keep)), note
    if isinstance(edit, SetDucking):
        return replace(timeline, original=replace(timeline.original, duck=edit.enabled)), note
    if isinstance(edit, SetTitle):
        new = _set_title(timeline, edit)
        assert new.title is not None
        return new, _describe_title(new.title.text, new.title.duration_s, lang)
    if isinstance(edit, RemoveTitle):
        return replace(timeline, title=None), note
    if isinstance(edit, SetAspect):
        return replace(timeline, output=replace(timeline.output, aspect=edit.aspect)), note
    if isinstance(edit, SetFit):
        return replace(timeline, output=replace(timeline.output, fit=edit.mode)), note
    if isinstance(edit, SetMaxHeight):
        return replace(timeline, output=replace(timeline.output, max_height=edit.height)), note
    if isinstance(edit, SetTargetSize):
        return replace(timeline, output=replace(timeline.output, target_size_bytes=edit.size_bytes)), note
    raise TypeError(f"unknown edit {edit!r}")


def apply_edits_explained(
    timeline: Timeline,
    edits: Sequence[Edit],
    *,
    ranked_track_ids: Sequence[str],
    titles: Mapping[str, str] | None = None,
    lang: Lang = "en",
) -> tuple[Timeline, tuple[str, ...]]:
    """``apply_edits`` plus one note per edit with the outcome ("music −3 dB (71%)", "another track: Lo-fi")."""
    env = _Env(ranked=tuple(dict.fromkeys(ranked_track_ids)), titles=titles or {}, lang=lang)
    notes: list[str] = []
    for edit in edits:
        timeline, note = _apply_one(timeline, edit, env)
        notes.append(note)
    return timeline, tuple(notes)


def apply_edits(
    timeline: Timeline,
    edits: Sequence[Edit],
    *,
    ranked_track_ids: Sequence[str],
    titles: Mapping[str, str] | None = None,
) -> Timeline:
    """Apply edits in order and return the new timeline (the input is untouched).

    ``ranked_track_ids`` is the matcher's ranking for the request, best first; when the edits change the
    mood it must be the ranking for ``moods_after(timeline, edits)``. ``titles`` maps ids to display titles.
    """
    return apply_edits_explained(timeline, edits, ranked_track_ids=ranked_track_ids, titles=titles)[0]
