"""Lay a track under a video so that cuts land on beats.

The planner is pure: cut times and measured beat times in, a :class:`SyncPlan` out. It searches the
track's start offset exhaustively over the offsets that put some cut exactly on some beat (every
other offset can only do worse), scoring cuts within ±50 ms of a beat, downbeats counting extra.

Among the offsets that land the most cuts, two wishes choose: the track's strongest rise (a drop, a
chorus entry: the biggest step up in energy) on the clip's climax (the densest cuts, else where its motion
peaks, or a time the user pinned: "drop at 20 s"), and the track's own ending (a final chord ringing out,
not a fade) on the video's last frame. Otherwise the music ends with a short fade that starts on a bar
line, never mid-note.

When the video is longer than the track, the track loops: each repeat starts ``xfade`` before a
downbeat near the start and the previous piece fades out over the same span ending on a downbeat
near the end, so the bar grid runs on unbroken through the join (an equal-power crossfade of about
one beat).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.media.models import ENERGY_HOP_S, AudioFeatures, MusicSegment, SyncPlan

__all__ = [
    "BEAT_TOLERANCE_S",
    "DOWNBEAT_BONUS",
    "MIN_LOOP_S",
    "clip_climax_s",
    "intro_end_s",
    "natural_end_s",
    "on_timeline",
    "plan_sync",
    "track_peak_s",
]

BEAT_TOLERANCE_S = 0.05
DOWNBEAT_BONUS = 0.5
MIN_LOOP_S = 4.0
RISE_WINDOW_S = 4.0
"""A rise is judged by the mean energy of this long before and after it."""
MIN_RISE = 0.15
"""Smaller energy steps (0..1 of the normalised curve) are no drop or chorus worth aiming at."""
CLIMAX_WINDOW_S = 4.0
TAIL_FADE_MAX_S = 4.0


@dataclass(frozen=True)
class _LoopPoints:
    loop_in_s: float
    """Downbeat the repeats continue from."""
    loop_out_s: float
    """Downbeat each piece ends on."""
    xfade_s: float

    @property
    def period_s(self) -> float:
        return self.loop_out_s - self.loop_in_s


def _usable_span(track: AudioFeatures) -> tuple[float, float]:
    start = max(0.0, track.leading_silence_s)
    end = track.duration_s - max(0.0, track.trailing_silence_s)
    if end - start < 1.0:  # a near-silent or very short file: use all of it
        return 0.0, track.duration_s
    return start, end


def _beat_period(track: AudioFeatures) -> float:
    return 60.0 / track.bpm if track.bpm > 0 else 0.5


def _loop_points(track: AudioFeatures) -> _LoopPoints:
    start, end = _usable_span(track)
    xfade = float(np.clip(_beat_period(track), 0.25, 1.0))
    bars = np.asarray(track.downbeat_times_s or track.beat_times_s, dtype=float)
    ins = bars[(bars >= start + xfade)]
    outs = bars[(bars <= end - 0.02)]
    if len(ins) and len(outs) and outs[-1] - ins[0] >= MIN_LOOP_S:
        return _LoopPoints(float(ins[0]), float(outs[-1]), xfade)
    loop_in = min(start + xfade, end)
    return _LoopPoints(loop_in, max(end, loop_in + 0.5), xfade)


def _source_positions(cuts: np.ndarray, offsets: np.ndarray, loop: _LoopPoints | None) -> np.ndarray:
    """Where in the track each cut falls, for each candidate offset: shape (offsets, cuts)."""
    source = cuts[None, :] + offsets[:, None]
    if loop is None:
        return source
    first_end = loop.loop_out_s - offsets[:, None]  # timeline time where the first piece ends
    repeats = np.where(cuts[None, :] < first_end, 0, 1 + np.floor((cuts[None, :] - first_end) / loop.period_s))
    return source - repeats * loop.period_s


def _distance_to_grid(positions: np.ndarray, grid: np.ndarray) -> np.ndarray:
    if grid.size == 0:
        return np.full(positions.shape, np.inf)
    idx = np.clip(np.searchsorted(grid, positions), 1, max(1, grid.size - 1))
    left = grid[np.clip(idx - 1, 0, grid.size - 1)]
    right = grid[np.clip(idx, 0, grid.size - 1)]
    return np.minimum(np.abs(positions - left), np.abs(positions - right))


def _score(
    cuts: np.ndarray, offsets: np.ndarray, beats: np.ndarray, downbeats: np.ndarray, loop: _LoopPoints | None
) -> tuple[np.ndarray, np.ndarray]:
    positions = _source_positions(cuts, offsets, loop)
    on_beat = _distance_to_grid(positions, beats) <= BEAT_TOLERANCE_S
    on_downbeat = _distance_to_grid(positions, downbeats) <= BEAT_TOLERANCE_S
    hits = on_beat.sum(axis=1)
    return hits + DOWNBEAT_BONUS * (on_downbeat & on_beat).sum(axis=1), hits


def _segments(offset_s: float, duration_s: float, loop: _LoopPoints | None) -> tuple[MusicSegment, ...]:
    if loop is None:
        return (MusicSegment(source_start_s=offset_s, timeline_start_s=0.0, duration_s=duration_s),)
    first = loop.loop_out_s - offset_s
    if first >= duration_s:
        return (MusicSegment(source_start_s=offset_s, timeline_start_s=0.0, duration_s=duration_s),)
    pieces = [MusicSegment(source_start_s=offset_s, timeline_start_s=0.0, duration_s=first)]
    timeline_end = first
    while timeline_end < duration_s - 1e-6:
        start = timeline_end - loop.xfade_s
        length = min(loop.period_s + loop.xfade_s, duration_s - start)
        pieces.append(
            MusicSegment(
                source_start_s=loop.loop_in_s - loop.xfade_s,
                timeline_start_s=start,
                duration_s=length,
                crossfade_in_s=loop.xfade_s,
            )
        )
        timeline_end = start + length
    return tuple(pieces)


def _timeline_beats(track: AudioFeatures, segments: tuple[MusicSegment, ...]) -> tuple[float, ...]:
    return on_timeline(track.beat_times_s, segments)


def on_timeline(track_times_s: tuple[float, ...], segments: tuple[MusicSegment, ...]) -> tuple[float, ...]:
    """Track times (beats, downbeats) where they fall on the video timeline, loops included."""
    beats = np.asarray(track_times_s, dtype=float)
    out: list[float] = []
    for seg in segments:
        lo = seg.source_start_s + seg.crossfade_in_s
        hi = seg.source_start_s + seg.duration_s
        inside = beats[(beats >= lo - 1e-6) & (beats < hi)]
        out += list(inside - seg.source_start_s + seg.timeline_start_s)
    return tuple(round(float(b), 4) for b in out)


def intro_end_s(track: AudioFeatures) -> float:
    """The first downbeat once the track reaches its body (energy ≥ 60 % of its median): "skip the intro"."""
    energy = np.asarray(track.energy_curve, dtype=float)
    start, _ = _usable_span(track)
    if energy.size:
        loud = np.flatnonzero(energy >= 0.6 * float(np.median(energy)))
        start = max(start, float(loud[0]) * ENERGY_HOP_S if loud.size else start)
    later = [d for d in track.downbeat_times_s if d >= start - 0.05]
    return float(later[0]) if later else start


def track_peak_s(track: AudioFeatures) -> float | None:
    """The track's strongest rise in energy (a drop, a chorus entry), on the nearest downbeat; None if flat."""
    energy = np.asarray(track.energy_curve, dtype=float)
    span = int(RISE_WINDOW_S / ENERGY_HOP_S)
    if energy.size < 2 * span + 1:
        return None
    kernel = np.ones(span) / span
    before = np.convolve(energy, kernel, mode="valid")[: energy.size - 2 * span + 1]
    after = np.convolve(energy, kernel, mode="valid")[span:]
    rise = after - before
    k = int(np.argmax(rise))
    if rise[k] < MIN_RISE:
        return None
    at = (k + span) * ENERGY_HOP_S
    bars = np.asarray(track.downbeat_times_s, dtype=float)
    return float(bars[np.argmin(np.abs(bars - at))]) if bars.size else at


def natural_end_s(track: AudioFeatures) -> float | None:
    """Where the track ends by itself on a final chord (its energy rings out in the last seconds after a full
    body), or None for a fade-out (a long decline) or an abrupt stop (full energy to the last sample)."""
    energy = np.asarray(track.energy_curve, dtype=float)
    end = track.duration_s - max(0.0, track.trailing_silence_s)
    last = int(end / ENERGY_HOP_S)
    if last < 12 or last > energy.size:
        return None
    body = float(np.median(energy[:last]))
    tail = energy[last - 1]
    ring = energy[last - 6 : last - 1]  # the 2.5 s before the last hop
    before = energy[last - 12 : last - 6]  # 3 s before that: still the body, not a long fade
    if body <= 0 or before.mean() < 0.7 * body or ring.max() < 0.6 * body or tail > 0.5 * ring.max():
        return None
    return end


def clip_climax_s(cut_times_s: tuple[float, ...] | list[float], video_duration_s: float) -> float | None:
    """Where the cuts come thickest (the action peaks), if they clearly do; None for evenly cut clips."""
    cuts = np.asarray(sorted(cut_times_s), dtype=float)
    if cuts.size < 3 or video_duration_s < 2 * CLIMAX_WINDOW_S:
        return None
    counts = np.array([np.sum(np.abs(cuts - c) <= CLIMAX_WINDOW_S / 2) for c in cuts])
    mean = cuts.size * CLIMAX_WINDOW_S / video_duration_s
    best = int(np.argmax(counts))
    if counts[best] < 3 or counts[best] < 2.0 * mean:
        return None
    return float(np.median(cuts[np.abs(cuts - cuts[best]) <= CLIMAX_WINDOW_S / 2]))


def plan_sync(
    *,
    cut_times_s: tuple[float, ...] | list[float],
    video_duration_s: float,
    track: AudioFeatures,
    offset_s: float | None = None,
    hit_at_s: float | None = None,
    motion_peak_s: float | None = None,
) -> SyncPlan:
    """The start offset (and loops) that put the most cuts on beats, downbeats preferred.

    ``offset_s`` fixes where in the track the music starts (the user said "start at 12 s"); ``hit_at_s``
    pins where the track's strongest rise should land (else the clip's climax, when it has a clear one: the
    densest cuts, or failing those ``motion_peak_s``, where the clip's motion clearly peaks).
    """
    cuts = np.asarray([c for c in cut_times_s if 0.0 < c < video_duration_s], dtype=float)
    beats = np.asarray(track.beat_times_s, dtype=float)
    downbeats = np.asarray(track.downbeat_times_s, dtype=float)
    start, end = _usable_span(track)
    earliest = max(start, offset_s) if offset_s is not None else start
    needs_loop = video_duration_s > end - earliest + 1e-6
    loop = _loop_points(track) if needs_loop else None
    max_offset = (loop.loop_out_s - min(video_duration_s, 1.0)) if loop else end - video_duration_s
    max_offset = max(start, max_offset)

    bars = downbeats[(downbeats >= start) & (downbeats <= max_offset)]
    candidates = [np.array([start]), bars]
    if cuts.size and beats.size:
        repeats = 1 + (int(video_duration_s // loop.period_s) + 1 if loop else 0)
        for k in range(repeats):
            shift = k * loop.period_s if loop else 0.0
            candidates.append((beats[:, None] - cuts[None, :] + shift).ravel())
    offsets = np.unique(np.round(np.concatenate(candidates), 4))
    offsets = offsets[(offsets >= start - 1e-6) & (offsets <= max_offset + 1e-6)]
    if offset_s is not None:
        offsets = np.array([float(np.clip(offset_s, 0.0, max(0.0, track.duration_s - 0.5)))])
    if offsets.size == 0:
        offsets = np.array([start])

    peak = track_peak_s(track) if offset_s is None and loop is None else None
    climax = hit_at_s if hit_at_s is not None else clip_climax_s(tuple(cuts.tolist()), video_duration_s)
    climax = climax if climax is not None else motion_peak_s
    climax = climax if peak is not None else None
    natural = natural_end_s(track) if offset_s is None and loop is None else None
    wished: list[tuple[float, float]] = []  # (offset, how far from it is still the wish)
    if peak is not None and climax is not None:
        wished.append((peak - climax, _beat_period(track)))  # the moment within a beat of the climax
    if natural is not None:
        wished.append((natural - video_duration_s, 0.0))  # the ending exactly on the last frame
    wished = [(w, slack) for w, slack in wished if start - 1e-6 <= w <= max_offset + 1e-6]
    if wished:
        offsets = np.unique(np.concatenate([offsets, np.round([w for w, _ in wished], 4)]))
    if cuts.size and beats.size:
        scores, hits = _score(cuts, offsets, beats, downbeats, loop)
        # Among equals, prefer an offset on a downbeat, then the earliest (more of the intro heard).
        on_bar = _distance_to_grid(offsets, downbeats) <= BEAT_TOLERANCE_S if downbeats.size else offsets < 0
        order = np.lexsort((offsets, ~on_bar, -scores))
        best = float(offsets[order[0]])
        most = int(hits[order[0]])
        chosen = _first_wish(wished, offsets, hits, most)
        if chosen is not None:
            best = chosen
        elif offset_s is None:
            best = _centre_on_hits(best, cuts, beats, downbeats, loop, most)
    elif offset_s is not None:
        best = float(offsets[0])
    elif wished:
        best = wished[0][0]
    else:
        best = float(bars[0]) if bars.size else start
    segments = _segments(best, video_duration_s, loop)
    timeline_beats = _timeline_beats(track, segments)
    cuts_on_beat = int(_score(cuts, np.array([best]), beats, downbeats, loop)[1][0]) if cuts.size else 0

    fade_in = 0.05 if abs(best - start) < 0.05 else float(min(0.5, video_duration_s * 0.05))
    ends_naturally = natural is not None and abs(best + video_duration_s - natural) < 0.02
    fade_out = 0.05 if ends_naturally else _tail_fade_s(track, segments, video_duration_s)
    laid_peak = peak is not None and climax is not None and abs(best - (peak - climax)) <= _beat_period(track) + 1e-3
    return SyncPlan(
        segments=segments,
        video_duration_s=video_duration_s,
        fade_in_s=fade_in,
        fade_out_s=fade_out,
        music_beats_on_timeline_s=timeline_beats,
        cuts_on_beat=cuts_on_beat,
        cuts_total=int(cuts.size),
        tolerance_s=BEAT_TOLERANCE_S,
        ending="natural" if ends_naturally else "bar_fade",
        hit_at_s=round(peak - best, 3) if laid_peak and peak is not None else None,
        track_peak_s=round(peak, 3) if laid_peak and peak is not None else None,
    )


def _first_wish(wished: list[tuple[float, float]], offsets: np.ndarray, hits: np.ndarray, most: int) -> float | None:
    """The offset nearest the first wish it can meet (within its slack) that lands as many cuts as any does."""
    best = offsets[hits >= most]
    for wish, slack in wished:
        if best.size == 0:
            return None
        k = int(np.argmin(np.abs(best - wish)))
        if abs(float(best[k]) - wish) <= slack + 1e-3:
            return float(best[k])
    return None


def _tail_fade_s(track: AudioFeatures, segments: tuple[MusicSegment, ...], video_duration_s: float) -> float:
    """A fade that starts on the last bar line before the end (so it never cuts a note mid-way), or the
    usual short fade when no bar line is near."""
    usual = float(min(2.0, max(0.3, video_duration_s * 0.08)))
    bars = np.asarray(on_timeline(track.downbeat_times_s, segments))
    near = bars[(bars <= video_duration_s - 0.3) & (bars >= video_duration_s - TAIL_FADE_MAX_S)]
    if near.size == 0 or video_duration_s < 3 * TAIL_FADE_MAX_S:
        return usual
    return float(video_duration_s - near.max())


def _centre_on_hits(
    offset: float,
    cuts: np.ndarray,
    beats: np.ndarray,
    downbeats: np.ndarray,
    loop: _LoopPoints | None,
    hits: int,
) -> float:
    """Shift the offset by the median error of the landed cuts, if that loses none of them.

    Candidates put one cut exactly on a beat; centring spreads the error over all landed cuts.
    """
    positions = _source_positions(cuts, np.array([offset]), loop)[0]
    idx = np.clip(np.searchsorted(beats, positions), 1, beats.size - 1) if beats.size > 1 else None
    if idx is None:
        return offset
    left, right = beats[idx - 1], beats[idx]
    nearest = np.where(np.abs(positions - left) < np.abs(positions - right), left, right)
    err = nearest - positions
    landed = np.abs(err) <= BEAT_TOLERANCE_S
    if not landed.any():
        return offset
    shifted = offset + float(np.median(err[landed]))
    if int(_score(cuts, np.array([shifted]), beats, downbeats, loop)[1][0]) >= hits:
        return shifted
    return offset
