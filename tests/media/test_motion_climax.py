"""The track's big moment on the motion peak: a clip without telling cuts, and a film cut on beats."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.config import get_settings
from bot.media.film_climax import film_climax_s
from bot.media.library import loaded_library
from bot.media.models import ENERGY_HOP_S, AudioFeatures
from bot.media.montage import analyse_items, first_montage, plan_montage
from bot.media.motion_peak import motion_peak_s
from bot.media.pipeline import analyse_clip, render_timeline
from bot.media.sync import plan_sync, track_peak_s
from bot.media.timeline import MusicTrack, OutputSettings, Segment
from tests.media.factories import grid_features
from tests.mediagen import make_clip

PAN_FROM_S, PAN_TO_S = 12.0, 15.0
"""The generated clip stands still but for a fast pan between these times: its motion peaks at 13.5 s."""
SEGMENT_FIELDS = ("source", "kind", "source_start_s", "source_end_s", "start_s", "end_s")
STEP_S = 0.25
"""The motion peak is looked for in quarter-second steps."""


def _pan_between(duration_s: float, start_s: float, end_s: float, size: tuple[int, int] = (160, 90)) -> str:
    w, h = size
    moved = f"{2 * w}*clip((t-{start_s})/({end_s}-{start_s}),0,1)"
    return f"testsrc2=s={3 * w}x{h}:r=30:d={duration_s},crop={w}:{h}:x='{moved}':y=0"


def _drift(duration_s: float, speed: float, size: tuple[int, int] = (160, 90)) -> str:
    """A diagonal pan over a fractal at ``speed`` pixels a second (6: all but still; 60: busy)."""
    w, h = size
    return (
        f"mandelbrot=s={3 * w}x{3 * h}:r=30,trim=duration={duration_s},"
        f"crop={w}:{h}:x='min(t*{speed},{2 * w})':y='min(t*{speed / 2},{2 * h})'"
    )


def _rise_at(seconds: float, duration_s: float = 60.0) -> AudioFeatures:
    n = int(duration_s / ENERGY_HOP_S)
    t = np.arange(n) * ENERGY_HOP_S
    curve = np.where(t < seconds, 0.3, 0.9)
    return replace(grid_features(duration_s=duration_s), energy_curve=tuple(float(x) for x in curve))


def test_even_motion_has_no_peak() -> None:
    times = np.arange(0.0, 20.0, 1 / 30)
    assert motion_peak_s(times.tolist(), [0.02] * times.size, 20.0) is None
    assert motion_peak_s(times.tolist(), [0.0] * times.size, 20.0) is None, "a still clip has no climax"
    busy = np.where((times > 5) & (times < 7), 0.05, 0.01)
    peak = motion_peak_s(times.tolist(), busy.tolist(), 20.0)
    assert peak is not None and abs(peak - 6.0) <= STEP_S


def test_the_big_moment_lands_on_a_clips_motion_peak(tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "pan.mp4", duration_s=20.0, video_source=_pan_between(20.0, PAN_FROM_S, PAN_TO_S), audio=None
    )
    video = analyse_clip(str(clip), settings=get_settings()).video
    assert video.cut_times_s == (), "no cuts: the densest cuts cannot say where the action peaks"
    known = (PAN_FROM_S + PAN_TO_S) / 2
    assert video.motion_peak_s is not None and abs(video.motion_peak_s - known) <= 2 * STEP_S
    track = _rise_at(30.0)
    beat = 60.0 / track.bpm
    plan = plan_sync(cut_times_s=(), video_duration_s=20.0, track=track, motion_peak_s=video.motion_peak_s)
    assert plan.hit_at_s is not None and plan.track_peak_s == pytest.approx(track_peak_s(track))
    assert abs(plan.hit_at_s - video.motion_peak_s) <= beat + 1e-3, "within a beat of the measured peak"
    assert abs(plan.hit_at_s - known) <= beat + 2 * STEP_S, "and of the generated one"
    unaimed = plan_sync(cut_times_s=(), video_duration_s=20.0, track=track)
    assert unaimed.hit_at_s is None, "without a climax nothing is aimed (or claimed)"


def test_a_film_lays_the_big_moment_on_its_motion_peak_unpinned(tmp_path: Path) -> None:
    still = [make_clip(tmp_path / f"still{n}.mp4", duration_s=5.0, video_source=_drift(5.0, 6)) for n in range(2)]
    busy = make_clip(tmp_path / "busy.mp4", duration_s=5.0, video_source=_drift(5.0, 60))
    analysis = analyse_items([still[0], busy, still[1]], get_settings())
    track = _rise_at(36.0)
    music = MusicTrack.from_library("rise", "Rise")
    film = plan_montage(analysis, track, music=music, length_s=14.0, output=OutputSettings(aspect="16:9"))
    climax = film_climax_s(analysis.footage, film.segments)
    busy_piece = next(s for s in film.segments if s.source == str(busy))
    assert climax is not None and busy_piece.start_s <= climax <= busy_piece.end_s, "the busy clip is the climax"
    assert film.music is not None and film.music.start_offset_s is not None
    peak = track_peak_s(track)
    assert peak is not None
    beat = 60.0 / track.bpm
    assert abs(peak - film.music.start_offset_s - climax) <= beat + 1e-3, "the moment lands within a beat"
    flat = plan_montage(analysis, grid_features(duration_s=60.0), music=music, length_s=14.0, output=film.output)
    assert flat.music is not None and flat.music.start_offset_s != film.music.start_offset_s


@pytest.fixture(scope="module")
def film_items(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("climax_film")
    return [
        make_clip(root / "calm1.mp4", duration_s=5.0, video_source=_drift(5.0, 6), audio=None),
        make_clip(root / "busy.mp4", duration_s=5.0, video_source=_drift(5.0, 60), audio=None),
        make_clip(root / "calm2.mp4", duration_s=5.0, video_source=_drift(5.0, 6), audio=None),
    ]


def test_a_rendered_film_reports_where_its_moment_landed(film_items: list[Path], tmp_path: Path) -> None:
    analysis = analyse_items(film_items, get_settings())
    library = loaded_library()
    track = next((t for t in library.tracks if t.title == "Calm Acoustic 1"), None)
    assert track is not None and track_peak_s(track.features) is not None, "the library's track with a rise"
    film = first_montage(analysis, library, prompt=None, duration_s=12.0, aspect="16:9", track=track)
    climax = film_climax_s(analysis.footage, film.segments)
    assert climax is not None
    outcome = render_timeline(film, analysis, library, output_path=str(tmp_path / "film.mp4"))
    beat = 60.0 / track.features.bpm
    assert outcome.hit_at_s is not None and abs(outcome.hit_at_s - climax) <= beat + 1e-3
    assert outcome.track_peak_s == pytest.approx(track_peak_s(track.features), abs=1e-3)
    assert outcome.why is not None and not outcome.why.hit_pinned
    assert "where the action peaks" in outcome.reason


def test_the_films_json_says_where_its_moment_landed(
    film_items: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    out = tmp_path / "cli.mp4"
    assert (
        main(["montage", *map(str, film_items), "-o", str(out), "--duration", "12", "--prompt", "happy", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    track = loaded_library().get(data["track"]["id"])
    assert track is not None
    peak = track_peak_s(track.features)
    if peak is None:
        assert data["hit_at_s"] is None and data["track_peak_s"] is None, "no rise: nothing claimed"
        pytest.skip("the happy pick has no big moment to lay")
    segments = tuple(Segment(**{k: s[k] for k in SEGMENT_FIELDS}) for s in data["segments"])
    climax = film_climax_s(analyse_items(film_items, get_settings()).footage, segments)
    assert climax is not None
    assert data["track_peak_s"] == pytest.approx(peak, abs=1e-3)
    assert abs(data["hit_at_s"] - climax) <= 60.0 / track.features.bpm + 1e-3
