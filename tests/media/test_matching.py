from __future__ import annotations

import pytest

from bot.language.vocabulary import parse_mood_words
from bot.media.matching import clip_mood, rank_tracks
from bot.media.models import VideoAnalysis
from tests.media.factories import grid_features, make_track

LIBRARY = [
    make_track("calm1", grid_features(bpm=68, mode="major", moods=("calm",)), title="Calm Piano"),
    make_track("calm2", grid_features(bpm=72, mode="major", moods=("calm",)), title="Calm Electronic"),
    make_track("nost1", grid_features(bpm=80, mode="minor", moods=("nostalgic",)), title="Nostalgic Acoustic"),
    make_track("tend1", grid_features(bpm=92, mode="major", moods=("tender",)), title="Tender Acoustic"),
    make_track("happy1", grid_features(bpm=115, mode="major", moods=("happy",)), title="Happy Acoustic"),
    make_track("happy2", grid_features(bpm=123, mode="major", moods=("happy",)), title="Happy Electronic"),
    make_track("ener1", grid_features(bpm=140, mode="minor", moods=("energetic",)), title="Energetic Electronic"),
]


def video(*, cuts_per_min: float, motion: float, brightness: float, saturation: float, warmth: float = 0.0):
    duration = 30.0
    n = int(cuts_per_min * duration / 60)
    cuts = tuple(duration * (i + 1) / (n + 1) for i in range(n))
    return VideoAnalysis(
        duration_s=duration,
        cut_times_s=cuts,
        motion=motion,
        brightness=brightness,
        saturation=saturation,
        warmth=warmth,
        speech_intervals=(),
    )


FAST_BRIGHT = video(cuts_per_min=40, motion=0.6, brightness=0.7, saturation=0.6, warmth=0.3)
SLOW_DARK = video(cuts_per_min=1, motion=0.02, brightness=0.2, saturation=0.05, warmth=-0.2)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("happy", "happy"),
        ("upbeat", "happy"),
        ("energetic", "energetic"),
        ("calm", "calm"),
        ("chill", "calm"),
        ("relaxing", "calm"),
        ("sad", "nostalgic"),
        ("nostalgic", "nostalgic"),
        ("romantic", "tender"),
        ("tender", "tender"),
        ("epic", "energetic"),
        ("cinematic", "nostalgic"),
        ("dramatic", "energetic"),
        ("lo-fi", "calm"),
        ("欢快", "happy"),
        ("快乐", "happy"),
        ("动感", "energetic"),
        ("激昂", "energetic"),
        ("平静", "calm"),
        ("舒缓", "calm"),
        ("放松", "calm"),
        ("伤感", "nostalgic"),
        ("怀旧", "nostalgic"),
        ("浪漫", "tender"),
        ("温柔", "tender"),
        ("史诗", "energetic"),
        ("电影感", "nostalgic"),
    ],
)
def test_mood_words_steer_the_pick(words: str, expected: str) -> None:
    request = parse_mood_words(f"make it {words} please")
    assert request.moods[0] == expected
    result = rank_tracks(video=SLOW_DARK if expected in ("happy", "energetic") else FAST_BRIGHT, tracks=LIBRARY,
                         prompt=words)  # fmt: skip
    best = next(t for t in LIBRARY if t.id == result.best)
    assert best.moods[0] == expected, result.reasons[0]


@pytest.mark.parametrize(("style", "expected_word"), [("acoustic", "Acoustic"), ("electronic", "Electronic")])
def test_style_words_pick_the_style(style: str, expected_word: str) -> None:
    result = rank_tracks(video=FAST_BRIGHT, tracks=LIBRARY, prompt=f"happy {style}")
    best = next(t for t in LIBRARY if t.id == result.best)
    assert best.moods[0] == "happy"
    assert expected_word in best.title


def test_without_words_the_clip_decides() -> None:
    fast = rank_tracks(video=FAST_BRIGHT, tracks=LIBRARY)
    slow = rank_tracks(video=SLOW_DARK, tracks=LIBRARY)
    fast_best = next(t for t in LIBRARY if t.id == fast.best)
    slow_best = next(t for t in LIBRARY if t.id == slow.best)
    assert fast_best.moods[0] in ("energetic", "happy")
    assert slow_best.moods[0] in ("calm", "tender", "nostalgic")
    assert clip_mood(FAST_BRIGHT).arousal > clip_mood(SLOW_DARK).arousal
    assert clip_mood(FAST_BRIGHT).valence > clip_mood(SLOW_DARK).valence


def test_every_track_is_ranked_with_a_one_sentence_reason() -> None:
    result = rank_tracks(video=FAST_BRIGHT, tracks=LIBRARY, prompt="calm and warm")
    assert sorted(result.ranked) == sorted(t.id for t in LIBRARY)
    assert len(result.reasons) == len(LIBRARY)
    for reason in result.reasons:
        assert reason.endswith(".")
        assert reason.count(". ") == 0
    assert "calm" in result.reason
    assert list(result.scores) == sorted(result.scores, reverse=True)


def test_unknown_words_change_nothing() -> None:
    plain = rank_tracks(video=FAST_BRIGHT, tracks=LIBRARY)
    noise = rank_tracks(video=FAST_BRIGHT, tracks=LIBRARY, prompt="qwerty zxcv")
    assert plain.ranked == noise.ranked


def test_words_the_library_cannot_serve_are_named_with_what_was_used() -> None:
    from bot.media.matching import honest_note, request_fit

    tracks = [make_track(m, grid_features(), moods=(m,)) for m in ("calm", "energetic", "happy", "nostalgic", "tender")]
    epic = request_fit("epic", tracks)
    assert epic.unmatched_words == ("epic",) and epic.used_moods[0] == "energetic"
    note = honest_note(epic, tracks)
    assert note.startswith("No epic tracks here") and "calm, energetic, happy, nostalgic, tender" in note
    assert "史诗" in honest_note(request_fit("史诗", tracks), tracks, "zh")
    spooky = request_fit("spooky halloween night", tracks)
    # free words steer now (words16, #16): "spooky" stands in as nostalgic and is still named as not served
    assert spooky.unmatched_words == ("spooky", "halloween") and spooky.used_moods == ("nostalgic",)
    assert "spooky" in honest_note(spooky, tracks)
    assert honest_note(spooky, tracks).startswith("No spooky, halloween tracks here — I used nostalgic ones instead.")
    assert request_fit("calm and warm", tracks).unmatched_words == ()
    assert honest_note(request_fit("calm and warm", tracks), tracks) == ""
    named = [make_track("e1", grid_features(), title="Epic Sunrise", moods=("energetic",))]
    assert request_fit("epic", named).unmatched_words == (), "a track that names the word serves it"
