"""A montage crops its clips around their subject (as a single clip does), and takes HEIC photos."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import pytest

from bot.config import get_settings
from bot.media.items import probe_item
from bot.media.library import loaded_library
from bot.media.montage import analyse_items, first_montage
from bot.media.pipeline import render_timeline
from tests.mediagen import make_clip, make_photo

SUBJECT = 50


@pytest.fixture(scope="module")
def subject_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dark 640x360 frame with a white square wandering along its left third (as tests/media/test_reframe.py)."""
    source = (
        f"color=c=0x101010:s=640x360:r=30:d=6[bg];color=c=white:s={SUBJECT}x{SUBJECT}:r=30:d=6[fg];"
        "[bg][fg]overlay=x='40+40*sin(t)':y='150+100*sin(1.3*t)':shortest=1[out0]"
    )
    return make_clip(
        tmp_path_factory.mktemp("framing") / "subject.mp4", duration_s=6.0, video_source=source, audio=None
    )


def _share_with_subject(film: Path, start_s: float, end_s: float, scale: float) -> float:
    """The share of the film's frames between ``start_s`` and ``end_s`` showing most of the white square
    (``scale``: the film's pixels per source pixel)."""
    seen = total = 0
    with av.open(str(film)) as container:
        for frame in container.decode(video=0):
            if frame.time is None or not start_s - 1e-3 <= frame.time < end_s - 1e-3:
                continue
            grey = frame.to_ndarray(format="gray")
            total += 1
            seen += int((grey > 200).sum() >= 0.6 * (SUBJECT * scale) ** 2)
    assert total > 0
    return seen / total


@pytest.mark.parametrize(("reframe", "kept"), [("subject", True), ("centre", False)])
def test_a_vertical_montage_follows_the_subject(subject_clip: Path, tmp_path: Path, reframe: str, kept: bool) -> None:
    photo = make_photo(tmp_path / "photo.jpg", size=(360, 640))
    analysis = analyse_items([subject_clip, photo], get_settings())
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt=None, duration_s=6.0, aspect="9:16")
    timeline = replace(timeline, output=replace(timeline.output, reframe=reframe))
    film = tmp_path / "film.mp4"
    outcome = render_timeline(timeline, analysis, library, output_path=str(film))
    assert (outcome.width, outcome.height) == (360, 640)
    clip = timeline.segments[0]
    assert clip.kind == "video" and clip.duration_s >= 1.5
    share = _share_with_subject(film, clip.start_s, clip.end_s, scale=640 / 360)
    if kept:
        assert share >= 0.95, share
    else:
        assert share < 0.5, share


def test_a_heic_photo_is_taken(tmp_path: Path) -> None:
    """This FFmpeg and PyAV decode HEIC (HEVC in a HEIF container); the file is written by pillow-heif."""
    pillow_heif = pytest.importorskip("pillow_heif")
    from PIL import Image

    jpeg = make_photo(tmp_path / "source.jpg", size=(640, 480))
    heic = tmp_path / "photo.heic"
    with Image.open(jpeg) as picture:
        pillow_heif.from_pillow(picture).save(str(heic), quality=90)
    item = probe_item(heic, get_settings())
    assert (item.kind, item.width, item.height) == ("photo", 640, 480)
    clip = make_clip(tmp_path / "clip.mp4", duration_s=3.0, size=(320, 180), audio=None)
    analysis = analyse_items([clip, heic], get_settings())
    assert not analysis.skipped
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt=None, duration_s=5.0, aspect="16:9")
    assert [segment.kind for segment in timeline.segments] == ["video", "photo"]
    film = tmp_path / "film.mp4"
    render_timeline(timeline, analysis, library, output_path=str(film))
    photo = timeline.segments[1]
    with av.open(str(film)) as container:
        shown = [
            frame.to_ndarray(format="gray")
            for frame in container.decode(video=0)
            if frame.time is not None and photo.start_s + 0.2 <= frame.time < photo.end_s - 0.2
        ]
    assert shown and all(picture.std() > 20 for picture in shown), "the test card, not a blank frame"
