"""Reframing follows the subject: a bright thing moving along one side stays in a 9:16 window."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from bot.config import get_settings
from bot.media.probe import probe_media
from bot.media.reframe import CropPath, plan_reframe, position_expression
from tests.media.rendering import render_file
from tests.mediagen import make_clip

SUBJECT = 50


def _subject_clip(path: Path, *, duration_s: float = 6.0) -> Path:
    """A dark 640x360 frame with a white square wandering along its left third."""
    source = (
        f"color=c=0x101010:s=640x360:r=30:d={duration_s}[bg];"
        f"color=c=white:s={SUBJECT}x{SUBJECT}:r=30:d={duration_s}[fg];"
        "[bg][fg]overlay=x='40+40*sin(t)':y='150+100*sin(1.3*t)':shortest=1[out0]"
    )
    return make_clip(path, duration_s=duration_s, video_source=source, audio=None)


def _share_with_subject(path: Path) -> float:
    """The share of frames in which most of the white square is visible."""
    seen = total = 0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            grey = frame.to_ndarray(format="gray")
            total += 1
            seen += int((grey > 200).sum() >= 0.6 * SUBJECT * SUBJECT)
    return seen / max(1, total)


@pytest.fixture(scope="module")
def subject_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _subject_clip(tmp_path_factory.mktemp("reframe") / "subject.mp4")


def test_the_reframed_window_keeps_the_subject_and_the_centre_does_not(subject_clip: Path, tmp_path: Path) -> None:
    followed = render_file(subject_clip, tmp_path / "followed.mp4", instructions=("vertical",))
    assert followed.reframe_travel is not None
    assert _share_with_subject(tmp_path / "followed.mp4") >= 0.95
    centred = render_file(subject_clip, tmp_path / "centred.mp4", instructions=("vertical",), reframe="centre")
    assert centred.reframe_travel is None
    assert _share_with_subject(tmp_path / "centred.mp4") < 0.5


def test_a_still_subject_holds_the_window_still(tmp_path: Path) -> None:
    source = (
        "color=c=0x101010:s=640x360:r=30:d=4[bg];color=c=white:s=50x50:r=30:d=4[fg];"
        "[bg][fg]overlay=x=500:y=150:shortest=1[out0]"
    )
    clip = make_clip(tmp_path / "still.mp4", duration_s=4.0, video_source=source, audio=None)
    path = plan_reframe(probe_media(clip, settings=get_settings()), window_ratio=0.32, axis="x", cut_times_s=())
    assert path.travel == pytest.approx(0.0, abs=1e-6)
    assert path.positions[0] > 0.8, "the window sits over the subject on the right"


def test_a_cut_starts_a_new_shot_and_the_expression_is_numbers_only() -> None:
    path = CropPath(axis="x", times_s=(0.0, 1.0, 2.0, 2.0, 3.0), positions=(0.1, 0.2, 0.2, 0.9, 0.9))
    expression = position_expression(path, free="(iw-ow)")
    assert "gte(t,2.000)" in expression
    assert set(expression) <= set("(iw-ow)*+-0123456789.,gtecliptsn")
    assert path.travel == pytest.approx(0.8)
