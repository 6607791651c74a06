"""Sampling a clip for a montage: shots, black and frozen parts, and a cut between two busy shots."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.media.footage import best_stretch, sample_footage
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
