"""Free words people put under a clip, with the mood(s) of the library's five a person would expect.

Written before the associative vocabulary (``bot/language/associations.py``) as its yardstick: most phrases use
no word of the core vocabulary. The library has calm, energetic, happy, nostalgic and tender tracks, so
"spooky" expects nostalgic (the slow minor one) and a phrase that fits two moods accepts either.
"""

from __future__ import annotations

__all__ = ["FREE_PHRASES"]

_C, _E, _H, _N, _T = "calm", "energetic", "happy", "nostalgic", "tender"

FREE_PHRASES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (phrase, frozenset(moods))
    for phrase, moods in (
        # English
        ("spooky", (_N,)),
        ("triumphant", (_E, _H)),
        ("wedding dance", (_T, _H)),
        ("workout", (_E,)),
        ("cozy rainy café", (_C, _N)),
        ("spooky halloween night", (_N,)),
        ("gym pump", (_E,)),
        ("road trip with friends", (_H, _E)),
        ("sunset on the beach", (_C, _T)),
        ("rainy day blues", (_N,)),
        ("baby's first steps", (_T, _H)),
        ("birthday party", (_H, _E)),
        ("meditation and yoga", (_C,)),
        ("car chase", (_E,)),
        ("heartbreak", (_N,)),
        ("old family photos", (_N,)),
        ("first date", (_T,)),
        ("graduation day", (_H, _N)),
        ("skateboarding tricks", (_E,)),
        ("puppy playing in the garden", (_H,)),
        ("sleepy sunday morning", (_C,)),
        ("goodbye to an old friend", (_N,)),
        ("lazy afternoon", (_C,)),
        ("christmas morning with family", (_H, _T)),
        ("extreme sports montage", (_E,)),
        ("our anniversary", (_T,)),
        ("lonely city at night", (_N,)),
        ("summer vacation", (_H,)),
        ("funeral", (_N,)),
        ("snowy forest", (_C,)),
        ("victory celebration", (_E, _H)),
        ("candlelight dinner", (_T,)),
        ("childhood memories", (_N,)),
        ("mountain sunrise timelapse", (_C,)),
        ("dance battle", (_E,)),
        ("newborn baby", (_T,)),
        ("autumn leaves falling", (_N, _C)),
        ("motivational", (_E,)),
        ("sunny picnic", (_H,)),
        ("spa day", (_C,)),
        # Chinese
        ("恐怖", (_N,)),
        ("胜利", (_E, _H)),
        ("婚礼", (_T, _H)),
        ("健身", (_E,)),
        ("下雨天的咖啡馆", (_C, _N)),
        ("毕业", (_N, _H)),
        ("旅行", (_H, _E)),
        ("海边日落", (_C, _T)),
        ("失恋", (_N,)),
        ("宝宝", (_T, _H)),
        ("生日派对", (_H, _E)),
        ("冥想", (_C,)),
        ("追车", (_E,)),
        ("老照片", (_N,)),
        ("约会", (_T,)),
        ("滑板", (_E,)),
        ("小狗", (_H,)),
        ("周末早晨", (_C,)),
        ("告别", (_N,)),
        ("慵懒的下午", (_C,)),
        ("过年", (_H,)),
        ("极限运动", (_E,)),
        ("纪念日", (_T,)),
        ("深夜的城市", (_N, _C)),
        ("暑假", (_H,)),
        ("雪景", (_C,)),
        ("烛光晚餐", (_T,)),
        ("童年", (_N,)),
        ("跳舞", (_E, _H)),
        ("励志", (_E,)),
        ("野餐", (_H,)),
        ("治愈", (_C, _T)),
        ("赛车", (_E,)),
        ("思念", (_N, _T)),
        ("秋天落叶", (_N, _C)),
    )
)
