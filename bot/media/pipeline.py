"""The local pipeline end to end: clip in, music-matched, beat-synced, ducked, normalised MP4 out.

``render_clip`` takes a :class:`RenderRequest` and returns a :class:`RenderOutcome`, both plain
frozen dataclasses, so the engine can run it in a worker process. Progress is reported through an
optional callback ``(stage, fraction)``; stages are named as in the benchmark table.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings, get_settings
from bot.errors import InputRejected, LibraryError
from bot.media import cancel
from bot.media.audio_io import decode_audio
from bot.media.library import AUDIO_SUFFIXES, analyze_track_file, find_track, load_library, share_user_song
from bot.media.matching import rank_tracks, track_moods
from bot.media.mix import SAMPLE_RATE, build_music_bed, mix
from bot.media.models import MatchResult, MediaInfo, MixOptions, Track, VideoAnalysis
from bot.media.probe import probe_media
from bot.media.render import VideoEdits, render
from bot.media.sync import intro_end_s, plan_sync
from bot.media.video_analysis import analyze_video
from bot.store import LibraryStore

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]

STAGES = ("probe", "video analysis", "library load", "match", "plan", "mix", "render")


@dataclass(frozen=True)
class RenderRequest:
    input_path: str
    output_path: str
    prompt: str | None = None
    music_volume_pct: float = 100.0
    keep_original: bool = True
    duck: bool = True
    track: str | None = None
    """A library track id (or unique prefix), or a path to any audio file."""
    exclude_tracks: tuple[str, ...] = ()
    """Track ids not to pick (e.g. already offered in this session)."""
    music_start_s: float | None = None
    """Where in the track the music starts; None lets the planner choose."""
    skip_intro: bool = False
    edits: VideoEdits = field(default_factory=VideoEdits)


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

    @property
    def cuts_on_beat_ratio(self) -> float:
        return self.cuts_on_beat / self.cuts_total if self.cuts_total else 1.0

    def to_json(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data["output"] = data.pop("output_path")
        data["cuts"] = self.cuts_total
        data["cuts_on_beat_ratio"] = round(self.cuts_on_beat_ratio, 4)
        data["cut_times"] = [round(t, 4) for t in self.cut_times_s]
        data.pop("cut_times_s")
        data["track"]["moods"] = list(self.track.moods)
        data["alternatives"] = list(self.alternatives)
        data["stage_times_s"] = {k: round(v, 4) for k, v in self.stage_times_s.items()}
        data["elapsed_s"] = round(self.elapsed_s, 3)
        data["loudness_lufs"] = round(self.loudness_lufs, 2)
        data["true_peak_dbtp"] = round(self.true_peak_dbtp, 2)
        data["music_offset_s"] = round(self.music_offset_s, 4)
        return data


class _Stopwatch:
    def __init__(self, on_progress: ProgressCallback | None) -> None:
        self.times: dict[str, float] = {}
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


def _reorder(ranking: MatchResult, order: list[int]) -> MatchResult:
    return MatchResult(
        ranked=tuple(ranking.ranked[i] for i in order),
        scores=tuple(ranking.scores[i] for i in order),
        reasons=tuple(ranking.reasons[i] for i in order),
        requested_moods=ranking.requested_moods,
    )


def _user_track(path: Path, video: VideoAnalysis, settings: Settings) -> tuple[Track, str]:
    if not path.is_file():
        raise InputRejected("no_such_track", name=str(path))
    with LibraryStore(settings.library_db) as store:
        track = analyze_track_file(path, store=store, root=None)
    if settings.share_user_songs and path.suffix.lower() in AUDIO_SUFFIXES:
        share_user_song(track, settings)
    plan = plan_sync(cut_times_s=video.cut_times_s, video_duration_s=video.duration_s, track=track.features)
    reason = (
        f'"{track.title}" is the song you chose ({track.bpm:.0f} BPM); '
        f"{plan.cuts_on_beat} of {plan.cuts_total} cuts land on its beats."
    )
    return track, reason


def _choose(
    request: RenderRequest, video: VideoAnalysis, tracks: list[Track], settings: Settings
) -> tuple[Track, MatchResult]:
    """The track to use and the ranking it came from (the pick first, the alternatives after)."""
    ranking = rank_tracks(video=video, tracks=tracks, prompt=request.prompt)
    by_id = {t.id: t for t in tracks}
    everything = list(range(len(ranking.ranked)))
    if request.track:
        chosen = find_track(tracks, request.track)
        if chosen is None:
            track, reason = _user_track(Path(request.track).expanduser(), video, settings)
            return track, MatchResult(
                ranked=(track.id, *ranking.ranked),
                scores=(0.0, *ranking.scores),
                reasons=(reason, *ranking.reasons),
                requested_moods=ranking.requested_moods,
            )
        first = ranking.ranked.index(chosen.id)
        return chosen, _reorder(ranking, [first, *[i for i in everything if i != first]])
    allowed = [i for i in everything if ranking.ranked[i] not in request.exclude_tracks]
    ranking = _reorder(ranking, allowed + [i for i in everything if i not in allowed])
    return by_id[ranking.best], ranking


@dataclass(frozen=True)
class ClipAnalysis:
    """A probed and analysed clip: made once per upload, reused by every re-render."""

    info: MediaInfo
    video: VideoAnalysis
    stage_times_s: dict[str, float] = field(default_factory=dict)


def analyse_clip(
    input_path: str, *, settings: Settings | None = None, on_progress: ProgressCallback | None = None
) -> ClipAnalysis:
    """Probe and analyse a clip; raises ``InputRejected`` for unusable input."""
    settings = settings or get_settings()
    clock = _Stopwatch(on_progress)
    with clock.stage("probe"):
        info = probe_media(input_path, settings=settings)
    with clock.stage("video analysis"):
        video = analyze_video(info)
    return ClipAnalysis(info=info, video=video, stage_times_s=dict(clock.times))


def render_clip(
    request: RenderRequest,
    *,
    settings: Settings | None = None,
    on_progress: ProgressCallback | None = None,
    analysis: ClipAnalysis | None = None,
) -> RenderOutcome:
    """Run every stage and write ``request.output_path``; raises ``InputRejected`` for unusable input.

    ``analysis`` (from :func:`analyse_clip` on the same input) skips probing and video analysis.
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    output = Path(request.output_path)
    if output.resolve() == Path(request.input_path).resolve():
        raise InputRejected("output_is_input")
    if analysis is None:
        analysis = analyse_clip(request.input_path, settings=settings, on_progress=on_progress)
    else:
        started -= sum(analysis.stage_times_s.values())  # the clip's analysis is part of this render's cost
    clock = _Stopwatch(on_progress)
    clock.times.update(analysis.stage_times_s)
    info, video = analysis.info, analysis.video
    with clock.stage("library load"):
        try:
            tracks = load_library(settings)
        except LibraryError:
            if not request.track:
                raise
            tracks = []
    with clock.stage("match"):
        track, ranking = _choose(request, video, tracks, settings)
    with clock.stage("plan"):
        start = intro_end_s(track.features) if request.skip_intro else request.music_start_s
        plan = plan_sync(
            cut_times_s=video.cut_times_s, video_duration_s=info.duration_s, track=track.features, offset_s=start
        )
    with clock.stage("mix"):
        music = decode_audio(track.path, sample_rate=SAMPLE_RATE, channels=2)
        bed = build_music_bed(music, plan, SAMPLE_RATE)
        original = (
            decode_audio(info.path, sample_rate=SAMPLE_RATE, channels=2)
            if info.has_audio and request.keep_original
            else None
        )
        options = MixOptions(
            music_volume_pct=request.music_volume_pct, keep_original=request.keep_original, duck=request.duck
        )
        mixed = mix(music_bed=bed, original=original, speech_intervals=video.speech_intervals, options=options)
    with clock.stage("render"):
        rendered = render(
            info=info,
            audio=mixed.samples,
            sample_rate=SAMPLE_RATE,
            output=output,
            edits=request.edits,
            timeout_s=settings.ffmpeg_timeout_s,
        )
    return RenderOutcome(
        output_path=str(output),
        track=summarize_track(track),
        reason=ranking.reason,
        alternatives=tuple(t for t in ranking.ranked[1:]),
        cut_times_s=video.cut_times_s,
        music_offset_s=plan.offset_s,
        loops=plan.loops,
        cuts_on_beat=plan.cuts_on_beat,
        cuts_total=plan.cuts_total,
        loudness_lufs=mixed.loudness_lufs,
        true_peak_dbtp=mixed.true_peak_dbtp,
        video_copied=rendered.video_copied,
        duration_s=info.duration_s,
        width=rendered.width,
        height=rendered.height,
        size_bytes=rendered.size_bytes,
        elapsed_s=time.perf_counter() - started,
        stage_times_s=dict(clock.times),
        title_dropped=rendered.title_dropped,
    )
