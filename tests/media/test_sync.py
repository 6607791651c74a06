from __future__ import annotations

import numpy as np

from bot.media.sync import plan_sync
from tests.media.factories import grid_features


def test_cuts_on_a_matching_grid_all_land() -> None:
    track = grid_features(bpm=120, duration_s=30, first_beat_s=0.2)
    cuts = (1.3, 2.3, 3.8, 5.3, 7.3)
    plan = plan_sync(cut_times_s=cuts, video_duration_s=10.0, track=track)
    assert plan.cuts_total == 5
    assert plan.cuts_on_beat == 5
    assert plan.cuts_on_beat_ratio == 1.0
    assert plan.loops == 0
    beats = np.array(plan.music_beats_on_timeline_s)
    for cut in cuts:
        assert np.min(np.abs(beats - cut)) <= 0.05


def test_downbeats_are_preferred() -> None:
    track = grid_features(bpm=120, duration_s=30, first_beat_s=0.0)
    cuts = (2.0, 4.0, 6.0)  # every 4 beats: can all sit on downbeats
    plan = plan_sync(cut_times_s=cuts, video_duration_s=8.0, track=track)
    downbeats = np.array(track.downbeat_times_s)
    for cut in cuts:
        assert np.min(np.abs(downbeats - (cut + plan.offset_s))) <= 0.05


def test_drifting_measured_beats_are_followed() -> None:
    """Cuts taken from a track's own (slightly uneven) beats land, whatever the catalog tempo says."""
    rng = np.random.default_rng(3)
    beats = np.cumsum(np.full(60, 60 / 122.2) + rng.normal(0, 0.004, 60)) + 0.3
    base = grid_features(bpm=123.0, duration_s=32.0)
    from dataclasses import replace

    track = replace(base, beat_times_s=tuple(beats), downbeat_times_s=tuple(beats[::4]), bpm=122.2)
    start = beats[8]
    cuts = tuple(float(b - start) for b in beats[10:50:3])
    plan = plan_sync(cut_times_s=cuts, video_duration_s=20.0, track=track)
    assert plan.cuts_on_beat_ratio >= 0.8


def test_long_video_loops_on_bars_without_breaking_the_beat() -> None:
    track = grid_features(bpm=120, duration_s=30, first_beat_s=0.0)
    cuts = tuple(float(t) for t in np.arange(2.0, 70.0, 2.0))
    plan = plan_sync(cut_times_s=cuts, video_duration_s=70.0, track=track)
    assert plan.loops >= 2
    for seg in plan.segments[1:]:
        assert seg.crossfade_in_s > 0
        # each repeat reaches a downbeat exactly when its crossfade ends
        assert np.min(np.abs(np.array(track.downbeat_times_s) - (seg.source_start_s + seg.crossfade_in_s))) < 1e-6
    covered = max(s.timeline_start_s + s.duration_s for s in plan.segments)
    assert covered >= 70.0 - 1e-6
    gaps = np.diff(plan.music_beats_on_timeline_s)
    assert np.all(np.abs(gaps - 0.5) < 0.01), "the beat grid must run on through every loop join"
    assert plan.cuts_on_beat_ratio >= 0.8


def test_beatless_track_starts_at_the_music() -> None:
    from dataclasses import replace

    track = replace(grid_features(duration_s=20.0, leading_silence_s=1.5), beat_times_s=(), downbeat_times_s=())
    plan = plan_sync(cut_times_s=(1.0, 2.0), video_duration_s=5.0, track=track)
    assert plan.offset_s == 1.5
    assert plan.cuts_on_beat == 0


def test_no_cuts_gives_full_ratio_and_fades() -> None:
    plan = plan_sync(cut_times_s=(), video_duration_s=6.0, track=grid_features())
    assert plan.cuts_total == 0
    assert plan.cuts_on_beat_ratio == 1.0
    assert plan.fade_out_s > 0
    assert plan.segments[0].duration_s == 6.0


def test_a_fixed_start_is_respected_and_loops_if_needed() -> None:
    track = grid_features(bpm=120, duration_s=30, first_beat_s=0.0)
    plan = plan_sync(cut_times_s=(1.0, 2.0), video_duration_s=10.0, track=track, offset_s=12.0)
    assert plan.offset_s == 12.0
    assert plan.loops == 0
    late = plan_sync(cut_times_s=(), video_duration_s=25.0, track=track, offset_s=20.0)
    assert late.offset_s == 20.0
    assert late.loops >= 1


def test_skip_intro_lands_on_the_first_loud_downbeat() -> None:
    from dataclasses import replace

    from bot.media.sync import intro_end_s

    base = grid_features(bpm=120, duration_s=30, first_beat_s=0.0)
    energy = tuple([0.1] * 8 + [0.8] * 52)  # quiet for 4 s (hop 0.5 s), then the body
    track = replace(base, energy_curve=energy)
    assert intro_end_s(track) == 4.0
