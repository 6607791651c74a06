"""A track's measured beats as a timeline keeps them (``BeatGrid``): the pick writes them, every render and
every re-plan of a film's cuts reads them. Its own module because both the single-clip planner
(``bot.media.editing``) and the film planner (``bot.media.montage``) need it, and the film planner is
itself used by the editing of a film."""

from __future__ import annotations

from bot.media.models import Track
from bot.media.timeline import BeatGrid

__all__ = ["beat_grid"]


def beat_grid(track: Track) -> BeatGrid:
    """The measured beats of ``track`` as the timeline keeps them."""
    features = track.features
    return BeatGrid(
        bpm=features.bpm,
        beats_per_bar=features.beats_per_bar,
        beats_s=features.beat_times_s,
        downbeats_s=features.downbeat_times_s,
    )
