"""Many clips and photos, one film cut on the music's beats: analysing the inputs and planning the cut.

Music first: the film's track is ranked once from all the items together (and the words), then the
film is cut on that track's measured beats. Each item gets a share of the length by how much usable
footage it has (a photo counts as a couple of bars), at least one beat, and every boundary between
segments is a beat of the grid — a downbeat where one is within a beat, so phrases start on bars — so
every cut is on a beat by construction. The film ends on a bar line. From each clip the stretch with
the most steady, sharp motion inside one shot is taken (``footage.best_stretch``), never across the clip's
own cuts nor over blurred or shaky parts. A clip cropped to the film's shape has its window follow the
subject (``MontageAnalysis.crop_paths``, from the saliency sampled with the footage).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.errors import InputRejected
from bot.language.vocabulary import parse_mood_words
from bot.media import cancel
from bot.media.audio_io import decode_audio
from bot.media.edits import SetAspect, SetLength, SetMaxHeight, SetOriginalAudio
from bot.media.faces import add_faces, steady_faces
from bot.media.film_climax import on_climax
from bot.media.footage import Footage, best_stretch
from bot.media.instructions import parse_instruction
from bot.media.items import Item, probe_item
from bot.media.library import Library
from bot.media.matching import pick_reason, rank_tracks, with_honest_words, with_pick_reason
from bot.media.models import AudioFeatures, Track, VideoAnalysis
from bot.media.montage_footage import sample_clips
from bot.media.montage_render import FILM_FPS, film_fps
from bot.media.reframe import CropPath, path_from_profile
from bot.media.speech import detect_speech
from bot.media.sync import intro_end_s, on_timeline, plan_sync
from bot.media.timeline import PHOTO_MOVES, MusicTrack, OutputSettings, Segment, Timeline, VideoTrack
from bot.media.track_grid import beat_grid

__all__ = [
    "DEFAULT_LENGTH_S",
    "PHOTO_ALONE_S",
    "FilmWishes",
    "MontageAnalysis",
    "Skipped",
    "analyse_items",
    "common_fps",
    "film_length",
    "film_wishes",
    "first_montage",
    "montage_sound",
    "plan_montage",
    "plan_segments",
]

logger = logging.getLogger(__name__)

DEFAULT_LENGTH_S = 60.0
"""A film's length when none is asked: the usable footage, up to this."""
PHOTO_SHARE_S = 4.0
"""How much "usable footage" a photo counts as when lengths are shared out."""
PHOTO_MAX_S = 8.0
PHOTO_ALONE_S = 8.0
"""A photo sent alone becomes a film this long unless another length is asked."""
LONE_PHOTO_MAX_S = 600.0
"""A photo alone carries the whole film, however long it is asked to be."""
MIN_FILM_S = 2.0


@dataclass(frozen=True)
class Skipped:
    """An input left out of the film, and why (said to the user)."""

    source: str
    reason: str
    """In English (logs, the command line's JSON)."""
    key: str = ""
    """The phrase of ``reason`` and its values, to word it in the user's language."""
    values: dict[str, object] = field(default_factory=dict)

    def in_language(self, lang: str) -> str:
        return InputRejected(self.key, **self.values).in_language(lang) if self.key else self.reason


@dataclass(frozen=True)
class MontageAnalysis:
    """Every usable input with what sampling it found (made once; every re-plan and render reuses it)."""

    items: tuple[Item, ...]
    footage: dict[str, Footage]
    """Per video item's path."""
    skipped: tuple[Skipped, ...] = ()
    stage_times_s: dict[str, float] = field(default_factory=dict)

    def smaller_photos(self, segments: Sequence[Segment], frame_short_side: int) -> tuple[str, ...]:
        """Photos among ``segments`` whose short side is under the film's (they are shown enlarged)."""
        photos = {item.path: item for item in self.items if item.kind == "photo"}
        small = [
            s.source
            for s in segments
            if s.source in photos and min(photos[s.source].width, photos[s.source].height) < frame_short_side
        ]
        return tuple(dict.fromkeys(small))

    def crop_paths(
        self, segments: Sequence[Segment], size: tuple[int, int], output: OutputSettings
    ) -> dict[int, CropPath]:
        """Per video segment that is cropped to the film's shape, where its window looks: following the subject
        as a single clip's does (``reframe``), from the saliency sampled with the footage (nothing is decoded
        again). Empty when the film fits on a blur or keeps the centre (``--reframe centre``)."""
        if output.fit != "crop" or output.reframe != "subject":
            return {}
        items = {item.path: item for item in self.items}
        film_w, film_h = size
        paths: dict[int, CropPath] = {}
        for index, segment in enumerate(segments):
            item, footage = items.get(segment.source), self.footage.get(segment.source)
            if segment.kind != "video" or item is None or footage is None or footage.saliency is None:
                continue
            if item.width * film_h > item.height * film_w * 1.01:
                axis, ratio, profile = "x", item.height * film_w / film_h / item.width, footage.saliency.along_x
            elif item.height * film_w > item.width * film_h * 1.01:
                axis, ratio, profile = "y", item.width * film_h / film_w / item.height, footage.saliency.along_y
            else:
                continue
            times = np.asarray(footage.times_s)
            inside = (times >= segment.source_start_s - 1e-6) & (times <= segment.source_end_s + 1e-6)
            if not inside.any():
                continue
            profile = profile[inside]
            saliency = footage.saliency
            if saliency.face_times:  # a face is where the eye goes: the strongest pull, as in a single clip
                seen = steady_faces(saliency.face_times, saliency.faces)
                profile = add_faces(times[inside].tolist(), profile, saliency.face_times, seen, axis=axis)
            paths[index] = path_from_profile(
                [float(t) - segment.source_start_s for t in times[inside]],
                profile,
                window_ratio=ratio,
                axis=axis,
                cut_times_s=(),
            )
        return paths

    def largest_short_side(self) -> int:
        return max((min(item.width, item.height) for item in self.items), default=1080)

    def capacity_s(self, item: Item) -> float:
        """The longest piece ``item`` can give (a photo: up to ``PHOTO_MAX_S``, alone: the whole film)."""
        if item.kind == "photo":
            return LONE_PHOTO_MAX_S if len(self.items) == 1 else PHOTO_MAX_S
        return self.footage[item.path].longest_usable_s

    def share_weight(self, item: Item) -> float:
        if item.kind == "photo":
            return PHOTO_SHARE_S
        return self.footage[item.path].usable_s

    def usable_s(self) -> float:
        """The film's natural length: every clip's longest usable stretch and a couple of bars per photo (a
        photo can hold longer when a longer film is asked for, but does not make the film long by itself)."""
        return sum(
            self.capacity_s(i) if i.kind == "video" else min(PHOTO_SHARE_S, self.capacity_s(i)) for i in self.items
        )

    def as_video(self, duration_s: float) -> VideoAnalysis:
        """All clips together as one clip would be described to the matcher (motion, light, colour)."""
        clips = [self.footage[i.path] for i in self.items if i.kind == "video"]
        weights = np.array([max(f.usable_s, 0.1) for f in clips]) if clips else np.array([1.0])

        def mean(values: list[float], default: float) -> float:
            return float(np.average(values, weights=weights)) if values else default

        return VideoAnalysis(
            duration_s=duration_s,
            cut_times_s=(),
            motion=mean([f.mean_motion for f in clips], 0.2),
            brightness=mean([f.brightness for f in clips], 0.5),
            saturation=mean([f.saturation for f in clips], 0.3),
            warmth=mean([f.warmth for f in clips], 0.0),
            speech_intervals=(),
        )


def analyse_items(paths: Sequence[Path], settings: Settings, *, order: str = "given") -> MontageAnalysis:
    """Probe and sample every input; unusable ones are skipped with their reason, the rest kept in ``order``
    (``given``, or ``time``: capture time where the files say it, the others after, as given)."""
    if len(paths) > settings.max_montage_items:
        raise InputRejected("montage_too_many", count=len(paths), limit=settings.max_montage_items)
    total_mb = sum(path.stat().st_size for path in paths if path.is_file()) / 1e6
    if total_mb > settings.max_montage_input_mb:
        raise InputRejected("montage_too_big", total_mb=total_mb, limit_mb=settings.max_montage_input_mb)
    probed: list[Item | InputRejected] = []
    footage_s = 0.0
    for path in paths:
        cancel.check()
        try:
            item = probe_item(path, settings)
            if item.kind == "video" and footage_s + item.duration_s > settings.max_montage_footage_s:
                raise InputRejected("montage_too_long", minutes=settings.max_montage_footage_s / 60)
            footage_s += item.duration_s if item.kind == "video" else 0.0
            probed.append(item)
        except InputRejected as exc:
            probed.append(exc)
    sampled = sample_clips([item for item in probed if isinstance(item, Item)])
    items: list[Item] = []
    skipped: list[Skipped] = []
    footage: dict[str, Footage] = {}
    for path, outcome in zip(paths, probed, strict=True):
        clip_footage = sampled.get(outcome.path) if isinstance(outcome, Item) else None
        if isinstance(clip_footage, InputRejected):
            outcome = clip_footage
        if isinstance(outcome, InputRejected):
            logger.info("montage: skipping %s: %s", path.name, outcome.reason)
            values = dict(outcome.values)
            skipped.append(Skipped(source=str(path), reason=outcome.reason, key=outcome.key, values=values))
            continue
        if isinstance(clip_footage, Footage):
            footage[outcome.path] = clip_footage
        items.append(outcome)
    if order == "time":
        timed = [i for i in items if i.taken_at is not None]
        untimed = [i for i in items if i.taken_at is None]
        items = sorted(timed, key=lambda i: i.taken_at or 0.0) + untimed
    return MontageAnalysis(items=tuple(items), footage=footage, skipped=tuple(skipped))


def film_length(analysis: MontageAnalysis, asked_s: float | None) -> float:
    """The asked length, else the usable footage up to ``DEFAULT_LENGTH_S`` (a photo alone: ``PHOTO_ALONE_S``)."""
    if asked_s is not None:
        return max(MIN_FILM_S, asked_s)
    if len(analysis.items) == 1 and analysis.items[0].kind == "photo":
        return PHOTO_ALONE_S
    return max(MIN_FILM_S, min(DEFAULT_LENGTH_S, analysis.usable_s()))


def first_montage(
    analysis: MontageAnalysis,
    library: Library,
    *,
    prompt: str | None,
    duration_s: float | None = None,
    aspect: str | None = None,
    fit: str = "crop",
    track: Track | None = None,
) -> Timeline:
    """The film's first timeline: the library ranked once for all the items and the words, the cut planned on
    the pick's beats. What the arguments leave open is read from the words (``film_wishes``: "a 60-second
    vertical film in 1080p, keep the sound"). Raises ``InputRejected`` when no input is usable."""
    if not analysis.items:
        raise InputRejected("montage_nothing_usable")
    wishes = film_wishes(prompt)
    length = film_length(analysis, duration_s if duration_s is not None else wishes.duration_s)
    video = analysis.as_video(length)
    ranking = rank_tracks(video=video, tracks=library.tracks, prompt=prompt)
    if track is None:
        picked = library.get(ranking.best)
        assert picked is not None
        track = picked
    music = replace(
        MusicTrack.from_library(track.id, track.title, moods=parse_mood_words(prompt).moods),
        ranking=(track.id, *(t for t in ranking.ranked if t != track.id)),
        grid=beat_grid(track),
    )
    music = with_pick_reason(music, pick_reason(track, video=video, prompt=prompt))
    music = with_honest_words(music, prompt, library.tracks)
    output = OutputSettings(
        aspect=aspect or wishes.aspect or majority_aspect(analysis.items),
        fit=fit,
        max_height=wishes.max_height,
        fps=common_fps(analysis.items),
    )
    return plan_montage(
        analysis, track.features, music=music, length_s=length, output=output, original_keep=wishes.keep_sound
    )


@dataclass(frozen=True)
class FilmWishes:
    """What the words of a request say about the film itself (None: not said)."""

    duration_s: float | None = None
    aspect: str | None = None
    max_height: int | None = None
    keep_sound: bool = False


def film_wishes(prompt: str | None) -> FilmWishes:
    """The length, shape, resolution and sound a request names ("a 60-second travel montage in 1080p",
    "竖屏 1分钟 保留原声"), read by the chat-instruction parser; the mood words are the matcher's."""
    if not prompt:
        return FilmWishes()
    wishes = FilmWishes()
    for edit in parse_instruction(prompt).edits:
        if isinstance(edit, SetLength):
            wishes = replace(wishes, duration_s=edit.seconds)
        elif isinstance(edit, SetAspect):
            wishes = replace(wishes, aspect=edit.aspect)
        elif isinstance(edit, SetMaxHeight):
            wishes = replace(wishes, max_height=edit.height)
        elif isinstance(edit, SetOriginalAudio):
            wishes = replace(wishes, keep_sound=edit.keep)
    return wishes


def plan_montage(
    analysis: MontageAnalysis,
    features: AudioFeatures,
    *,
    music: MusicTrack,
    length_s: float,
    output: OutputSettings,
    original_keep: bool = False,
    offset_s: float | None = None,
) -> Timeline:
    """The timeline of a film of about ``length_s`` cut on ``features``' beats; the music starts at ``offset_s``
    (track seconds, moved to the nearest beat: the film's first piece starts on one), or when None on a
    downbeat after the intro, moved so the track's big moment lands on the film's motion peak if it has one."""
    offset = _music_start(features, length_s) if offset_s is None else _nearest_beat_time(features, offset_s)
    timeline = _planned_from(analysis, features, music, length_s, output, offset)
    if offset_s is None:
        timeline = on_climax(
            timeline,
            lambda start: _planned_from(analysis, features, music, length_s, output, start),
            footage=analysis.footage,
            features=features,
            length_s=length_s,
        )
    return replace(timeline, original=replace(timeline.original, keep=original_keep))


def _planned_from(
    analysis: MontageAnalysis,
    features: AudioFeatures,
    music: MusicTrack,
    length_s: float,
    output: OutputSettings,
    offset: float,
) -> Timeline:
    """The film cut on the beats of ``features`` started at ``offset`` (track seconds)."""
    plan = plan_sync(cut_times_s=(), video_duration_s=length_s + 8.0, track=features, offset_s=offset)
    beats = np.asarray(plan.music_beats_on_timeline_s)
    downbeats = np.asarray(on_timeline(features.downbeat_times_s, plan.segments))
    segments = plan_segments(analysis, beats=beats, downbeats=downbeats, length_s=length_s, fps=film_fps(output))
    film_s = segments[-1].end_s
    first = segments[0].source
    return Timeline(
        video=VideoTrack(path=first, label="montage", start_s=0.0, end_s=film_s),
        music=replace(music, start_offset_s=offset, skip_intro=False),
        output=output,
        segments=segments,
    )


def plan_segments(
    analysis: MontageAnalysis, *, beats: np.ndarray, downbeats: np.ndarray, length_s: float, fps: int = FILM_FPS
) -> tuple[Segment, ...]:
    """Segments for every item that fits, boundaries on ``beats`` (film seconds, first at 0), ending on a bar."""
    if beats.size < 2:
        raise InputRejected("montage_no_beat")
    period = float(np.median(np.diff(beats)))
    bars = downbeats[(downbeats > 0.5 * period)]
    end_candidates = bars if bars.size else beats[1:]
    film_end = float(end_candidates[np.argmin(np.abs(end_candidates - length_s))])
    n_beats = int(np.searchsorted(beats, film_end - 1e-6)) + 1  # beats[0 .. n_beats-1] lie inside
    grid = beats[:n_beats]
    items = list(analysis.items)
    max_items = max(1, len(grid) - 1)
    items = items[:max_items]  # one beat each at least: more items than beats cannot all be shown
    caps = [analysis.capacity_s(item) for item in items]
    weights = np.array([analysis.share_weight(item) for item in items], dtype=float)
    shares = _water_fill(weights, np.array(caps), film_end)
    ends = np.cumsum(shares)
    bar = int(round(float(np.median(np.diff(bars))) / period)) if bars.size >= 2 else 4
    roomy = n_beats - 1 >= max(1, bar) * len(items)  # a bar each fits in the film
    least = [bar if roomy and cap >= bar * period - 1e-6 else 1 for cap in caps]  # at least a bar where possible
    bounds = [0]
    for i in range(len(items) - 1):
        lo = bounds[-1] + least[i]
        hi = n_beats - 1 - sum(least[i + 1 :])
        cap_end = grid[bounds[-1]] + caps[i] + 1e-6
        want = float(ends[i])
        k = _nearest_beat(grid, downbeats, want, lo=lo, hi=hi)
        while k > lo and grid[k] > cap_end:
            k -= 1
        bounds.append(k)
    bounds.append(n_beats - 1)
    last_cap = grid[bounds[-2]] + caps[-1] + 1e-6
    while bounds[-1] > bounds[-2] + 1 and film_end > last_cap and grid[bounds[-1]] > last_cap:
        bounds[-1] -= 1
        film_end = float(grid[bounds[-1]])
    segments: list[Segment] = []
    for i, item in enumerate(items):
        start, end = float(grid[bounds[i]]), float(grid[bounds[i + 1]]) if i + 1 < len(items) else film_end
        segments.append(_segment(analysis, item, i, _on_frame(start, fps), _on_frame(end, fps)))
    return tuple(segments)


def majority_aspect(items: Sequence[Item]) -> str:
    """The aspect most inputs have (by count): 16:9 for landscape, 9:16 for portrait, 1:1 for square."""
    votes = {"16:9": 0, "9:16": 0, "1:1": 0}
    for item in items:
        ratio = item.width / item.height if item.height else 1.0
        votes["16:9" if ratio > 1.15 else "9:16" if ratio < 0.87 else "1:1"] += 1
    return max(votes, key=lambda k: (votes[k], k == "16:9"))


def _segment(analysis: MontageAnalysis, item: Item, index: int, start: float, end: float) -> Segment:
    length = end - start
    if item.kind == "photo":
        move = PHOTO_MOVES[index % len(PHOTO_MOVES)]
        return Segment(item.path, "photo", 0.0, length, start, end, move=move)
    stretch = best_stretch(analysis.footage[item.path], length)
    if stretch is None:  # the shares respect each clip's longest stretch; this is rounding at the edges
        run = max(analysis.footage[item.path].usable, key=lambda r: r[1] - r[0])
        stretch = (run[0], run[0] + length)
    return Segment(item.path, "video", stretch[0], stretch[1], start, end)


def _on_frame(seconds: float, fps: int) -> float:
    """The film frame a beat falls on (cuts are whole frames, so within half a frame of the beat)."""
    return round(seconds * fps) / fps


def common_fps(items: Sequence[Item]) -> int | None:
    """The frame rate every clip shares (12-60 fps), for a film at their own pace; None when they differ."""
    rates = {round(item.info.fps) for item in items if item.kind == "video" and item.info and item.info.fps > 0}
    if len(rates) != 1:
        return None
    rate = rates.pop()
    return rate if 12 <= rate <= 60 else None


def _music_start(features: AudioFeatures, length_s: float) -> float:
    """After the intro when the rest of the track covers the film; else from the first bar."""
    body = intro_end_s(features)
    if features.duration_s - body >= length_s:
        return body
    bars = [d for d in features.downbeat_times_s if d >= features.leading_silence_s - 0.05]
    return float(bars[0]) if bars else max(0.0, features.leading_silence_s)


def _nearest_beat_time(features: AudioFeatures, at_s: float) -> float:
    beats = np.asarray(features.beat_times_s)
    if not beats.size:
        return at_s
    return float(beats[np.argmin(np.abs(beats - at_s))])


def _water_fill(weights: np.ndarray, caps: np.ndarray, total: float) -> np.ndarray:
    """Shares of ``total`` proportional to ``weights``, none above its cap (the excess goes to the others)."""
    shares = np.zeros_like(weights)
    free = np.ones(weights.size, dtype=bool)
    left = total
    for _ in range(weights.size):
        if left <= 1e-9 or not free.any():
            break
        w = np.where(free, np.maximum(weights, 1e-3), 0.0)
        proposal = left * w / w.sum()
        over = free & (shares + proposal > caps)
        if not over.any():
            shares[free] += proposal[free]
            break
        left -= float((caps[over] - shares[over]).sum())
        shares[over] = caps[over]
        free &= ~over
    return shares


def _nearest_beat(grid: np.ndarray, downbeats: np.ndarray, want: float, *, lo: int, hi: int) -> int:
    """The beat index nearest ``want`` within [lo, hi]; a downbeat within one beat of it is preferred."""
    hi = max(lo, hi)
    k = int(np.clip(np.argmin(np.abs(grid - want)), lo, hi))
    period = float(np.median(np.diff(grid))) if grid.size > 1 else 0.5
    bar_beats = [
        j
        for j in range(max(lo, k - 1), min(hi, k + 1) + 1)
        if downbeats.size and np.min(np.abs(downbeats - grid[j])) < 0.25 * period
    ]
    return min(bar_beats, key=lambda j: abs(grid[j] - want)) if bar_beats else k


def montage_sound(segments: Sequence[Segment], sample_rate: int) -> tuple[np.ndarray, tuple[tuple[float, float], ...]]:
    """The clips' own sound under their pieces (silence under photos) and where someone speaks in it."""
    total = int(round(segments[-1].end_s * sample_rate))
    sound = np.zeros((2, total), dtype=np.float32)
    for segment in segments:
        if segment.kind != "video":
            continue
        try:
            clip = decode_audio(
                segment.source, sample_rate=sample_rate, channels=2, max_duration_s=segment.source_end_s
            )
        except InputRejected:
            continue  # a clip without sound is silent under its piece
        piece = clip[:, int(segment.source_start_s * sample_rate) : int(segment.source_end_s * sample_rate)]
        at = int(round(segment.start_s * sample_rate))
        length = min(piece.shape[1], total - at, int(round(segment.duration_s * sample_rate)))
        sound[:, at : at + length] = piece[:, :length]
    return sound, detect_speech(sound, sample_rate)
