"""``python -m bench.free_words``: how often free words steer to the mood a person expects.

Scores the mood words alone and with the associative vocabulary on the two phrase sets of
``tests/language/free_phrases*.py`` (the first was written before the vocabulary, the second after it was
frozen), and, when ``wordllama`` is installed and ``--wordllama-cache`` names a folder holding its
``tokenizers/`` file, its static embeddings against five short mood descriptions. Prints one table; times
are of this run on this machine. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Sequence

from bot.language.vocabulary import parse_mood_words
from tests.language.free_phrases import FREE_PHRASES
from tests.language.free_phrases_later import LATER_PHRASES

__all__ = ["MOOD_DESCRIPTIONS", "main", "score"]

Phrases = Sequence[tuple[str, frozenset[str]]]
Guess = Callable[[str], str | None]

MOOD_DESCRIPTIONS = {
    "calm": "calm peaceful relaxing quiet gentle slow soothing serene 平静 安静 放松 舒缓",
    "energetic": "energetic intense powerful fast action hype adrenaline pumping 动感 激烈 燃 快",
    "happy": "happy joyful cheerful fun upbeat bright sunny playful 欢快 开心 快乐",
    "nostalgic": "nostalgic sad melancholy memories bittersweet dark lonely wistful 怀旧 伤感 悲伤 回忆",
    "tender": "tender romantic love warm affectionate intimate sweet heartfelt 温柔 浪漫 爱 温暖",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def score(guess: Guess, phrases: Phrases) -> str:
    """ "hits/total (en hits/total, zh hits/total)"."""
    rows = [(bool(_CJK.search(p)), guess(p) in expected) for p, expected in phrases]
    en = [hit for zh, hit in rows if not zh]
    zh = [hit for is_zh, hit in rows if is_zh]
    total = sum(hit for _, hit in rows)
    return f"{total}/{len(rows)} {100 * total / len(rows):.0f} % (en {sum(en)}/{len(en)}, zh {sum(zh)}/{len(zh)})"


def _first(moods: tuple[str, ...]) -> str | None:
    return moods[0] if moods else None


def _wordllama(cache: str) -> tuple[Guess, float]:
    import numpy as np
    from wordllama import WordLlama

    started = time.perf_counter()
    model = WordLlama.load(cache_dir=cache)
    loaded = time.perf_counter() - started
    moods = list(MOOD_DESCRIPTIONS)
    anchors = model.embed([MOOD_DESCRIPTIONS[m] for m in moods], norm=True)

    def guess(phrase: str) -> str:
        return moods[int(np.argmax(model.embed([phrase], norm=True) @ anchors.T))]

    return guess, loaded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.free_words")
    parser.add_argument("--wordllama-cache", metavar="DIR", help="a folder with wordllama's tokenizers/ file")
    args = parser.parse_args(argv)
    guesses: dict[str, Guess] = {
        "mood words alone": lambda p: _first(parse_mood_words(p, associations=False).moods),
        "mood words + associations": lambda p: _first(parse_mood_words(p).moods),
    }
    if args.wordllama_cache:
        wordllama, loaded = _wordllama(args.wordllama_cache)
        print(f"wordllama loaded in {loaded:.2f} s")
        guesses["wordllama"] = wordllama
        guesses["associations, wordllama for misses"] = lambda p: _first(parse_mood_words(p).moods) or wordllama(p)
    print(f"| | written first ({len(FREE_PHRASES)}) | written after ({len(LATER_PHRASES)}) | ms a phrase |")
    print("|---|---|---|---|")
    everything = [p for p, _ in (*FREE_PHRASES, *LATER_PHRASES)]
    for name, guess in guesses.items():
        started = time.perf_counter()
        for phrase in everything:
            guess(phrase)
        each_ms = 1000 * (time.perf_counter() - started) / len(everything)
        print(f"| {name} | {score(guess, FREE_PHRASES)} | {score(guess, LATER_PHRASES)} | {each_ms:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
