"""Plain, frozen, picklable data that crosses the pipeline's stage boundaries.

Every stage takes and returns these, so the engine can run any stage in a worker process
with plain data in and out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ENERGY_HOP_S",
    "MOODS",
    "AudioFeatures",
    "MatchResult",
    "MediaInfo",
    "MixOptions",
    "MusicSegment",
    "RenderResult",
    "SyncPlan",
    "Track",
    "TrackTags",
    "VideoAnalysis",
]

MOODS: tuple[str, ...] = ("calm", "energetic", "happy", "nostalgic", "tender")
"""The mood vocabulary of the starter pack; other tags are kept but these drive inference."""


@dataclass(frozen=True)
class MediaInfo:
    """What probing a user's file found (PyAV, no decoding)."""

    path: str
    size_bytes: int
    container: str
    duration_s: float
    video_codec: str
    width: int
    height: int
    fps: float
    rotation_deg: int
    """Display rotation from the stream's side data (0, 90, 180, 270)."""
    video_bit_rate: int
    audio_codec: str | None
    audio_channels: int
    audio_sample_rate: int
    pixel_format: str = ""
    """The decoder's pixel format (``yuv420p``, ``yuv444p``, ``yuv420p10le``…); empty when unknown."""
    sample_aspect: float = 1.0
    """Width of a stored pixel over its height as shown: 4/3 for 1440x1080 HDV shown as 16:9, else 1."""

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def frame_duration_s(self) -> float:
        return 1.0 / self.fps if self.fps > 0 else 1.0 / 30.0


@dataclass(frozen=True)
class VideoAnalysis:
    """What the pictures and the original sound say about a clip."""

    duration_s: float
    cut_times_s: tuple[float, ...]
    """Times of hard cuts: the presentation time of the first frame of each new shot."""
    motion: float
    """Mean motion energy, 0 (static) .. 1 (very busy)."""
    brightness: float
    """Mean luma, 0 .. 1."""
    saturation: float
    """Mean colour saturation, 0 .. 1."""
    warmth: float
    """Red-vs-blue balance, -1 (cold) .. 1 (warm)."""
    speech_intervals: tuple[tuple[float, float], ...]
    """(start_s, end_s) where someone speaks in the original audio; pauses < ~300 ms merged."""
    frames_decoded: int = 0
    motion_peak_s: float | None = None
    """Where the motion clearly peaks (``motion_peak.motion_peak_s``), None when it is even."""

    @property
    def cuts_per_minute(self) -> float:
        return 60.0 * len(self.cut_times_s) / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class AudioFeatures:
    """What listening to a track found, with no help from names or tags (except a tempo hint)."""

    duration_s: float
    bpm: float
    beat_times_s: tuple[float, ...]
    downbeat_times_s: tuple[float, ...]
    beats_per_bar: int
    energy_curve: tuple[float, ...]
    """RMS energy, normalised to 0..1, sampled every ``ENERGY_HOP_S`` seconds."""
    key: str
    """Tonic pitch class, e.g. ``"C"``, ``"F#"``, ``"Bb"``."""
    mode: str
    """``"major"`` or ``"minor"``."""
    loudness_lufs: float
    leading_silence_s: float
    trailing_silence_s: float
    audio_moods: tuple[str, ...]
    """Moods inferred from the audio alone, best first (1-2 entries)."""


ENERGY_HOP_S = 0.5


@dataclass(frozen=True)
class TrackTags:
    """What the file's name, folder and embedded tags say."""

    title: str
    artist: str | None = None
    genre: str | None = None
    moods: tuple[str, ...] = ()
    moods_source: str | None = None
    """``"tags"`` or ``"folder"`` when ``moods`` is set."""
    bpm: float | None = None


@dataclass(frozen=True)
class Track:
    """A library track: identity, tags and analysis together."""

    id: str
    path: str
    content_hash: str
    tags: TrackTags
    features: AudioFeatures

    @property
    def title(self) -> str:
        return self.tags.title

    @property
    def moods(self) -> tuple[str, ...]:
        return self.tags.moods or self.features.audio_moods

    @property
    def moods_source(self) -> str:
        return (self.tags.moods_source or "tags") if self.tags.moods else "audio"

    @property
    def bpm(self) -> float:
        return self.features.bpm


@dataclass(frozen=True)
class MatchResult:
    """The ranked library for one clip and request; ``ranked[0]`` is the pick."""

    ranked: tuple[str, ...]
    """Track ids, best first."""
    scores: tuple[float, ...]
    reasons: tuple[str, ...]
    """One sentence per ranked track saying why it fits."""
    requested_moods: tuple[str, ...] = ()

    @property
    def best(self) -> str:
        return self.ranked[0]

    @property
    def reason(self) -> str:
        return self.reasons[0]


@dataclass(frozen=True)
class MusicSegment:
    """One piece of the track placed on the video timeline."""

    source_start_s: float
    """Where in the track the piece starts."""
    timeline_start_s: float
    """Where on the video it starts."""
    duration_s: float
    crossfade_in_s: float = 0.0
    """Overlap with the previous piece (an equal-power crossfade), 0 for the first."""


@dataclass(frozen=True)
class SyncPlan:
    """How the track is laid under the video."""

    segments: tuple[MusicSegment, ...]
    video_duration_s: float
    fade_in_s: float
    fade_out_s: float
    music_beats_on_timeline_s: tuple[float, ...]
    cuts_on_beat: int
    cuts_total: int
    tolerance_s: float = 0.05
    ending: str = "bar_fade"
    """``natural``: the track's own ending lands on the video's last frame; ``bar_fade``: a short fade that
    starts on a bar line."""
    hit_at_s: float | None = None
    """Where (video seconds) the track's strongest rise was laid, when it was placed on purpose."""
    track_peak_s: float | None = None
    """Where in the track that rise is."""

    @property
    def offset_s(self) -> float:
        return self.segments[0].source_start_s if self.segments else 0.0

    @property
    def cuts_on_beat_ratio(self) -> float:
        return self.cuts_on_beat / self.cuts_total if self.cuts_total else 1.0

    @property
    def loops(self) -> int:
        return max(0, len(self.segments) - 1)


@dataclass(frozen=True)
class MixOptions:
    """What the user asked of the sound."""

    music_volume_pct: float = 100.0
    keep_original: bool = True
    duck: bool = True
    target_lufs: float = -14.0
    true_peak_dbtp: float = -1.0
    duck_db: float = -12.0
    """Music gain while someone speaks, relative to outside speech."""


@dataclass(frozen=True)
class RenderResult:
    """What a finished render produced."""

    output_path: str
    duration_s: float
    loudness_lufs: float
    true_peak_dbtp: float
    video_copied: bool
    width: int
    height: int
    size_bytes: int
    stage_times_s: dict[str, float] = field(default_factory=dict)
