"""Sampling a clip for a montage: shots, black, frozen, blurred and shaky parts, a cut between two busy shots."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import get_settings
from bot.media.footage import SAMPLE_FPS, Footage, best_stretch, sample_footage, sampling_windows
from bot.media.library import loaded_library
from bot.media.montage import analyse_items, first_montage
from tests.mediagen import make_clip


def test_a_cut_between_two_moving_shots_is_found(tmp_path: Path) -> None:
    """A whip of motion on both sides of a cut hides it from the picture difference; the colours tell it."""
    source = (
        "testsrc2=s=960x540:r=30:d=3,crop=320:180:x='min(t*200,600)':y='min(t*100,300)',noise=alls=30:allf=t[a];"
        "testsrc2=s=960x540:r=30:d=3,crop=320:180:x='min(t*200,600)':y='min(t*100,300)',hue=h=150,negate,"
        "noise=alls=30:allf=t[b];[a][b]concat=n=2:v=1:a=0[out0]"
    )
    clip = make_clip(tmp_path / "busy.mp4", duration_s=6.0, video_source=source, audio=None)
    footage = sample_footage(str(clip), 6.0)
    cuts = [end for _start, end in footage.shots[:-1]]
    assert len(cuts) == 1 and cuts[0] == pytest.approx(3.0, abs=0.2)
    stretch = best_stretch(footage, 2.0)
    assert stretch is not None and not (stretch[0] < cuts[0] < stretch[1]), "never across the clip's own cut"


def test_black_and_frozen_parts_are_not_usable(tmp_path: Path) -> None:
    source = (
        "color=c=black:s=320x180:r=30:d=2[a];testsrc2=s=320x180:r=30:d=2[b];"
        "testsrc2=s=320x180:r=30:d=1,tpad=stop_mode=clone:stop_duration=2[c];[a][b][c]concat=n=3:v=1:a=0[out0]"
    )
    clip = make_clip(tmp_path / "dull.mp4", duration_s=7.0, video_source=source, audio=None)
    footage = sample_footage(str(clip), 7.0)
    assert footage.usable, footage
    for start, end in footage.usable:
        assert start >= 1.9 and end <= 5.3, footage.usable


def _two_halves(path: Path, second: str) -> Path:
    """4 s of a slowly moving test card, then 4 s of the same card moving fast and spoiled by ``second``
    (a lavfi filter chain): without judging the picture, the busier second half would be chosen."""
    source = (
        "testsrc2=s=680x384:r=30:d=4,crop=640:360:x='t*5':y=12[a];"
        f"testsrc2=s=680x384:r=30:d=4,scroll=h=0.004,{second}[b];[a][b]concat=n=2:v=1:a=0[out0]"
    )
    return make_clip(path, duration_s=8.0, size=(640, 360), video_source=source, audio=None)


@pytest.fixture(scope="module")
def spoiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spoiled")
    return {
        "blurred": _two_halves(root / "blurred.mp4", "crop=640:360:x=20:y=12,gblur=sigma=6"),
        "shaken": _two_halves(root / "shaken.mp4", "crop=640:360:x='20+18*(2*random(1)-1)':y='12+10*(2*random(2)-1)'"),
    }


@pytest.mark.parametrize("kind", ["blurred", "shaken"])
def test_blurred_and_shaken_stretches_are_skipped(spoiled: dict[str, Path], kind: str) -> None:
    footage = sample_footage(str(spoiled[kind]), 8.0)
    assert footage.usable and all(end <= 4.0 + 1e-6 for _start, end in footage.usable), footage.usable
    stretch = best_stretch(footage, 2.0)
    assert stretch is not None and stretch[1] <= 4.0 + 1e-6


def test_the_plan_takes_the_sharp_and_steady_stretches(spoiled: dict[str, Path]) -> None:
    analysis = analyse_items([spoiled["blurred"], spoiled["shaken"]], get_settings())
    timeline = first_montage(analysis, loaded_library(), prompt=None, duration_s=6.0, aspect="16:9")
    assert [segment.source for segment in timeline.segments] == [str(spoiled["blurred"]), str(spoiled["shaken"])]
    for segment in timeline.segments:
        assert segment.source_end_s <= 4.0 + 1e-6, f"{segment.source} from {segment.source_start_s}"


def test_steady_motion_is_preferred_to_shake_and_sharp_to_soft() -> None:
    """The ranking itself, without the skipping: the same motion counts for less when shaky or soft."""
    times = tuple(i / 6 for i in range(24))
    footage = Footage(
        duration_s=4.0,
        times_s=times,
        motion=tuple([0.05] * 12 + [0.08] * 12),
        shots=((0.0, 4.0),),
        usable=((0.0, 4.0),),
        sharpness=tuple([1.0] * 24),
        jitter=tuple([0.0] * 12 + [0.015] * 12),
    )
    stretch = best_stretch(footage, 1.5)
    assert stretch is not None and stretch[1] <= 2.0 + 1e-6
    soft = replace(footage, jitter=tuple([0.0] * 24), sharpness=tuple([1.0] * 12 + [0.35] * 12))
    stretch = best_stretch(soft, 1.5)
    assert stretch is not None and stretch[1] <= 2.0 + 1e-6


def test_a_long_clip_is_sampled_only_in_windows_and_chosen_from_what_was_seen(tmp_path: Path) -> None:
    """Past ``dense_s`` seconds a clip is sampled in windows spread over it; its cuts are still found inside
    them, and no usable stretch reaches into footage that was not looked at."""
    source = (
        "testsrc2=s=320x180:r=30:d=12,scroll=h=0.003[a];"
        "testsrc2=s=320x180:r=30:d=12,hue=h=150,negate,scroll=v=0.003[b];[a][b]concat=n=2:v=1:a=0[out0]"
    )
    clip = make_clip(tmp_path / "long.mp4", duration_s=24.0, video_source=source, audio=None)
    windows = sampling_windows(24.0, 8.0)
    assert len(windows) >= 1 and sum(end - start for start, end in windows) == pytest.approx(8.0)
    footage = sample_footage(str(clip), 24.0, dense_s=8.0)
    assert len(footage.times_s) <= 8.0 * SAMPLE_FPS + len(windows), "only the windows are decoded and sampled"
    assert all(any(start - 1e-6 <= t < end for start, end in windows) for t in footage.times_s)
    assert footage.usable, footage
    for start, end in footage.usable:
        assert any(w_start - 1e-6 <= start and end <= w_end + 1e-6 for w_start, w_end in windows), footage.usable
        assert not (start < 12.0 < end), "never across the clip's own cut"
    whole = sample_footage(str(clip), 24.0)
    assert len(whole.times_s) > 2 * len(footage.times_s), "a clip within the budget is sampled throughout"
