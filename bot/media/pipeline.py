"""The local pipeline's two entry points: analyse a clip once, render a timeline as often as asked.

``analyse_clip(path)`` probes and analyses an upload (once; the result is reused by every render of it).
``render_timeline(timeline, analysis, library, ...)`` makes the MP4 the timeline describes: it looks the
music up in ``library`` by the id the timeline names, lays it on the timeline's beat grid, mixes and
renders. It reads no settings, opens no store and ranks nothing (the pick lives in the timeline), so the
command line, the local backend's workers and the benchmark all render through this one function.
Both take and return plain frozen dataclasses, so they can run in a worker process. Progress is reported
through an optional callback ``(stage, fraction)``; stages are named as in the benchmark table.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.config import Settings, get_settings
from bot.errors import InputRejected
from bot.language.reasons import PickReason, peak_sentence, word_reason
from bot.media import cancel
from bot.media.audio_io import decode_audio
from bot.media.film_climax import film_climax_s
from bot.media.library import Library
from bot.media.matching import track_moods
from bot.media.mix import SAMPLE_RATE, build_music_bed, mix
from bot.media.mix_stream import mix_to_file
from bot.media.models import AudioFeatures, MediaInfo, MixOptions, SyncPlan, Track, VideoAnalysis
from bot.media.montage import MontageAnalysis, montage_sound
from bot.media.montage_render import film_size, render_montage
from bot.media.probe import probe_media
from bot.media.reframe import CropPath, plan_reframe
from bot.media.render import VideoEdits, display_size, render
from bot.media.sync import intro_end_s, plan_sync, track_peak_s
from bot.media.timeline import BeatGrid, OutputSettings, Timeline
from bot.media.video_analysis import analyse_video
from bot.media.visual import ASPECT_RATIOS

__all__ = [
    "DEFAULT_FFMPEG_TIMEOUT_S",
    "STAGES",
    "ClipAnalysis",
    "RenderOutcome",
    "StageProgress",
    "Stopwatch",
    "TrackSummary",
    "analyse_clip",
    "render_timeline",
    "subject_path",
    "summarize_track",
]

logger = logging.getLogger(__name__)

StageProgress = Callable[[str, float], None]
"""``(stage, fraction)``: called as each stage starts (0.0) and ends (1.0)."""

STAGES = ("probe", "video analysis", "library load", "match", "plan", "mix", "render")
"""Every stage of a first render; ``render_timeline`` runs the last three, the caller times the others."""

DEFAULT_FFMPEG_TIMEOUT_S = 900.0
"""As ``Settings.ffmpeg_timeout_s``; callers pass their setting."""


@dataclass(frozen=True)
class TrackSummary:
    id: str
    title: str
    path: str
    bpm: float
    moods: tuple[str, ...]
    key: str
    mode: str


@dataclass(frozen=True)
class RenderOutcome:
    output_path: str
    track: TrackSummary
    reason: str
    alternatives: tuple[str, ...]
    cut_times_s: tuple[float, ...]
    music_offset_s: float
    loops: int
    cuts_on_beat: int
    cuts_total: int
    loudness_lufs: float
    true_peak_dbtp: float
    video_copied: bool
    duration_s: float
    width: int
    height: int
    size_bytes: int
    elapsed_s: float
    stage_times_s: dict[str, float] = field(default_factory=dict)
    title_dropped: str = ""
    reframe_travel: float | None = None
    """How far a subject-following crop moved, in multiples of its free range (None: no such crop)."""
    ending: str = "bar_fade"
    """``natural`` (the track's own ending on the last frame) or ``bar_fade``."""
    unmatched_words: tuple[str, ...] = ()
    """Words of the request the library had no tracks for as such (named in ``reason``)."""
    enlarged: tuple[str, ...] = ()
    """Photos of a film smaller than its frame, shown enlarged (the user is told)."""
    used_moods: tuple[str, ...] = ()
    hit_at_s: float | None = None
    """Where the track's big moment lands in the video, when it was laid on the climax (or a pinned time)."""
    track_peak_s: float | None = None
    why: PickReason | None = None
    """``reason`` as values, for a reply worded in the reader's language (None: a timeline saved without them)."""
    video_reencoded_s: float | None = None
    """Seconds of video re-encoded when only part of it was (smart render of a title); None otherwise."""

    @property
    def cuts_on_beat_ratio(self) -> float | None:
        """None when there is no cut to sync (a clip of one shot): nothing was measured, not 100 %."""
        return self.cuts_on_beat / self.cuts_total if self.cuts_total else None

    @property
    def video_copy(self) -> str:
        """``whole`` (stream-copied), ``partial`` (only the titled GOPs re-encoded) or ``none``."""
        if self.video_reencoded_s is not None:
            return "partial"
        return "whole" if self.video_copied else "none"

    def to_json(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data.pop("why")  # worded as ``reason``; its values are the fields beside it
        data["output"] = data.pop("output_path")
        data["cuts"] = self.cuts_total
        ratio = self.cuts_on_beat_ratio
        data["cuts_on_beat_ratio"] = None if ratio is None else round(ratio, 4)
        data["cut_times"] = [round(t, 4) for t in self.cut_times_s]
        data.pop("cut_times_s")
        data["track"]["moods"] = list(self.track.moods)
        data["alternatives"] = list(self.alternatives)
        data["unmatched_words"] = list(self.unmatched_words)
        data["used_moods"] = list(self.used_moods)
        data["enlarged"] = list(self.enlarged)
        data["stage_times_s"] = {k: round(v, 4) for k, v in self.stage_times_s.items()}
        data["elapsed_s"] = round(self.elapsed_s, 3)
        data["loudness_lufs"] = round(self.loudness_lufs, 2)
        data["true_peak_dbtp"] = round(self.true_peak_dbtp, 2)
        data["music_offset_s"] = round(self.music_offset_s, 4)
        data["video_copy"] = self.video_copy
        if self.reframe_travel is not None:
            data["reframe_travel"] = round(self.reframe_travel, 3)
        return data


class Stopwatch:
    """Times the stages of one job as its user waits for them, and reports each as progress.

    One stopwatch can follow a job through several calls (the command line times loading the library
    and the pick, then passes it to :func:`analyse_clip` and :func:`render_timeline`), so the outcome's
    ``elapsed_s`` and ``stage_times_s`` are what the user waited for, not one function's share.
    """

    def __init__(self, on_progress: StageProgress | None = None) -> None:
        self.times: dict[str, float] = {}
        self.started = time.perf_counter()
        self._on_progress = on_progress

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        cancel.check()  # between stages: a cancelled job's worker stops here
        if self._on_progress:
            self._on_progress(name, 0.0)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
        if self._on_progress:
            self._on_progress(name, 1.0)

    def include(self, times: dict[str, float]) -> None:
        """Count stages timed elsewhere (a clip analysed in another process, earlier) as this job's."""
        for name, seconds in times.items():
            if name not in self.times:
                self.times[name] = seconds
                self.started -= seconds

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started


def summarize_track(track: Track) -> TrackSummary:
    return TrackSummary(
        id=track.id,
        title=track.title,
        path=track.path,
        bpm=round(track.bpm, 2),
        moods=track_moods(track),
        key=track.features.key,
        mode=track.features.mode,
    )


@dataclass(frozen=True)
class ClipAnalysis:
    """A probed and analysed clip: made once per upload, reused by every re-render."""

    info: MediaInfo
    video: VideoAnalysis
    stage_times_s: dict[str, float] = field(default_factory=dict)


def analyse_clip(input_path: str, *, settings: Settings | None = None, clock: Stopwatch | None = None) -> ClipAnalysis:
    """Probe and analyse a clip; raises ``InputRejected`` for unusable input (limits from ``settings``)."""
    settings = settings or get_settings()
    clock = clock or Stopwatch()
    with clock.stage("probe"):
        info = probe_media(input_path, settings=settings)
    with clock.stage("video analysis"):
        video = analyse_video(info)
    times = {name: clock.times[name] for name in ("probe", "video analysis")}
    return ClipAnalysis(info=info, video=video, stage_times_s=times)


def render_timeline(
    timeline: Timeline,
    analysis: ClipAnalysis | MontageAnalysis,
    library: Library,
    *,
    output_path: str,
    ffmpeg_timeout_s: float = DEFAULT_FFMPEG_TIMEOUT_S,
    clock: Stopwatch | None = None,
) -> RenderOutcome:
    """Render ``timeline`` from its sources (analysed as ``analysis``) into ``output_path``.

    One clip or a montage: the music is laid and mixed the same way; only the picture differs (the clip
    copied or re-encoded, or the montage's pieces conformed and joined). ``library`` must hold the track the
    timeline's music names (a user's song included). ``clock`` times the stages (pass the job's own to count
    what came before); the inputs' analysis counts either way.
    """
    output = Path(output_path)
    sources = {segment.source for segment in timeline.segments} or {timeline.video.path}
    if any(output.resolve() == Path(source).resolve() for source in sources):
        raise InputRejected("output_is_input")
    music = timeline.music
    if music is None:
        raise InputRejected("timeline_no_music")
    clock = clock or Stopwatch()
    clock.include(analysis.stage_times_s)
    speech: tuple[tuple[float, float], ...]
    reframe: CropPath | None = None
    enlarged: tuple[str, ...] = ()
    if isinstance(analysis, MontageAnalysis):
        cuts, duration_s, speech = timeline.cut_times_s, timeline.duration_s, ()
    else:
        cuts, duration_s, speech = analysis.video.cut_times_s, analysis.info.duration_s, analysis.video.speech_intervals
    with clock.stage("plan"):
        track = library.track_for(music.track_id, music.user_path)
        features = _on_grid(track.features, music.grid)
        start = intro_end_s(features) if music.skip_intro else music.start_offset_s
        motion_peak = None if isinstance(analysis, MontageAnalysis) else analysis.video.motion_peak_s
        plan = plan_sync(
            cut_times_s=cuts,
            video_duration_s=duration_s,
            track=features,
            offset_s=start,
            hit_at_s=music.hit_at_s,
            motion_peak_s=motion_peak,
        )
        if isinstance(analysis, MontageAnalysis):
            climax = film_climax_s(analysis.footage, timeline.segments) if music.hit_at_s is None else music.hit_at_s
            plan = _film_moment(plan, features, climax)
    with contextlib.ExitStack() as scratch:
        with clock.stage("mix"):
            samples = decode_audio(track.path, sample_rate=SAMPLE_RATE, channels=2)
            keep = timeline.original.keep
            options = MixOptions(music_volume_pct=music.volume_pct, keep_original=keep, duck=timeline.original.duck)
            audio: np.ndarray | Path
            if isinstance(analysis, MontageAnalysis):
                original = None
                if keep:
                    original, speech = montage_sound(timeline.segments, SAMPLE_RATE)
                bed = build_music_bed(samples, plan, SAMPLE_RATE)
                mixed = mix(music_bed=bed, original=original, speech_intervals=speech, options=options)
                audio, loudness_lufs, true_peak = mixed.samples, mixed.loudness_lufs, mixed.true_peak_dbtp
                del bed, original
            else:
                # One clip's sound may be ten minutes long: mixed in blocks through raw files in the temp dir
                # (TMPDIR; not the session folder, whose disk holds the user's files and results).
                output.parent.mkdir(parents=True, exist_ok=True)
                workdir = scratch.enter_context(tempfile.TemporaryDirectory(prefix="musiccog-mix-"))
                has_sound = keep and analysis.info.has_audio
                mixed_file = mix_to_file(
                    music=samples,
                    plan=plan,
                    original_path=analysis.info.path if has_sound else None,
                    speech_intervals=speech,
                    options=options,
                    workdir=Path(workdir),
                )
                audio, loudness_lufs, true_peak = mixed_file.path, mixed_file.loudness_lufs, mixed_file.true_peak_dbtp
            del samples
        with clock.stage("render"):
            out = timeline.output
            if isinstance(analysis, MontageAnalysis) and isinstance(audio, np.ndarray):
                size = film_size(out.aspect or "16:9", analysis.largest_short_side(), out.max_height)
                enlarged = analysis.smaller_photos(timeline.segments, min(size))
                rendered = render_montage(
                    segments=timeline.segments,
                    size=size,
                    output=out,
                    title=timeline.title,
                    audio=audio,
                    sample_rate=SAMPLE_RATE,
                    target=output,
                    timeout_s=ffmpeg_timeout_s,
                    crop_paths=analysis.crop_paths(timeline.segments, size, out),
                )
            elif isinstance(analysis, ClipAnalysis):
                reframe = subject_path(analysis.info, out, cuts)
                edits = VideoEdits(
                    aspect=out.aspect,
                    fit=out.fit,
                    max_height=out.max_height,
                    title=timeline.title,
                    target_size_bytes=out.target_size_bytes,
                    reframe=reframe,
                )
                rendered = render(
                    info=analysis.info,
                    audio=audio,
                    sample_rate=SAMPLE_RATE,
                    output=output,
                    edits=edits,
                    timeout_s=ffmpeg_timeout_s,
                )
    why = _with_peak(music.why, plan, pinned=music.hit_at_s is not None)
    return RenderOutcome(
        output_path=str(output),
        track=summarize_track(track),
        reason=word_reason(why) if why is not None else _old_reason(music.reason, plan),
        alternatives=music.alternatives,
        cut_times_s=cuts,
        music_offset_s=plan.offset_s,
        loops=plan.loops,
        cuts_on_beat=plan.cuts_on_beat,
        cuts_total=plan.cuts_total,
        loudness_lufs=loudness_lufs,
        true_peak_dbtp=true_peak,
        video_copied=rendered.video_copied,
        duration_s=duration_s,
        width=rendered.width,
        height=rendered.height,
        size_bytes=rendered.size_bytes,
        elapsed_s=clock.elapsed_s,
        stage_times_s=dict(clock.times),
        title_dropped=rendered.title_dropped,
        reframe_travel=reframe.travel if reframe is not None else None,
        ending=plan.ending,
        enlarged=enlarged,
        unmatched_words=music.unmatched,
        used_moods=music.moods,
        hit_at_s=plan.hit_at_s,
        track_peak_s=plan.track_peak_s,
        why=why,
        video_reencoded_s=rendered.reencoded_s,
    )


def _with_peak(why: PickReason | None, plan: SyncPlan, *, pinned: bool) -> PickReason | None:
    """The pick's reason with where the track's big moment lands (set when it was laid on the action's peak, or
    where the user pinned it)."""
    if why is None:
        return None
    return dataclasses.replace(why, hit_at_s=plan.hit_at_s, track_peak_s=plan.track_peak_s, hit_pinned=pinned)


def _film_moment(plan: SyncPlan, features: AudioFeatures, aimed_s: float | None) -> SyncPlan:
    """A film's music starts where its cut was planned (so the sync plan lays no moment itself); when that start
    was chosen for a pin ("drop at 6 s") or the film's motion peak, and puts the track's big moment within a beat
    of it, say so."""
    peak = track_peak_s(features) if aimed_s is not None and plan.loops == 0 else None
    if peak is None or aimed_s is None or features.bpm <= 0:
        return plan
    lands = peak - plan.offset_s
    if abs(lands - aimed_s) > 60.0 / features.bpm + 1e-3:
        return plan
    return dataclasses.replace(plan, hit_at_s=round(lands, 3), track_peak_s=round(peak, 3))


def _old_reason(reason: str, plan: SyncPlan) -> str:
    """A timeline saved before reasons were kept as values: its English sentence and where the moment lands."""
    return " ".join(part for part in (reason, peak_sentence(plan.hit_at_s, plan.track_peak_s)) if part)  # as then


def subject_path(info: MediaInfo, output: OutputSettings, cuts: tuple[float, ...]) -> CropPath | None:
    """The path a cropped window follows when the shape changes by cropping and the subject is followed."""
    if output.aspect is None or output.fit != "crop" or output.reframe != "subject":
        return None
    shown_w, shown_h = display_size(info)
    a, b = ASPECT_RATIOS[output.aspect]
    if shown_w * b > shown_h * a * 1.01:
        return plan_reframe(info, window_ratio=shown_h * a / b / shown_w, axis="x", cut_times_s=cuts)
    if shown_h * a > shown_w * b * 1.01:
        return plan_reframe(info, window_ratio=shown_w * b / a / shown_h, axis="y", cut_times_s=cuts)
    return None


def _on_grid(features: AudioFeatures, grid: BeatGrid | None) -> AudioFeatures:
    """The track's analysis with the beats the timeline keeps (a timeline saved before grids: as analysed)."""
    if grid is None:
        return features
    return dataclasses.replace(
        features,
        bpm=grid.bpm,
        beats_per_bar=grid.beats_per_bar,
        beat_times_s=grid.beats_s,
        downbeat_times_s=grid.downbeats_s,
    )
