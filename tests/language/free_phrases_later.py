"""A second set of free phrases, written after ``bot/language/associations.py`` was frozen and not used to change
it: the associative vocabulary's figure on words it was not written against (README "Free words")."""

from __future__ import annotations

__all__ = ["LATER_PHRASES"]

_C, _E, _H, _N, _T = "calm", "energetic", "happy", "nostalgic", "tender"

LATER_PHRASES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (phrase, frozenset(moods))
    for phrase, moods in (
        ("haunted house tour", (_N,)),
        ("morning jog by the river", (_E,)),
        ("cat video", (_H,)),
        ("proposing to my girlfriend", (_T,)),
        ("boxing training montage", (_E,)),
        ("farewell party at the office", (_N, _H)),
        ("lazy sunday brunch", (_C, _H)),
        ("thunderstorm", (_N, _E)),
        ("kids opening presents", (_H,)),
        ("memorial video for grandpa", (_N,)),
        ("surfing in bali", (_E, _H)),
        ("quiet library study session", (_C,)),
        ("wedding highlights", (_T, _H)),
        ("late night drive", (_N, _C)),
        ("basketball highlights", (_E,)),
        ("cherry blossom walk", (_C, _H)),
        ("our baby's first birthday", (_H, _T)),
        ("rainy window", (_C, _N)),
        ("horror movie trailer", (_N,)),
        ("beach volleyball with friends", (_H, _E)),
        ("周末去爬山", (_H, _E)),
        ("猫咪睡觉", (_C, _H)),
        ("奶奶的生日", (_H, _T)),
        ("失眠的夜晚", (_N, _C)),
        ("下班回家路上", (_C, _N)),
        ("篮球比赛集锦", (_E,)),
        ("海边散步", (_C,)),
        ("情侣旅行", (_T, _H)),
        ("鬼故事", (_N,)),
        ("新年烟花", (_H, _E)),
        ("老街", (_N,)),
        ("宝宝学走路", (_T, _H)),
        ("拳击训练", (_E,)),
        ("雨中漫步", (_C, _N)),
        ("毕业旅行", (_H, _N)),
        ("婚纱照", (_T,)),
        ("夜跑", (_E,)),
        ("看日出", (_C,)),
        ("送别老朋友", (_N,)),
        ("周年纪念", (_T,)),
    )
)
