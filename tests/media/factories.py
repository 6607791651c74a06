"""Synthetic analyses for testing the planner, matcher and mixer without decoding any audio."""

from __future__ import annotations

import numpy as np

from bot.media.models import AudioFeatures, Track, TrackTags


def grid_features(
    *,
    bpm: float = 120.0,
    duration_s: float = 30.0,
    first_beat_s: float = 0.2,
    beats_per_bar: int = 4,
    mode: str = "major",
    moods: tuple[str, ...] = ("happy",),
    leading_silence_s: float = 0.0,
    trailing_silence_s: float = 0.0,
) -> AudioFeatures:
    period = 60.0 / bpm
    beats = np.arange(first_beat_s, duration_s - 0.01, period)
    return AudioFeatures(
        duration_s=duration_s,
        bpm=bpm,
        beat_times_s=tuple(float(b) for b in beats),
        downbeat_times_s=tuple(float(b) for b in beats[::beats_per_bar]),
        beats_per_bar=beats_per_bar,
        energy_curve=tuple([0.5] * int(duration_s * 2)),
        key="C",
        mode=mode,
        loudness_lufs=-14.0,
        leading_silence_s=leading_silence_s,
        trailing_silence_s=trailing_silence_s,
        audio_moods=moods,
    )


def make_track(
    track_id: str, features: AudioFeatures, *, title: str | None = None, moods: tuple[str, ...] = ()
) -> Track:
    return Track(
        id=track_id,
        path=f"/music/{track_id}.opus",
        content_hash=track_id * 4,
        tags=TrackTags(title=title or track_id, moods=moods, moods_source="folder" if moods else None),
        features=features,
    )
