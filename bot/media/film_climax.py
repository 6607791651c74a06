"""A film's climax, and the music start that lays the track's big moment on it.

A film is cut on beats by construction, so its cuts say nothing about where the action peaks: the motion of
the pieces does. Each clip's sampled motion (``Footage.motion``) is laid on the film's timeline where its
piece plays (a photo counts as still), and ``motion_peak.motion_peak_s`` finds a clear peak. The music then
starts so that the track's strongest rise (``sync.track_peak_s``) lands on it, on a beat (a downbeat when
one is within half a beat), while the film still ends before the track does. A new start moves the pieces a
little (the cut follows the beats from it), so ``on_climax`` tries a few and keeps the one that lands closest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from bot.media.footage import SAMPLE_FPS, Footage
from bot.media.models import AudioFeatures
from bot.media.motion_peak import motion_peak_s
from bot.media.sync import track_peak_s
from bot.media.timeline import Segment, Timeline

__all__ = ["CLIMAX_TRIES", "climax_offset_s", "film_climax_s", "on_climax"]

logger = logging.getLogger(__name__)

CLIMAX_TRIES = 3
"""Plans tried to lay the music's big moment on the film's motion peak (each start moves the pieces a little)."""


def film_climax_s(footage: Mapping[str, Footage], segments: Sequence[Segment]) -> float | None:
    """Film seconds where the pieces' motion clearly peaks, or None when it is even (or there is no clip)."""
    times: list[float] = []
    motion: list[float] = []
    for segment in segments:
        sampled = footage.get(segment.source) if segment.kind == "video" else None
        if sampled is None:  # a photo (or a clip not sampled): still pictures for its whole length
            still = np.arange(segment.start_s, segment.end_s, 1.0 / SAMPLE_FPS)
            times += still.tolist()
            motion += [0.0] * still.size
            continue
        for at, value in zip(sampled.times_s, sampled.motion, strict=False):
            if segment.source_start_s < at <= segment.source_end_s:  # the first sample compares across the cut
                times.append(segment.start_s + at - segment.source_start_s)
                motion.append(value)
    if not segments:
        return None
    return motion_peak_s(times, motion, segments[-1].end_s)


def climax_offset_s(features: AudioFeatures, climax_s: float | None, length_s: float) -> float | None:
    """The track second to start the music at so its big moment lands on ``climax_s`` (film seconds), or None
    when the track has no clear rise or starting there would not cover the film."""
    peak = track_peak_s(features)
    if peak is None or climax_s is None:
        return None
    wish = peak - climax_s
    beat = 60.0 / features.bpm if features.bpm > 0 else 0.5
    downbeats = np.asarray(features.downbeat_times_s, dtype=float)
    beats = np.asarray(features.beat_times_s, dtype=float)
    if downbeats.size and float(np.min(np.abs(downbeats - wish))) <= 0.5 * beat + 1e-6:
        offset = float(downbeats[np.argmin(np.abs(downbeats - wish))])
    elif beats.size:
        offset = float(beats[np.argmin(np.abs(beats - wish))])
    else:
        offset = wish
    end = features.duration_s - max(0.0, features.trailing_silence_s)
    if offset < max(0.0, features.leading_silence_s - 0.05) or offset + length_s > end:
        return None
    if abs(peak - offset - climax_s) > beat + 1e-3:
        return None
    logger.debug("film climax at %.2f s: music from %.2f s puts its rise (%.2f s) there", climax_s, offset, peak)
    return offset


def on_climax(
    first: Timeline,
    plan_from: Callable[[float], Timeline],
    *,
    footage: Mapping[str, Footage],
    features: AudioFeatures,
    length_s: float,
) -> Timeline:
    """The film (``first``, or one ``plan_from(start)`` cuts again with the music from ``start``) whose music's
    big moment lands nearest the motion peak of the pieces it ends up with: each start moves the pieces a
    little, so a few starts are tried. ``first`` when none lands closer."""
    best, best_miss, timeline = first, _climax_miss(footage, features, first), first
    for _ in range(CLIMAX_TRIES):
        if timeline.music is None or timeline.music.start_offset_s is None:
            break
        moved = climax_offset_s(features, film_climax_s(footage, timeline.segments), length_s)
        if moved is None or abs(moved - timeline.music.start_offset_s) < 1e-3:
            break
        timeline = plan_from(moved)
        miss = _climax_miss(footage, features, timeline)
        if miss < best_miss:
            best, best_miss = timeline, miss
    return best


def _climax_miss(footage: Mapping[str, Footage], features: AudioFeatures, timeline: Timeline) -> float:
    """How far (seconds) the track's big moment lands from the film's motion peak; infinite when neither is."""
    peak, climax = track_peak_s(features), film_climax_s(footage, timeline.segments)
    if peak is None or climax is None or timeline.music is None or timeline.music.start_offset_s is None:
        return float("inf")
    return abs(peak - timeline.music.start_offset_s - climax)
