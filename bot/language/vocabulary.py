"""Words people use for music, in English and Chinese, mapped onto the library's mood space.

Each word names one or more canonical moods (the starter pack's five folders) and, for genre words,
a style that is looked for in a track's genre, title or folder. Matching is by whole word for Latin
scripts and by substring for Chinese, which has no spaces. Words that name no mood but an occasion, place
or activity ("workout", "婚礼") are read after these, from ``associations.py``.

It lives with the language because it is words: the matcher and the instruction parser read it, and a
new language adds its words here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.language.associations import find_associations

__all__ = ["MOOD_COORDINATES", "MoodRequest", "WordMeaning", "canonical_mood", "parse_mood_words"]

# Where each canonical mood sits: (arousal, valence), both 0..1. Ordered as the pack measures in BPM:
# calm < nostalgic < tender < happy < energetic; valence from mode (calm/tender/happy are major).
MOOD_COORDINATES: dict[str, tuple[float, float]] = {
    "calm": (0.10, 0.60),
    "nostalgic": (0.35, 0.25),
    "tender": (0.45, 0.75),
    "happy": (0.70, 0.90),
    "energetic": (0.95, 0.45),
}


@dataclass(frozen=True)
class WordMeaning:
    """What one word asks for: canonical moods (strongest first) and an optional style.

    ``stand_in``: the moods are only the nearest the five-mood library has for something it does not
    have as such ("epic", "cinematic", "piano"); the reply then says so, unless a track names the word."""

    moods: tuple[str, ...] = ()
    style: str | None = None
    stand_in: bool = False


_ENGLISH: dict[str, WordMeaning] = {
    "happy": WordMeaning(("happy",)),
    "joyful": WordMeaning(("happy",)),
    "cheerful": WordMeaning(("happy",)),
    "fun": WordMeaning(("happy",)),
    "upbeat": WordMeaning(("happy", "energetic")),
    "bright": WordMeaning(("happy",)),
    "energetic": WordMeaning(("energetic",)),
    "energy": WordMeaning(("energetic",)),
    "hype": WordMeaning(("energetic",)),
    "intense": WordMeaning(("energetic",)),
    "powerful": WordMeaning(("energetic",)),
    "fast": WordMeaning(("energetic",)),
    "action": WordMeaning(("energetic",)),
    "sport": WordMeaning(("energetic",)),
    "sports": WordMeaning(("energetic",)),
    "workout": WordMeaning(("energetic",)),
    "party": WordMeaning(("energetic", "happy")),
    "dance": WordMeaning(("energetic", "happy")),
    "calm": WordMeaning(("calm",)),
    "chill": WordMeaning(("calm",)),
    "chilled": WordMeaning(("calm",)),
    "relaxing": WordMeaning(("calm",)),
    "relaxed": WordMeaning(("calm",)),
    "relax": WordMeaning(("calm",)),
    "peaceful": WordMeaning(("calm",)),
    "slow": WordMeaning(("calm",)),
    "ambient": WordMeaning(("calm",)),
    "quiet": WordMeaning(("calm",)),
    "soft": WordMeaning(("calm", "tender")),
    "sad": WordMeaning(("nostalgic",)),
    "melancholy": WordMeaning(("nostalgic",)),
    "melancholic": WordMeaning(("nostalgic",)),
    "nostalgic": WordMeaning(("nostalgic",)),
    "nostalgia": WordMeaning(("nostalgic",)),
    "memories": WordMeaning(("nostalgic", "tender")),
    "emotional": WordMeaning(("nostalgic", "tender")),
    "romantic": WordMeaning(("tender",)),
    "love": WordMeaning(("tender",)),
    "tender": WordMeaning(("tender",)),
    "warm": WordMeaning(("tender",)),
    "gentle": WordMeaning(("tender",)),
    "wedding": WordMeaning(("tender", "happy")),
    "epic": WordMeaning(("energetic", "nostalgic"), stand_in=True),
    "cinematic": WordMeaning(("nostalgic", "energetic"), stand_in=True),
    "dramatic": WordMeaning(("energetic", "nostalgic"), stand_in=True),
    "travel": WordMeaning(("happy", "energetic")),
    "lofi": WordMeaning(("calm", "nostalgic"), style="electronic"),
    "lo-fi": WordMeaning(("calm", "nostalgic"), style="electronic"),
    "acoustic": WordMeaning(style="acoustic"),
    "guitar": WordMeaning(style="acoustic", stand_in=True),
    "piano": WordMeaning(style="acoustic", stand_in=True),
    "electronic": WordMeaning(style="electronic"),
    "edm": WordMeaning(("energetic",), style="electronic"),
    "synth": WordMeaning(style="electronic"),
}

_CHINESE: dict[str, WordMeaning] = {
    "欢快": WordMeaning(("happy",)),
    "快乐": WordMeaning(("happy",)),
    "开心": WordMeaning(("happy",)),
    "愉快": WordMeaning(("happy",)),
    "动感": WordMeaning(("energetic",)),
    "激昂": WordMeaning(("energetic",)),
    "燃": WordMeaning(("energetic",)),
    "活力": WordMeaning(("energetic",)),
    "平静": WordMeaning(("calm",)),
    "舒缓": WordMeaning(("calm",)),
    "放松": WordMeaning(("calm",)),
    "安静": WordMeaning(("calm",)),
    "轻松": WordMeaning(("calm",)),
    "伤感": WordMeaning(("nostalgic",)),
    "悲伤": WordMeaning(("nostalgic",)),
    "怀旧": WordMeaning(("nostalgic",)),
    "回忆": WordMeaning(("nostalgic", "tender")),
    "浪漫": WordMeaning(("tender",)),
    "温柔": WordMeaning(("tender",)),
    "温馨": WordMeaning(("tender",)),
    "温暖": WordMeaning(("tender",)),
    "史诗": WordMeaning(("energetic", "nostalgic"), stand_in=True),
    "电影感": WordMeaning(("nostalgic", "energetic"), stand_in=True),
    "大气": WordMeaning(("energetic", "nostalgic"), stand_in=True),
    "原声": WordMeaning(style="acoustic"),
    "吉他": WordMeaning(style="acoustic", stand_in=True),
    "钢琴": WordMeaning(style="acoustic", stand_in=True),
    "电子": WordMeaning(style="electronic"),
}

_WORD_RE = re.compile(r"[a-z][a-z\-]*")


@dataclass(frozen=True)
class MoodRequest:
    """What a request's words ask for: moods (best first, weights) and an optional style."""

    moods: tuple[str, ...]
    weights: tuple[float, ...]
    styles: tuple[str, ...]
    words: tuple[str, ...]
    stand_ins: tuple[str, ...] = ()
    """Words of ``words`` whose moods only stand in for what was asked ("epic" → energetic)."""

    @property
    def empty(self) -> bool:
        return not self.moods and not self.styles


def parse_mood_words(text: str | None, *, associations: bool = True) -> MoodRequest:
    """Find the mood and style words in free text (English and Chinese), then (``associations``) the words that
    say a mood without naming one ("workout", "婚礼")."""
    if not text:
        return MoodRequest((), (), (), ())
    lowered = text.lower()
    found: list[tuple[int, str, WordMeaning]] = []
    taken: list[tuple[int, int]] = []
    for match in _WORD_RE.finditer(lowered):
        word = match.group(0).strip("-")
        meaning = _ENGLISH.get(word) or _ENGLISH.get(word.replace("-", ""))
        if meaning:
            found.append((match.start(), word, meaning))
            taken.append(match.span())
    for word, meaning in _CHINESE.items():
        start = lowered.find(word)
        # "电影感" contains no shorter key, but "燃" could sit inside longer words: accept it anyway,
        # it only ever means "fired up" in a music request.
        if start >= 0:
            found.append((start, word, meaning))
            taken.append((start, start + len(word)))
    for start, word, (moods, stand_in) in find_associations(lowered, taken) if associations else ():
        found.append((start, word, WordMeaning(moods, stand_in=stand_in)))
    found.sort(key=lambda item: item[0])
    weights: dict[str, float] = {}
    styles: list[str] = []
    for _, _, meaning in found:
        for rank, mood in enumerate(meaning.moods):
            weights[mood] = weights.get(mood, 0.0) + (1.0 if rank == 0 else 0.5)
        if meaning.style and meaning.style not in styles:
            styles.append(meaning.style)
    ordered = sorted(weights, key=lambda m: -weights[m])
    return MoodRequest(
        moods=tuple(ordered),
        weights=tuple(weights[m] for m in ordered),
        styles=tuple(styles),
        words=tuple(w for _, w, _ in found),
        stand_ins=tuple(dict.fromkeys(w for _, w, meaning in found if meaning.stand_in)),
    )


def canonical_mood(tag: str) -> str | None:
    """The canonical mood a single tag (folder name, MOOD tag) stands for, if any."""
    key = tag.strip().lower().replace("_", " ")
    if key in MOOD_COORDINATES:
        return key
    request = parse_mood_words(key)
    return request.moods[0] if request.moods else None
