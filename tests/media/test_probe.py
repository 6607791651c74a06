"""probe_media: the fields of a good file, and one clear sentence for every kind of bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import InputRejected
from bot.media.probe import probe_media
from tests.mediagen import make_clip, remux, run_ffmpeg, truncate_copy


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("probe")


@pytest.fixture(scope="module")
def stereo_clip(root: Path) -> Path:
    return make_clip(root / "stereo.mp4", duration_s=2.0, audio="sine", audio_channels=2)


def rejected(path: Path | str, **settings: float) -> str:
    with pytest.raises(InputRejected) as info:
        probe_media(path, settings=Settings(**settings) if settings else None)
    reason = info.value.reason
    assert reason.endswith((".", "!")) and "\n" not in reason, "one friendly sentence"
    return reason


def test_fields_of_a_plain_clip(stereo_clip: Path) -> None:
    info = probe_media(stereo_clip)
    assert info.path == str(stereo_clip)
    assert info.size_bytes == stereo_clip.stat().st_size
    assert "mp4" in info.container
    assert info.video_codec == "h264"
    assert (info.width, info.height) == (320, 180)
    assert info.fps == pytest.approx(30.0)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert info.rotation_deg == 0
    assert info.video_bit_rate > 0
    assert (info.audio_codec, info.audio_channels, info.audio_sample_rate) == ("aac", 2, 48000)
    assert info.has_audio


@pytest.mark.parametrize(("channels", "expected"), [(1, 1), (6, 6)])
def test_audio_channels(root: Path, channels: int, expected: int) -> None:
    clip = make_clip(root / f"ch{channels}.mp4", duration_s=1.0, audio="sine", audio_channels=channels)
    assert probe_media(clip).audio_channels == expected


def test_no_audio(root: Path) -> None:
    info = probe_media(make_clip(root / "silent.mp4", duration_s=1.0, audio=None))
    assert (info.audio_codec, info.audio_channels, info.audio_sample_rate, info.has_audio) == (None, 0, 0, False)


def test_other_fps_and_hevc(root: Path) -> None:
    clip = make_clip(
        root / "hevc.mp4",
        duration_s=1.0,
        fps=25,
        audio=None,
        vcodec="libx265",
        video_args=("-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"),
    )
    info = probe_media(clip)
    assert info.video_codec == "hevc"
    assert info.fps == pytest.approx(25.0)


@pytest.mark.parametrize("degrees", [90, 180, 270, -90])
def test_rotation_from_the_display_matrix(stereo_clip: Path, root: Path, degrees: int) -> None:
    """FFmpeg's sign (counter-clockwise, as ffprobe prints it), normalised to 0..270."""
    rotated = remux(stereo_clip, root / f"rot{degrees}.mp4", input_args=("-display_rotation", str(degrees)))
    info = probe_media(rotated)
    assert info.rotation_deg == degrees % 360
    assert (info.width, info.height) == (320, 180), "coded size; the rotation says how to show it"


def test_rotation_in_a_mov(stereo_clip: Path, root: Path) -> None:
    rotated = remux(stereo_clip, root / "rot.mov", input_args=("-display_rotation", "90"))
    assert probe_media(rotated).rotation_deg == 90


def test_animated_gif_is_a_video(root: Path) -> None:
    gif = root / "anim.gif"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x90:r=10:d=2", str(gif)])
    info = probe_media(gif)
    assert info.video_codec == "gif" and info.duration_s == pytest.approx(2.0, abs=0.15)


def test_motion_jpeg_in_matroska_is_a_video_not_a_still(root: Path) -> None:
    """Matroska doesn't count frames, so a still-image codec alone must not mean 'photo'."""
    clip = make_clip(root / "mjpeg.mkv", duration_s=1.0, vcodec="mjpeg", video_args=("-q:v", "5"), audio=None)
    assert probe_media(clip).video_codec == "mjpeg"


# ---- rejections --------------------------------------------------------------------------------


def test_missing_file(root: Path) -> None:
    assert "could not be found" in rejected(root / "nope.mp4")


def test_empty_file(root: Path) -> None:
    empty = root / "empty.mp4"
    empty.write_bytes(b"")
    assert "empty" in rejected(empty)


def test_text_renamed_to_mp4(root: Path) -> None:
    fake = root / "notes.mp4"
    fake.write_text("hello, this is not a video\n" * 20)
    assert "isn't a video" in rejected(fake)


def test_truncated_mp4_with_index_at_the_end(root: Path) -> None:
    """moov after mdat (no faststart): a cut-short upload has no index at all and will not open."""
    whole = make_clip(root / "moov_end.mp4", duration_s=3.0)
    cut = truncate_copy(whole, root / "moov_end_cut.mp4", 0.6)
    assert "damaged or incomplete" in rejected(cut)


def test_truncated_mp4_with_index_in_front(root: Path) -> None:
    """faststart: opens fine, but its index points past the end of the file."""
    whole = make_clip(root / "faststart.mp4", duration_s=3.0, extra_args=("-movflags", "+faststart"))
    probe_media(whole)
    cut = truncate_copy(whole, root / "faststart_cut.mp4", 0.6)
    assert "damaged or incomplete" in rejected(cut)


def test_audio_only(root: Path) -> None:
    song = root / "song.m4a"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=440:d=2", "-c:a", "aac", str(song)])
    reason = rejected(song)
    assert "no video track" in reason and "song" in reason


def test_mp3_with_cover_art_is_audio_only(root: Path) -> None:
    cover = root / "cover.png"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1", str(cover)])
    song = root / "song.mp3"
    inputs = ["-f", "lavfi", "-i", "sine=d=2", "-i", str(cover), "-map", "0", "-map", "1"]
    codecs = ["-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic"]
    run_ffmpeg([*inputs, *codecs, str(song)])
    assert "no video track" in rejected(song)


@pytest.mark.parametrize("name", ["still.png", "still.jpg", "still_png_renamed.mp4"])
def test_still_images(root: Path, name: str) -> None:
    path = root / name
    fmt = ["-c:v", "png", "-f", "image2"] if name.endswith(".mp4") else []
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180", "-frames:v", "1", *fmt, str(path)])
    assert "still image" in rejected(path)


def test_too_long(stereo_clip: Path) -> None:
    reason = rejected(stereo_clip, max_duration_s=1.0)
    assert "too long" in reason and "0:02" in reason and "0:01" in reason


def test_too_big(stereo_clip: Path) -> None:
    assert "too big" in rejected(stereo_clip, max_input_mb=0.01)


def test_too_many_pixels(stereo_clip: Path) -> None:
    assert "resolution (320x180) is too large" in rejected(stereo_clip, max_pixels=320 * 179)


def test_default_settings_allow_the_clip(stereo_clip: Path) -> None:
    probe_media(stereo_clip, settings=Settings(max_duration_s=2.5, max_pixels=320 * 180))


@pytest.mark.parametrize("size", [(1, 1), (8, 64), (1600, 16), (2000, 100)])
def test_degenerate_frames_are_refused(root: Path, size: tuple[int, int]) -> None:
    w, h = size
    clip = root / f"frame{w}x{h}.mkv"
    source = f"color=c=red:s={w}x{h}:r=10:d=1"
    make_clip(clip, duration_s=1.0, video_source=source, vcodec="ffv1", video_args=(), audio=None)
    with pytest.raises(InputRejected) as info:
        probe_media(clip)
    assert f"{w}x{h}" in info.value.reason and "too small or too thin" in info.value.reason
    assert f"{w}x{h}" in info.value.in_language("zh")
