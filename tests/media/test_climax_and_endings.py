"""The track's big moment on the clip's climax, and endings that are the track's own or start on a bar."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bot.media.models import ENERGY_HOP_S
from bot.media.sync import clip_climax_s, natural_end_s, on_timeline, plan_sync, track_peak_s
from tests.media.factories import grid_features


def _with_energy(features, curve):  # type: ignore[no-untyped-def]
    return replace(features, energy_curve=tuple(float(x) for x in curve))


def _rise_at(seconds: float, duration_s: float = 60.0):  # type: ignore[no-untyped-def]
    n = int(duration_s / ENERGY_HOP_S)
    t = np.arange(n) * ENERGY_HOP_S
    return _with_energy(grid_features(duration_s=duration_s), np.where(t < seconds, 0.3, 0.9))


def test_the_strongest_rise_is_found_on_a_downbeat() -> None:
    track = _rise_at(20.0)
    peak = track_peak_s(track)
    assert peak is not None and abs(peak - 20.0) <= 60.0 / track.bpm * track.beats_per_bar / 2
    assert min(abs(d - peak) for d in track.downbeat_times_s) < 1e-6
    assert track_peak_s(grid_features()) is None, "a flat track has no big moment"


def test_a_pinned_moment_lands_where_asked() -> None:
    track = _rise_at(20.0)
    plan = plan_sync(cut_times_s=(), video_duration_s=15.0, track=track, hit_at_s=6.0)
    assert plan.hit_at_s == pytest.approx(6.0, abs=0.01)
    assert plan.track_peak_s == pytest.approx(plan.offset_s + 6.0, abs=0.01)


def test_the_big_moment_lands_on_the_densest_cuts_within_a_beat() -> None:
    track = _rise_at(24.0)
    beat = 60.0 / track.bpm
    sparse = [1.0, 4.0]
    dense = [round(9.0 + k * beat, 4) for k in range(6)]  # six cuts on beats, 9.0-11.5 s
    cuts = (*sparse, *dense, 16.0)
    climax = clip_climax_s(cuts, 20.0)
    assert climax is not None and 9.0 <= climax <= 11.5
    plan = plan_sync(cut_times_s=cuts, video_duration_s=20.0, track=track)
    assert plan.hit_at_s is not None and abs(plan.hit_at_s - climax) <= beat
    best_without_wish = plan_sync(cut_times_s=cuts, video_duration_s=20.0, track=grid_features(duration_s=60.0))
    assert plan.cuts_on_beat >= best_without_wish.cuts_on_beat, "never at the cost of cuts on beats"


def test_a_track_that_rings_out_ends_on_the_last_frame() -> None:
    duration = 40.0
    n = int(duration / ENERGY_HOP_S)
    curve = np.full(n, 0.8)
    curve[-5:] = [0.7, 0.5, 0.3, 0.15, 0.05]  # a final chord decaying over 2.5 s
    track = _with_energy(grid_features(duration_s=duration), curve)
    assert natural_end_s(track) == pytest.approx(duration)
    plan = plan_sync(cut_times_s=(), video_duration_s=12.0, track=track)
    assert plan.ending == "natural"
    assert plan.offset_s + 12.0 == pytest.approx(duration, abs=0.02)
    faded = _with_energy(grid_features(duration_s=duration), np.linspace(0.8, 0.0, n))
    assert natural_end_s(faded) is None, "a long fade-out is no ending to land on"


def test_otherwise_the_music_fades_from_a_bar_line() -> None:
    track = grid_features(duration_s=60.0)
    plan = plan_sync(cut_times_s=(), video_duration_s=20.3, track=track)
    assert plan.ending == "bar_fade"
    fade_start = plan.video_duration_s - plan.fade_out_s
    bars = on_timeline(track.downbeat_times_s, plan.segments)
    assert min(abs(b - fade_start) for b in bars) < 1e-6
