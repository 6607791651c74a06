"""Inputs real users send that generated clips rarely are.

A clip trimmed without re-encoding (``ffmpeg -ss … -c copy``, gallery apps' quick trims) keeps the frames
before its start in the file behind an MP4 edit list; the decoder drops them. Such a clip is whole, not
damaged: its cuts are where they are shown and it renders like any other. An animated WebP (FFmpeg reads
still WebP only) is refused with its own sentence, not as a damaged picture."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from bot.config import get_settings
from bot.errors import InputRejected
from bot.media.items import probe_item
from bot.media.pipeline import analyse_clip
from tests.media.rendering import render_file
from tests.mediagen import make_clip, run_ffmpeg

TRIM_S = 1.3


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trimmed")
    source = make_clip(folder / "source.mp4", duration_s=8.0, cut_times_s=(2.0, 4.0, 6.0), audio="sine")
    out = folder / "trimmed.mp4"
    run_ffmpeg(["-ss", str(TRIM_S), "-i", str(source), "-c", "copy", str(out)])
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        stored = stream.frames
        shown = sum(1 for _ in container.decode(stream))
    assert stored > shown, "the trim starts inside a GOP: frames before it are stored and dropped"
    return out


def test_a_trimmed_clip_is_analysed_with_its_cuts_where_they_are_shown(trimmed: Path) -> None:
    analysis = analyse_clip(str(trimmed), settings=get_settings())
    assert analysis.info.duration_s == pytest.approx(8.0 - TRIM_S, abs=0.05)
    assert analysis.video.cut_times_s == pytest.approx((0.7, 2.7, 4.7), abs=0.04)


def test_a_trimmed_clip_renders(trimmed: Path, tmp_path: Path) -> None:
    outcome = render_file(trimmed, tmp_path / "out.mp4")
    assert outcome.duration_s == pytest.approx(8.0 - TRIM_S, abs=0.05)
    titled = render_file(trimmed, tmp_path / "titled.mp4", instructions=("title 'Day 1'",))
    with av.open(str(tmp_path / "titled.mp4")) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == round((8.0 - TRIM_S) * 30) and titled.duration_s == pytest.approx(8.0 - TRIM_S, abs=0.05)


def test_an_animated_webp_is_refused_with_its_own_reason(tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image")
    frames = [image.new("RGB", (64, 48), (40 * i, 80, 160)) for i in range(4)]
    animated = tmp_path / "moving.webp"
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100, loop=0)
    still = tmp_path / "still.webp"
    frames[0].save(still)
    with pytest.raises(InputRejected) as refused:
        probe_item(animated, get_settings())
    assert refused.value.key == "photo_animated_webp"
    assert probe_item(still, get_settings()).kind == "photo"
