"""Rank every library track for a clip and a request.

Score = words (when the request names moods or styles, they dominate) + how close the track's mood
sits to the clip's in (arousal, valence) space + the share of cuts its beats can catch (a real sync
plan per track, cheap: a few ms each) + a small bonus when it covers the clip without looping.
Every ranked track keeps a one-sentence reason, so "another track" is instant and explained; its words
are phrases of :mod:`bot.language` (``match_*``), so the reason can be given in the user's language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.language.reasons import PickReason, honest_sentence, word_reason
from bot.language.vocabulary import MOOD_COORDINATES, MoodRequest, canonical_mood, parse_mood_words
from bot.media.models import MatchResult, Track, VideoAnalysis
from bot.media.sync import plan_sync
from bot.media.timeline import MusicTrack

__all__ = [
    "CLIP_WEIGHT",
    "LENGTH_WEIGHT",
    "STYLE_BONUS",
    "SYNC_WEIGHT",
    "WORD_WEIGHT",
    "ClipMood",
    "RequestFit",
    "clip_mood",
    "honest_note",
    "pick_reason",
    "rank_tracks",
    "reason_for",
    "request_fit",
    "song_pick_reason",
    "song_reason",
    "track_coordinates",
    "track_moods",
    "with_honest_words",
    "with_pick_reason",
]

WORD_WEIGHT = 3.0
CLIP_WEIGHT = 2.0
SYNC_WEIGHT = 0.7
"""Mood fit outweighs sync: a tender track whose beats catch every cut still feels wrong under a fast,
bright montage, while a fitting track that catches 3 of 5 cuts sounds right."""
LENGTH_WEIGHT = 0.3
STYLE_BONUS = 0.6


@dataclass(frozen=True)
class ClipMood:
    arousal: float
    valence: float


def clip_mood(video: VideoAnalysis) -> ClipMood:
    """Fast cuts, motion and brightness raise arousal; bright, saturated, warm pictures raise valence."""
    pace = min(1.0, video.cuts_per_minute / 20.0)
    arousal = 0.55 * pace + 0.3 * min(1.0, video.motion * 2.0) + 0.15 * video.brightness
    valence = 0.4 * video.brightness + 0.4 * min(1.0, video.saturation * 1.6) + 0.2 * (video.warmth + 1) / 2
    return ClipMood(float(np.clip(arousal, 0, 1)), float(np.clip(valence, 0, 1)))


def track_moods(track: Track) -> tuple[str, ...]:
    found = [canonical_mood(m) for m in track.moods]
    moods = tuple(dict.fromkeys(m for m in found if m))
    return moods or track.features.audio_moods


def track_coordinates(track: Track) -> tuple[float, float]:
    """(arousal, valence) of a track: its moods' places, nudged by tempo and mode."""
    moods = [m for m in track_moods(track) if m in MOOD_COORDINATES]
    if moods:
        weights = [1.0, 0.5][: len(moods)]
        arousal = sum(w * MOOD_COORDINATES[m][0] for w, m in zip(weights, moods, strict=False)) / sum(weights)
        valence = sum(w * MOOD_COORDINATES[m][1] for w, m in zip(weights, moods, strict=False)) / sum(weights)
    else:
        arousal, valence = 0.5, 0.5
    tempo_arousal = float(np.clip((track.bpm - 60.0) / 90.0, 0.0, 1.0))
    arousal = 0.6 * arousal + 0.4 * tempo_arousal
    valence = float(np.clip(valence + (0.1 if track.features.mode == "major" else -0.1), 0, 1))
    return arousal, valence


def _word_score(track: Track, request: MoodRequest, coords: tuple[float, float]) -> float:
    if request.empty:
        return 0.0
    moods = track_moods(track)
    total = 0.0
    weight_sum = 0.0
    for mood, weight in zip(request.moods, request.weights, strict=True):
        weight_sum += weight
        if moods and moods[0] == mood:
            total += weight
        elif mood in moods:
            total += 0.6 * weight
        else:
            target = MOOD_COORDINATES[mood]
            total += 0.4 * weight * max(0.0, 1.0 - math.dist(target, coords) / 0.6)
    score = total / weight_sum if weight_sum else 0.0
    if request.styles:
        text = " ".join(filter(None, (track.tags.genre, track.tags.title, track.path))).lower()
        if any(style in text for style in request.styles):
            score += STYLE_BONUS
    return score


def _clip_look(video: VideoAnalysis) -> tuple[str, str, str]:
    """What the clip looks like, in the words :class:`PickReason` keeps (pace, motion, colours)."""
    cpm = video.cuts_per_minute
    pace = "fast" if cpm >= 20 else "steady" if cpm >= 6 else "long"
    motion = "lots" if video.motion > 0.35 else "little" if video.motion < 0.12 else "some"
    bright = video.brightness > 0.5 and video.saturation > 0.3
    dark = video.brightness < 0.35 or video.saturation < 0.12
    colours = "bright" if bright else "dark" if dark else "balanced"
    return pace, motion, colours


def _pick_reason(
    track: Track, request: MoodRequest, video: VideoAnalysis, cuts_on_beat: int, cuts_total: int
) -> PickReason:
    """Why the track fits, as values (worded by :func:`bot.language.reasons.word_reason`)."""
    pace, motion, colours = _clip_look(video) if request.empty else ("", "", "")
    return PickReason(
        title=track.title,
        bpm=track.bpm,
        key=track.features.key,
        mode=track.features.mode,
        moods=track_moods(track)[:2],
        request_words=request.words[:4],
        cuts_on_beat=cuts_on_beat,
        cuts_total=cuts_total,
        clip_pace=pace,
        clip_motion=motion,
        clip_colours=colours,
    )


def rank_tracks(
    *,
    video: VideoAnalysis,
    tracks: Sequence[Track],
    prompt: str | None = None,
    lang: str = "en",
) -> MatchResult:
    """Every track, best first, with scores and reasons (worded in ``lang``)."""
    request = parse_mood_words(prompt)
    mood = clip_mood(video)
    rows: list[tuple[float, str, str]] = []
    for track in tracks:
        coords = track_coordinates(track)
        words = _word_score(track, request, coords)
        clip_fit = 1.0 - math.dist((mood.arousal, mood.valence), coords) / math.sqrt(2)
        plan = plan_sync(cut_times_s=video.cut_times_s, video_duration_s=video.duration_s, track=track.features)
        sync = plan.cuts_on_beat_ratio if plan.cuts_total >= 2 else 0.5
        covers = 1.0 if plan.loops == 0 else 0.5
        score = WORD_WEIGHT * words + CLIP_WEIGHT * clip_fit + SYNC_WEIGHT * sync + LENGTH_WEIGHT * covers
        reason = _pick_reason(track, request, video, plan.cuts_on_beat, plan.cuts_total)
        rows.append((score, track.id, word_reason(reason, lang)))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return MatchResult(
        ranked=tuple(r[1] for r in rows),
        scores=tuple(round(r[0], 4) for r in rows),
        reasons=tuple(r[2] for r in rows),
        requested_moods=request.moods,
    )


def pick_reason(track: Track, *, video: VideoAnalysis, prompt: str | None = None) -> PickReason:
    """Why ``rank_tracks`` would say ``track`` fits this clip and request, as values, for one track only
    (the pick, a track taken by hand, or the next one of a stored ranking)."""
    request = parse_mood_words(prompt)
    plan = plan_sync(cut_times_s=video.cut_times_s, video_duration_s=video.duration_s, track=track.features)
    return _pick_reason(track, request, video, plan.cuts_on_beat, plan.cuts_total)


def song_pick_reason(track: Track, *, video: VideoAnalysis) -> PickReason:
    """Why a song the user chose is used: it is theirs, with its tempo and how its beats meet the cuts."""
    plan = plan_sync(cut_times_s=video.cut_times_s, video_duration_s=video.duration_s, track=track.features)
    return PickReason(
        title=track.title, bpm=track.bpm, own_song=True, cuts_on_beat=plan.cuts_on_beat, cuts_total=plan.cuts_total
    )


def reason_for(track: Track, *, video: VideoAnalysis, prompt: str | None = None, lang: str = "en") -> str:
    """:func:`pick_reason` worded in ``lang`` (the sentence ``rank_tracks`` gives ``track``)."""
    return word_reason(pick_reason(track, video=video, prompt=prompt), lang)


def song_reason(track: Track, *, video: VideoAnalysis, lang: str = "en") -> str:
    """:func:`song_pick_reason` worded in ``lang``."""
    return word_reason(song_pick_reason(track, video=video), lang)


_CONTENT_WORD = re.compile(r"[a-z]{3,}|[\u3400-\u9fff]{2,}")
_NOT_A_MOOD = frozenset(
    {"the", "and", "for", "with", "music", "song", "songs", "track", "video", "clip", "clips", "montage", "film",
     "movie", "some", "please", "make", "want", "like", "something", "background", "bgm", "second", "seconds",
     "minute", "minutes", "vertical", "square", "landscape", "title", "one", "more", "less", "very", "really",
     "音乐", "歌曲", "视频", "背景音乐", "配乐", "一个", "一下", "一点"}
)  # fmt: skip


@dataclass(frozen=True)
class RequestFit:
    """How far the library can serve a request's words, said plainly to the user."""

    unmatched_words: tuple[str, ...]
    """Words the library has no tracks for as such (a stand-in was used), or words that are no mood at all."""
    used_moods: tuple[str, ...]
    """The moods the pick was steered by instead."""
    used_styles: tuple[str, ...] = ()


def request_fit(prompt: str | None, tracks: Sequence[Track]) -> RequestFit:
    """Which of the request's words the library serves, and which it only approximates or does not know."""
    request = parse_mood_words(prompt)
    library_text = " ".join(
        " ".join(filter(None, (t.title, t.tags.genre, " ".join(track_moods(t)), t.path))) for t in tracks
    ).lower()
    unmatched = [word for word in request.stand_ins if word not in library_text]
    if prompt and not request.words:  # nothing known: say which words did not steer
        unmatched += [w for w in _CONTENT_WORD.findall(prompt.lower()) if w not in _NOT_A_MOOD][:4]
    return RequestFit(
        unmatched_words=tuple(dict.fromkeys(unmatched)), used_moods=request.moods, used_styles=request.styles
    )


def honest_note(fit: RequestFit, tracks: Sequence[Track], lang: str = "en") -> str:
    """One sentence naming what the library could not serve, what was used instead and what it has; "" if all
    words were served."""
    return honest_sentence(_with_fit(PickReason(title="", bpm=0.0), fit, tracks), lang)


def _with_fit(reason: PickReason, fit: RequestFit, tracks: Sequence[Track]) -> PickReason:
    """``reason`` with the request's unserved words, what stood in for them and the moods the library has."""
    have = sorted({mood for track in tracks for mood in track_moods(track) if mood in MOOD_COORDINATES})
    return replace(
        reason,
        unmatched_words=fit.unmatched_words,
        used_moods=fit.used_moods,
        used_style=fit.used_styles[0] if fit.used_styles else "",
        library_moods=tuple(have),
    )


def with_pick_reason(music: MusicTrack, why: PickReason) -> MusicTrack:
    """The pick with its reason as values (``why``) and, for whoever reads the timeline itself, in English."""
    return replace(music, why=why, reason=word_reason(why))


def with_honest_words(music: MusicTrack, prompt: str | None, tracks: Sequence[Track]) -> MusicTrack:
    """The pick with the request's words the library could not serve named after its reason."""
    fit = request_fit(prompt, tracks)
    if music.why is None:  # a pick made before reasons were kept as values
        note = honest_note(fit, tracks)
        return replace(music, reason=f"{music.reason} {note}".strip(), unmatched=fit.unmatched_words)
    if not fit.unmatched_words:
        return replace(music, unmatched=())
    return replace(with_pick_reason(music, _with_fit(music.why, fit, tracks)), unmatched=fit.unmatched_words)
