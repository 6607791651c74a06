"""Sources whose pixels are not what phones play: H.264 in 4:4:4 or 10-bit is re-encoded rather than copied,
and non-square pixels (HDV, DVD, some broadcast clips) are shown at their real shape after any crop."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from bot.config import get_settings
from bot.media.library import loaded_library
from bot.media.montage import analyse_items, first_montage
from bot.media.pipeline import render_timeline
from bot.media.probe import probe_media
from bot.media.render import display_size
from tests.media.rendering import render_file
from tests.mediagen import make_photo, run_ffmpeg

SECONDS = 3.0


def _encode(path: Path, *, pix_fmt: str, codec: str = "libx264") -> Path:
    run_ffmpeg(
        [
            "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=30:duration={SECONDS}",
            "-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}:sample_rate=48000",
            "-c:v", codec, "-preset", "ultrafast", "-pix_fmt", pix_fmt, "-c:a", "aac", "-shortest", str(path),
        ]
    )  # fmt: skip
    return path


def _pixel_format(path: Path) -> str:
    with av.open(str(path)) as container:
        return str(container.streams.video[0].codec_context.pix_fmt)


@pytest.mark.parametrize("pix_fmt", ["yuv444p", "yuv420p10le", "yuv422p"])
def test_h264_that_phones_cannot_play_is_re_encoded_not_copied(tmp_path: Path, pix_fmt: str) -> None:
    source = _encode(tmp_path / f"{pix_fmt}.mkv", pix_fmt=pix_fmt)
    info = probe_media(source)
    assert info.pixel_format == pix_fmt
    outcome = render_file(source, tmp_path / "out.mp4")
    assert not outcome.video_copied
    assert _pixel_format(tmp_path / "out.mp4") == "yuv420p"
    assert (outcome.width, outcome.height) == (320, 180)


def test_ordinary_h264_and_10_bit_hevc_are_still_copied(tmp_path: Path) -> None:
    plain = render_file(_encode(tmp_path / "plain.mp4", pix_fmt="yuv420p"), tmp_path / "plain-out.mp4")
    assert plain.video_copied
    hevc = _encode(tmp_path / "hevc10.mp4", pix_fmt="yuv420p10le", codec="libx265")
    outcome = render_file(hevc, tmp_path / "hevc-out.mp4")
    assert outcome.video_copied, "HEVC Main 10 is what phones record: it plays as it is"
    assert _pixel_format(tmp_path / "hevc-out.mp4") == "yuv420p10le"


@pytest.fixture(scope="module")
def anamorphic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A white square in the middle of a 16:9 picture, stored squeezed as 480x360 pixels of 4:3 shape (a grey
    square moves along the top, so a film takes it as footage, not a frozen picture)."""
    path = tmp_path_factory.mktemp("sar") / "anamorphic.mp4"
    run_ffmpeg(
        [
            "-f", "lavfi", "-i", f"color=c=0x383838:size=640x360:rate=30:duration={SECONDS}",
            "-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}:sample_rate=48000",
            "-vf",
            "drawbox=x=270:y=130:w=100:h=100:color=white:t=fill,"
            "drawbox=x='mod(300*t,560)':y=250:w=80:h=80:color=0x707070:t=fill,noise=alls=16:allf=t+u,scale=480:360,setsar=4/3",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
        ]
    )  # fmt: skip
    return path


def _white_box_shape(path: Path) -> tuple[float, float, float]:
    """Width / height of the white square as shown, and where its centre is (fractions of the frame)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        sar = float(stream.sample_aspect_ratio or 1)
        frame = next(container.decode(stream))
        luma = frame.to_ndarray(format="gray")
    ys, xs = np.nonzero(luma > 128)
    width = (xs.max() - xs.min() + 1) * sar
    height = ys.max() - ys.min() + 1
    return width / height, float(xs.mean()) / luma.shape[1], float(ys.mean()) / luma.shape[0]


def test_non_square_pixels_are_probed_and_shown_at_their_shape(anamorphic: Path) -> None:
    info = probe_media(anamorphic)
    assert info.sample_aspect == pytest.approx(4 / 3)
    assert display_size(info) == (640, 360)
    assert _white_box_shape(anamorphic)[0] == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(
    ("instructions", "size"),
    [(("vertical 9:16",), (360, 640)), (("square",), (360, 360)), (("title 'Day 1'",), (640, 360))],
)
def test_a_reshaped_render_of_non_square_pixels_keeps_shapes_round(
    anamorphic: Path, tmp_path: Path, instructions: tuple[str, ...], size: tuple[int, int]
) -> None:
    out = tmp_path / "out.mp4"
    outcome = render_file(anamorphic, out, instructions=instructions, reframe="centre")
    assert (outcome.width, outcome.height) == size
    ratio, x, y = _white_box_shape(out)
    assert ratio == pytest.approx(1.0, abs=0.06), "a square stays square (not squeezed to 3:4)"
    assert x == pytest.approx(0.5, abs=0.05) and y == pytest.approx(0.5, abs=0.05)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert float(stream.sample_aspect_ratio or 1) == pytest.approx(1.0)
        assert (stream.codec_context.width, stream.codec_context.height) == size


def test_a_film_shows_non_square_pixels_at_their_shape(anamorphic: Path, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "photo.jpg", size=(640, 360))
    analysis = analyse_items([anamorphic, photo], get_settings())
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt=None, duration_s=4.0, aspect="16:9")
    timeline = replace(timeline, output=replace(timeline.output, reframe="centre"))
    film = tmp_path / "film.mp4"
    render_timeline(timeline, analysis, library, output_path=str(film))
    assert timeline.segments[0].source == str(anamorphic)
    ratio, x, y = _white_box_shape(film)
    assert ratio == pytest.approx(1.0, abs=0.06)
    assert x == pytest.approx(0.5, abs=0.05) and y == pytest.approx(0.5, abs=0.05)
