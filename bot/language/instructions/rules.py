"""The instruction rules: every phrase family, English and Chinese, in priority order, and what it yields.

Each rule is a regular expression over the prepared message (lower-case, half-width, quotes masked, see
``message.py``) and a builder naming the edit it yields as data (``parsed("set_aspect", aspect="9:16")``).
Order is meaning: a span claimed by one rule is invisible to the rules after it, which is how "静音原声"
(mute the original audio) is never also the style word "原声". The English and Chinese phrasings of one
request share a rule so that a mixed message ("换成720p", "发到discord") keeps one priority order; a new
language adds its alternatives to the same rules (and its words to ``vocabulary.py`` and ``leftover.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.language.instructions.builders import (
    EMPTY_TITLE,
    Builder,
    const,
    drop_item,
    height,
    hit_at,
    length,
    percent,
    shift_from,
    start_at,
    steps,
    swap_items,
    target_size,
    title_from_quote,
    title_from_rest,
)
from bot.language.instructions.items import parsed
from bot.language.instructions.message import MASK_FILL, MASK_OPEN
from bot.language.instructions.numbers import ANY_NUM, BARE_TIME, DURATION, NUM, ORDINAL, SEC_UNIT, TIME, ZH_ORDINAL

__all__ = ["RULES", "Rule"]


@dataclass(frozen=True)
class Rule:
    """One phrase family: what it looks like and what it yields."""

    pattern: re.Pattern[str]
    build: Builder


def _rule(pattern: str, build: Builder) -> Rule:
    return Rule(re.compile(pattern), build)


_B = r"(?<![a-z0-9'])"
"""Start of an English word. Not ``\\b``: CJK characters count as word characters, so "换成720p" has no ``\\b``."""
_E = r"(?![a-z0-9])"


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
_SIZE = rf"(?P<size>{NUM})\s*(?P<unit>kib|mib|gib|kb|mb|gb|megabytes?|megs?|兆(?:字节|b)?)(?![a-z])"
_ZH_SOUND = r"(?:原声音|原声|原音|原来的声音|视频的?声音|视频原声)"
_PIECE = r"(?:clip|item|piece|shot|photo|picture|video|one|part|segment)"
_PIECES = r"(?:clips?|items?|pieces?|shots?|photos?|pictures?|videos?|ones|parts?|segments?)"
_ZH_PIECE = r"(?:个|段|张|条)?"


def _build_rules() -> tuple[Rule, ...]:
    """The phrase families, highest priority first: a span claimed by one rule is invisible to the rest."""
    zh_shift = _alternation(list(_ZH_SHIFT_WORDS))
    rules: list[Rule] = [
        # "i love it" is praise, not the mood word "love".
        _rule(rf"{_B}(?:i\s+)?(?:love|like)\s+(?:it|this|that){_E}|喜欢这首", const()),
        # ----- title
        _rule(
            rf"{_B}(?:remove|delete|drop|clear|hide|no|without|take\s+off|get\s+rid\s+of)\s+(?:the\s+|a\s+)?"
            rf"(?:title|caption|heading|text)s?{_E}|(?:去掉|删除|删掉|移除|取消|不要|去除|关掉|隐藏)\s*(?:标题|字幕|文字)",
            const(parsed("remove_title")),
        ),
        _rule(
            rf"{_B}(?:(?:add|put|set|use|with|change|make)\s+(?:a\s+|the\s+|it\s+)?)?(?:title|caption|heading|headline|text)"
            rf"\s*(?:to\s+|as\s+|is\s+|[:=]\s*)?{MASK_OPEN}{MASK_FILL}*"
            rf"(?:\s*,?\s*(?:(?:for|lasting|during)\s+)?(?P<dur>{NUM})\s*{SEC_UNIT})?",
            title_from_quote,
        ),
        _rule(
            rf"(?:加(?:上|个|一个)?|添加|设置|显示|把)?\s*(?:标题|字幕|片名)\s*(?:是|为|改成|改为|设为|:)?\s*"
            rf"{MASK_OPEN}{MASK_FILL}*(?:\s*,?\s*(?:显示|持续|停留)?\s*(?P<dur>{ANY_NUM})\s*秒(?:钟)?)?",
            title_from_quote,
        ),
        _rule(
            rf"{MASK_OPEN}{MASK_FILL}*\s*(?:as\s+(?:the\s+|a\s+)?title{_E}|(?:作为|当|做)标题)",
            title_from_quote,
        ),
        _rule(
            rf"{_B}(?:title|caption)\s*(?::\s*|[\"“「『‘'《«])(?P<text>[^,;.!?。！？\ue000\ue001]+)"
            rf"|(?:标题|字幕)\s*(?::\s*|[\"“「『‘'《«])(?P<text2>[^,;!?。、\ue000\ue001]+)",
            title_from_rest,
        ),
        _rule(
            rf"{_B}(?:add|put|give\s+it|with|set)\s+(?:a\s+|the\s+)?(?:title|caption){_E}|(?:加|添加|加个|加一个|加上)\s*(?:标题|字幕)",
            const(EMPTY_TITLE),
        ),
        # ----- output size
        _rule(
            rf"{_B}(?:(?:under|below|less\s+than|smaller\s+than|max(?:imum)?|at\s+most|up\s+to|no\s+(?:more|bigger|larger)"
            rf"\s+than|within|fit\s+(?:in|into)|target)\s*|<=?\s*|≤\s*|(?:小于|低于|不超过|不要超过|不大于|压缩到|压到|控制在|限制在|最多)\s*)?"
            rf"{_SIZE}(?:\s*(?:max(?:imum)?|or\s+(?:less|smaller|under)|limit|以内|以下|之内))?",
            target_size,
        ),
        _rule(
            rf"{_B}(?:(?:for|to|on)\s+)?discord{_E}|(?:发到|发给|适合|用于)?\s*discord",
            const(parsed("fit_platform", platform="discord")),
        ),
        _rule(
            rf"{_B}(?:(?:for|to|on)\s+)?telegram{_E}|(?:发到|发给|适合|用于)?\s*(?:telegram|电报)",
            const(parsed("fit_platform", platform="telegram")),
        ),
        _rule(rf"{_B}no\s+size\s+limit{_E}|不限(?:制)?大小", const(parsed("set_target_size", size_bytes=None))),
        # ----- resolution
        _rule(rf"(?<![a-z0-9.])(?P<h>\d{{3,4}})\s*p{_E}", height),
        _rule(rf"{_B}4k{_E}", const(parsed("set_max_height", height=2160))),
        _rule(rf"{_B}(?:full\s*hd|fhd){_E}", const(parsed("set_max_height", height=1080))),
        _rule(
            rf"{_B}(?:original|full|native|max(?:imum)?)\s+(?:resolution|res){_E}|原始分辨率|原分辨率|原画质",
            const(parsed("set_max_height", height=None)),
        ),
        # ----- aspect and fit
        _rule(
            rf"{_B}(?:original|native|source)\s+(?:aspect(?:\s+ratio)?|ratio|shape|format|size){_E}"
            rf"|{_B}keep\s+(?:the\s+)?(?:aspect(?:\s+ratio)?|ratio|shape){_E}|原始比例|原比例|原来的比例|原始画幅|保持比例",
            const(parsed("set_aspect", aspect=None)),
        ),
        _rule(
            rf"{_B}9\s*[:x×/]\s*16{_E}|{_B}(?:vertical|portrait|tiktok|reels?|shorts|stor(?:y|ies)){_E}"
            r"|竖屏|竖版|竖的|竖向|竖着|抖音",
            const(parsed("set_aspect", aspect="9:16")),
        ),
        _rule(rf"{_B}1\s*[:x×/]\s*1{_E}|{_B}square{_E}|正方形|方形|方的", const(parsed("set_aspect", aspect="1:1"))),
        _rule(
            rf"{_B}16\s*[:x×/]\s*9{_E}|{_B}(?:landscape|horizontal|widescreen){_E}|横屏|横版|横的|横向|横着",
            const(parsed("set_aspect", aspect="16:9")),
        ),
        _rule(
            rf"{_B}(?:(?:with\s+(?:a\s+)?)?blur(?:red|ry)?\s+(?:background|bg|bars|sides|fill)|with\s+blur"
            rf"|blur(?:red)?|fit(?:\s+(?:inside|in\s+frame|the\s+whole\s+(?:video|picture)))?|letterbox(?:ed)?"
            rf"|no\s+crop(?:ping)?|don'?t\s+crop|without\s+crop(?:ping)?|(?:show|keep)\s+the\s+whole\s+(?:picture|video|frame))"
            rf"{_E}|模糊背景|背景模糊|模糊填充|不裁剪|不要裁剪|别裁剪|不要裁|完整画面",
            const(parsed("set_fit", mode="blur")),
        ),
        _rule(
            rf"{_B}(?:crop(?:ped)?(?:\s+to\s+fill)?|fill(?:\s+the\s+(?:frame|screen))?|zoom\s+to\s+fill){_E}"
            r"|裁剪|裁切|填满|铺满|充满",
            const(parsed("set_fit", mode="crop")),
        ),
        # ----- original audio
        _rule(
            rf"{_B}(?:mute|silence)\s+(?:the\s+)?{_SOURCE}(?:\s+{_AUDIO_NOUN})?{_E}"
            rf"|{_B}(?:remove|drop|kill|cut|lose|delete|disable|turn\s+off|switch\s+off|get\s+rid\s+of|no|without|strip)"
            rf"\s+(?:the\s+)?(?:{_SOURCE}|background|ambient)\s+{_AUDIO_NOUN}{_E}"
            rf"|{_B}original\s+(?:{_AUDIO_NOUN}\s+)?off{_E}|{_B}(?:music|bgm)\s+only{_E}|{_B}only\s+(?:the\s+)?music{_E}"
            rf"|(?:静音|去掉|去除|删掉|删除|关掉|关闭|不要|移除|消除)\s*(?:{_ZH_SOUND}|声音)|原声\s*(?:静音|去掉|关掉|关闭|不要)"
            r"|只要音乐|只留音乐|只保留音乐|只有音乐",
            const(parsed("set_original_audio", keep=False)),
        ),
        _rule(
            rf"{_B}(?:keep|unmute|restore)\s+(?:the\s+)?{_SOURCE}(?:\s+{_AUDIO_NOUN})?{_E}{_NOT_OUTPUT}"
            rf"|{_B}(?:with|leave|turn\s+on|bring\s+back)\s+(?:the\s+)?{_SOURCE}\s+{_AUDIO_NOUN}{_E}"
            rf"|{_B}original\s+{_AUDIO_NOUN}\s+(?:back|on){_E}"
            rf"|{_B}(?:keep|with)\s+(?:the\s+|its\s+|their\s+)?(?:sound|sounds|audio){_E}"
            r"|保留声音|保留现场声|要声音"
            rf"|(?:保留|留着|留下|保持|恢复|打开|开启|要|加回|还原)\s*{_ZH_SOUND}|原声\s*(?:保留|留着|恢复|打开)",
            const(parsed("set_original_audio", keep=True)),
        ),
        # ----- music muted outright
        _rule(
            rf"{_B}(?:mute|silence|turn\s+off|switch\s+off|kill)\s+(?:the\s+)?(?:music|bgm|song){_E}|{_B}no\s+music{_E}"
            r"|静音音乐|音乐静音|关掉音乐|关闭音乐|不要音乐|去掉音乐|去掉背景音乐|不要背景音乐",
            const(parsed("set_volume", pct=0.0)),
        ),
        # ----- ducking
        _rule(
            rf"{_B}(?:don'?t|do\s+not|no|never|stop|without|disable|turn\s+off|switch\s+off)\s+(?:auto\s*)?duck(?:ing)?{_E}"
            rf"|{_B}duck(?:ing)?\s+off{_E}"
            rf"|{_B}(?:don'?t|do\s+not|never|stop)\s+(?:lower|dip|reduc)(?:e|ing)?\s+(?:the\s+)?music"
            rf"(?:\s+(?:when|while|during|for|under)\s+(?:people\s+|someone\s+|they\s+)?"
            rf"(?:speak|speaks|speaking|talk|talks|talking|speech|voices?))?{_E}"
            r"|(?:不要|别|不用|不需要|取消|关闭|关掉|停止)\s*(?:自动)?\s*(?:压低(?:音乐)?|降低音乐|闪避|躲避|ducking|duck)",
            const(parsed("set_ducking", enabled=False)),
        ),
        _rule(
            rf"{_B}(?:turn\s+on|enable|re-?enable|bring\s+back|restore|use)\s+(?:the\s+)?(?:auto\s*)?duck(?:ing)?{_E}"
            rf"|{_B}duck(?:ing)?\s+(?:on|back\s+on|again){_E}"
            rf"|{_B}duck\s+(?:the\s+music|it|under\s+(?:speech|voices?|talking|dialog(?:ue)?)){_E}"
            rf"|{_B}(?:lower|dip)\s+(?:the\s+)?music\s+(?:when|while|during|under)\s+(?:people\s+|someone\s+)?"
            rf"(?:speak|speaks|speaking|talk|talks|talking|speech|voices?){_E}|^\s*duck(?:ing)?\s*[.!]*\s*$"
            r"|(?:开启|打开|恢复|启用)\s*(?:自动)?\s*(?:压低|闪避|ducking|duck)(?:音乐)?|压低音乐|降低音乐|自动压低",
            const(parsed("set_ducking", enabled=True)),
        ),
        # ----- where the track's big moment lands (before "where the music starts" and a film's length:
        # "drop at 20 s" is neither "drop an item" nor "20 s long")
        _rule(
            rf"{_B}(?:(?:put|land|place|time|move|set|have)\s+)?(?:the\s+)?(?:(?:music|song|track)(?:'s)?\s+)?"
            rf"(?:drop|beat\s+drop|climax|chorus|big\s+moment|peak|highlight|high\s+point)\s+"
            rf"(?:(?:should|to|must|needs\s+to)\s+)?(?:(?:lands?|hits?|comes?|happens?|falls?|be)\s+)?"
            rf"(?:at|on|to|around|near|@)\s+(?:the\s+)?(?:second\s+)?{BARE_TIME}",
            hit_at,
        ),
        _rule(
            r"(?:让|把|将)?(?:音乐|歌曲|歌|配乐|bgm)?(?:的)?(?:高潮|副歌|爆点|高光|鼓点爆发)(?:部分)?\s*"
            rf"(?:要|放|落|出现|卡|对)?\s*(?:在|到|于)\s*(?:视频)?(?:的)?\s*(?:第)?\s*{BARE_TIME}",
            hit_at,
        ),
        # ----- where the music starts
        _rule(rf"跳过\s*(?:前|开头(?:的)?)\s*{TIME}", start_at),
        _rule(rf"{_B}skip\s+(?:the\s+)?first\s+{TIME}", start_at),
        _rule(
            rf"{_B}(?:skip|cut|drop|remove|no|without|lose)\s+(?:the\s+)?(?:intro|introduction|build-?up){_E}"
            rf"|{_B}straight\s+(?:to|into)\s+the\s+(?:beat|drop|action){_E}"
            r"|(?:跳过|去掉|不要|省略|略过|去除|删掉)\s*(?:前奏|引子|开头|片头)",
            const(parsed("start_music", offset_s=None, skip_intro=True)),
        ),
        _rule(
            rf"{_B}(?:(?:start|play)\s+)?(?:from|at)\s+the\s+(?:very\s+)?(?:beginning|start){_E}|{_B}from\s+the\s+top{_E}"
            r"|从头(?:开始|播放)?|从开头(?:开始|播放)?",
            const(parsed("start_music", offset_s=0.0)),
        ),
        _rule(
            rf"{_B}(?:auto(?:matic)?\s+start|best\s+part){_E}|自动选择起点|自动起点",
            const(parsed("start_music", offset_s=None)),
        ),
        _rule(
            rf"{_B}(?:start|begin|play|cue)(?:s|ing)?\s+(?:the\s+)?(?:music|song|track|bgm|it|audio)?\s*(?:at|from)\s+"
            rf"(?:second\s+)?{BARE_TIME}",
            start_at,
        ),
        _rule(rf"{_B}(?:music|song|track|bgm)\s+(?:from|starting\s+at|starts\s+at|at)\s+{TIME}", start_at),
        _rule(rf"{_B}from\s+{TIME}", start_at),
        _rule(rf"(?:音乐|歌曲|歌|配乐|bgm)?\s*从\s*(?:第)?\s*{TIME}\s*(?:开始|起|播放|放)?", start_at),
        # ----- volume
        _rule(
            rf"(?:{_B}(?:set\s+)?(?:the\s+)?(?:music|bgm|volume|song)\s*(?:volume\s*)?(?:at|to|=|:)?\s*"
            rf"|(?:音乐|音量|背景音乐|配乐|声音)\s*(?:调到|调成|设为|设成|为|是|:)?\s*)?"
            rf"(?:(?P<pct>{NUM})\s*(?:%|percent{_E}|per\s*cent{_E})|百分之(?P<cnpct>{ANY_NUM}))",
            percent,
        ),
        _rule(
            rf"{_B}{_MUCH}(?:{_LOUDER}){_E}"
            r"|大(?:一)?点声|大声(?P<much1>很多|多了|得多)?(?:一)?(?:点儿?|些)?"
            r"|(?:音乐|音量|声音|bgm|配乐)(?:的)?(?:再)?(?:调|开)?(?:大|高|响)(?:(?P<much2>很多|得多)|(?:一)?(?:点儿?|些))"
            r"|(?:调|开|提)(?:大|高)(?:音乐|音量|声音)?|响(?:一)?点儿?|太小声|听不到音乐|听不见音乐|提高音量",
            steps(+1),
        ),
        _rule(
            rf"{_B}{_MUCH}(?:{_QUIETER}){_E}"
            r"|小(?:一)?点声|小声(?P<much1>很多|多了|得多)?(?:一)?(?:点儿?|些)?"
            r"|(?:音乐|音量|声音|bgm|配乐)(?:的)?(?:再)?(?:调|放)?(?:小|低|轻)(?:(?P<much2>很多|得多)|(?:一)?(?:点儿?|些))"
            r"|(?:调|放|降)(?:小|低)(?:音乐|音量|声音)?|轻(?:一)?点儿?|低(?:一)?点儿?|太大声|太吵|降低音量",
            steps(-1),
        ),
        # ----- a film of several items: order, which items, length
        _rule(
            rf"{_B}(?:swap|switch|exchange|flip)\s+(?:the\s+)?(?:{_PIECES}\s+)?(?:#\s*|no\.?\s*|number\s+)?(?P<a>{ORDINAL})"
            rf"(?:\s+{_PIECE})?\s*(?:and|with|&|,)\s*(?:the\s+)?(?:{_PIECE}\s+)?(?:#\s*|no\.?\s*|number\s+)?"
            rf"(?P<b>{ORDINAL})(?:\s+{_PIECES})?{_E}",
            swap_items,
        ),
        _rule(
            rf"(?:交换|调换|互换|对调)\s*第?\s*(?P<a>{ZH_ORDINAL})\s*{_ZH_PIECE}\s*(?:和|与|跟|、|,)\s*第?\s*"
            rf"(?P<b>{ZH_ORDINAL})\s*{_ZH_PIECE}(?:的位置|位置)?",
            swap_items,
        ),
        _rule(
            rf"把?\s*第?\s*(?P<a>{ZH_ORDINAL})\s*{_ZH_PIECE}\s*(?:和|与|跟)\s*第?\s*(?P<b>{ZH_ORDINAL})\s*{_ZH_PIECE}"
            r"\s*(?:的位置|位置)?\s*(?:交换|调换|互换|对调|换一下|换个位置|换位置)",
            swap_items,
        ),
        _rule(
            rf"{_B}(?:drop|remove|delete|cut|lose|skip|take\s+out|get\s+rid\s+of|leave\s+out|without)\s+(?:the\s+)?"
            rf"(?:(?P<a>{ORDINAL})\s+{_PIECE}|{_PIECE}\s+(?:#\s*|no\.?\s*|number\s+)?(?P<a2>\d{{1,2}})){_E}",
            drop_item,
        ),
        _rule(
            rf"(?:删掉|删除|删去|去掉|移除|不要|拿掉|去除)\s*(?:第\s*(?P<a>{ZH_ORDINAL})|(?P<a2>最后一?))\s*{_ZH_PIECE}"
            r"(?:视频|片段|照片|图片|镜头|素材)?",
            drop_item,
        ),
        _rule(
            rf"{_B}(?:make\s+it\s+|(?:a\s+)?(?:bit|little|lot)\s+|much\s+|slightly\s+|even\s+)?"
            rf"(?P<dir>shorter|longer|shorten|lengthen|extend)(?:\s+(?:it|the\s+(?:film|video|montage)))?"
            rf"(?:\s*(?:[,:;]|to|at|of)?\s*(?:about\s+|around\s+)?{DURATION})?{_E}",
            length,
        ),
        _rule(
            rf"(?:(?:再|更)?(?P<dir>短|长)(?:一点儿?|一些|点儿?|些)|(?:再|更)(?P<dir3>短|长)"
            rf"|(?P<dir2>缩短|剪短|变短|加长|延长|拉长|变长))"
            rf"(?:\s*(?:到|至|成|为|,)?\s*(?:大约|大概)?\s*{DURATION})?",
            length,
        ),
        _rule(
            rf"(?:{_B}(?:make\s+it|length|duration|cut\s+(?:it\s+)?(?:down\s+)?to|trim\s+(?:it\s+)?to|only|just)"
            rf"\s*(?:[:=]|to)?\s*|(?:时长|长度|剪成|剪到|做成|控制在)\s*(?:为|是|:)?\s*)?"
            rf"(?:about\s+|around\s+|大约|大概)?{DURATION}(?:\s+long{_E}|\s*(?:以内|左右|长))?",
            length,
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
            const(parsed("previous_track")),
        ),
        _rule(
            rf"{_B}(?:another|different|next|new|other|else)\s+(?:one|track|song|tune|music|piece|bgm|pick){_E}"
            rf"|{_B}(?:change|switch|swap|replace|skip)\s+(?:the\s+|this\s+)?(?:track|song|tune|music|bgm){_E}"
            rf"|{_B}something\s+else{_E}|{_B}try\s+another(?:\s+one)?{_E}"
            rf"|{_B}i\s+don'?t\s+like\s+(?:this|it|the\s+(?:music|song|track)){_E}"
            rf"|^\s*(?:another|next|other)(?:\s+(?:one|please))?\s*[.!]*\s*$"
            r"|下一首|下首|换(?:一|个|一个)?首(?:歌|曲子)?|换(?:一|个|一个)?(?:歌|音乐|曲子|bgm|配乐)|换一个|换个|换别的"
            r"|换(?:一)?下(?:音乐|歌)?|再来一首|另一首|别的歌|不喜欢(?:这首|这个)",
            const(parsed("next_track")),
        ),
        # ----- relative mood
        *(
            _rule(
                rf"{_B}(?:(?:a\s+(?:bit|little|lot)|much|slightly|way|even|somewhat)\s+)?(?:{words}){_E}",
                const(parsed("shift_mood", direction=d)),
            )
            for d, words in _EN_SHIFTS.items()
        ),
        _rule(
            rf"(?:更加|更|还要|再)\s*(?P<x1>{zh_shift})(?:一点儿?|一些|点儿?|些)?|(?P<x2>{zh_shift})(?:一点儿?|一些|点儿?|些)",
            shift_from(_ZH_SHIFT_WORDS),
        ),
    ]
    return tuple(rules)


RULES = _build_rules()
"""The phrase families in priority order (see ``_build_rules``)."""
