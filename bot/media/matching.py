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

from bot.language import has_phrase, say
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
    "rank_tracks",
    "reason_for",
    "request_fit",
    "song_reason",
    "track_coordinates",
    "track_moods",
    "with_honest_words",
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


def _describe_clip(video: VideoAnalysis, lang: str) -> str:
    cpm = video.cuts_per_minute
    pace = "match_pace_fast" if cpm >= 20 else "match_pace_steady" if cpm >= 6 else "match_pace_long"
    motion = (
        "match_motion_lots"
        if video.motion > 0.35
        else "match_motion_little"
        if video.motion < 0.12
        else "match_motion_some"
    )
    bright = video.brightness > 0.5 and video.saturation > 0.3
    dark = video.brightness < 0.35 or video.saturation < 0.12
    colours = "match_colours_bright" if bright else "match_colours_dark" if dark else "match_colours_balanced"
    return say("match_clip", lang, pace=say(pace, lang), motion=say(motion, lang), colours=say(colours, lang))


def _mood_name(mood: str, lang: str) -> str:
    """A mood as the user reads it (an unknown tag as it is written)."""
    key = f"mood_{mood}"
    return say(key, lang) if has_phrase(key) else mood


def _reason(
    track: Track,
    request: MoodRequest,
    video: VideoAnalysis,
    cuts_on_beat: int,
    cuts_total: int,
    lang: str,
) -> str:
    """One sentence on why the track fits, in the user's language (the templates are phrases)."""
    moods = [_mood_name(mood, lang) for mood in track_moods(track)[:2]]
    if len(moods) == 2:
        feel = say("match_feel_two", lang, first=moods[0], second=moods[1])
    else:
        feel = moods[0] if moods else say("match_feel_neutral", lang)
    key = f"{track.features.key} {track.features.mode}"
    head = say("match_track", lang, title=track.title, feel=feel, bpm=track.bpm, key=key)
    if not request.empty:
        why = say("match_for_request", lang, words=", ".join(request.words[:4]))
    else:
        why = say("match_for_clip", lang, clip=_describe_clip(video, lang))
    if cuts_total:
        return say("match_reason_with_cuts", lang, track=head, why=why, on_beat=cuts_on_beat, total=cuts_total)
    return say("match_reason", lang, track=head, why=why)


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
        reason = _reason(track, request, video, plan.cuts_on_beat, plan.cuts_total, lang)
        rows.append((score, track.id, reason))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return MatchResult(
        ranked=tuple(r[1] for r in rows),
        scores=tuple(round(r[0], 4) for r in rows),
        reasons=tuple(r[2] for r in rows),
        requested_moods=request.moods,
    )


def reason_for(track: Track, *, video: VideoAnalysis, prompt: str | None = None, lang: str = "en") -> str:
    """The sentence ``rank_tracks`` would give ``track`` for this clip and request, for one track only
    (a track taken by hand, or the next one of a stored ranking)."""
    request = parse_mood_words(prompt)
    plan = plan_sync(cut_times_s=video.cut_times_s, video_duration_s=video.duration_s, track=track.features)
    return _reason(track, request, video, plan.cuts_on_beat, plan.cuts_total, lang)


def song_reason(track: Track, *, video: VideoAnalysis, lang: str = "en") -> str:
    """Why a song the user chose is used: it is theirs, with its tempo and how its beats meet the cuts."""
    plan = plan_sync(cut_times_s=video.cut_times_s, video_duration_s=video.duration_s, track=track.features)
    return say("song_reason", lang, title=track.title, bpm=track.bpm, on_beat=plan.cuts_on_beat, total=plan.cuts_total)


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
    if not fit.unmatched_words:
        return ""
    have = sorted({mood for track in tracks for mood in track_moods(track) if mood in MOOD_COORDINATES})
    separator = say("timeline_list_separator", lang)
    moods_text = separator.join(_mood_name(mood, lang) for mood in have)
    words = separator.join(fit.unmatched_words)
    names = [_mood_name(mood, lang) for mood in fit.used_moods[:2]] or list(fit.used_styles[:1])
    if names:
        used = say("match_feel_two", lang, first=names[0], second=names[1]) if len(names) == 2 else names[0]
        return say("match_stand_in", lang, words=words, used=used, moods=moods_text)
    return say("match_unknown_words", lang, words=words, moods=moods_text)


def with_honest_words(music: MusicTrack, prompt: str | None, tracks: Sequence[Track]) -> MusicTrack:
    """The pick with the request's words the library could not serve named after its reason."""
    fit = request_fit(prompt, tracks)
    note = honest_note(fit, tracks)
    return replace(music, reason=f"{music.reason} {note}".strip(), unmatched=fit.unmatched_words)
