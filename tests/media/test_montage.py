"""Several clips and photos, one film cut on the beats: the plan, conforming, photos and bad inputs."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import av
import numpy as np
import pytest

from bot.config import get_settings
from bot.errors import InputRejected
from bot.media.items import probe_item
from bot.media.library import loaded_library
from bot.media.montage import MontageAnalysis, analyse_items, first_montage
from bot.media.montage_render import FILM_FPS
from bot.media.pipeline import render_timeline
from tests.mediagen import make_clip, make_photo, pan_source, run_ffmpeg

CLIP_SIZE = (320, 180)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("montage-in")
    made = {
        "wide": make_clip(root / "wide.mp4", duration_s=6.0, size=CLIP_SIZE, cut_times_s=(3.0,), audio="sine"),
        "pan": make_clip(root / "pan.mp4", duration_s=5.0, video_source=pan_source(5.0, size=CLIP_SIZE), audio=None),
        "tall": make_clip(root / "tall.mp4", duration_s=4.0, size=(180, 320), fps=25, audio=None),
        "photo": make_photo(root / "photo.jpg", size=(400, 300)),
        "turned": make_photo(root / "turned.jpg", size=(400, 300), orientation=6, taken_at="2020:01:01 08:00:00"),
    }
    rotated = root / "rotated.mp4"
    run_ffmpeg(["-display_rotation", "90", "-i", str(made["wide"]), "-c", "copy", str(rotated)])
    made["rotated"] = rotated
    vfr = root / "vfr.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", f"testsrc2=s={CLIP_SIZE[0]}x{CLIP_SIZE[1]}:r=30:d=4",
         "-vf", "setpts='PTS+0.3*sin(N/3)/TB*0.01'", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast",
         str(vfr)]
    )  # fmt: skip
    made["vfr"] = vfr
    return made


def _analyse(paths: list[Path], order: str = "given") -> MontageAnalysis:
    return analyse_items(paths, get_settings(), order=order)


def test_every_cut_is_on_a_beat_and_the_film_ends_on_a_bar(inputs: dict[str, Path]) -> None:
    analysis = _analyse([inputs["wide"], inputs["pan"], inputs["photo"], inputs["tall"]])
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt="happy", duration_s=12.0, aspect="16:9")
    assert timeline.music is not None and timeline.music.grid is not None
    beats = _film_beats(timeline)
    segments = timeline.segments
    assert len(segments) == 4
    for cut in timeline.cut_times_s:
        assert np.min(np.abs(beats - cut)) <= 0.5 / FILM_FPS + 1e-3, f"cut at {cut} is off the beat"
    assert segments[0].start_s == 0.0
    for before, after in itertools.pairwise(segments):
        assert before.end_s == after.start_s
    assert abs(timeline.duration_s - 12.0) <= 4 * 60.0 / timeline.music.grid.bpm, "about the asked length"
    downbeats = _film_beats(timeline, downbeats=True)
    assert np.min(np.abs(downbeats - timeline.duration_s)) <= 0.5 / FILM_FPS + 1e-3, "ends on a bar line"
    for segment in segments:
        if segment.kind == "video":
            footage = analysis.footage[segment.source]
            assert any(
                a - 1e-3 <= segment.source_start_s and segment.source_end_s <= b + 1e-3 for a, b in footage.usable
            )
            assert not any(segment.source_start_s < cut < segment.source_end_s for _a, cut in footage.shots[:-1])


def test_more_usable_footage_gets_a_longer_share(inputs: dict[str, Path]) -> None:
    """Each clip gives one stretch inside one shot; the clip with more usable footage gets more of the film."""
    analysis = _analyse([inputs["tall"], inputs["pan"]])
    timeline = first_montage(analysis, loaded_library(), prompt=None, duration_s=8.0, aspect="16:9")
    tall, pan = timeline.segments
    assert analysis.footage[str(inputs["pan"])].usable_s > analysis.footage[str(inputs["tall"])].usable_s
    assert timeline.music is not None and timeline.music.grid is not None
    beat_s = 60.0 / timeline.music.grid.bpm
    assert pan.duration_s >= tall.duration_s - beat_s
    assert abs(timeline.duration_s - 8.0) <= 2 * beat_s * timeline.music.grid.beats_per_bar


def test_order_by_capture_time(inputs: dict[str, Path], tmp_path: Path) -> None:
    late = tmp_path / "late.mp4"
    run_ffmpeg(["-i", str(inputs["pan"]), "-c", "copy", "-metadata", "creation_time=2023-06-01T10:00:00Z", str(late)])
    given = [late, inputs["turned"], inputs["photo"]]
    by_time = _analyse(given, order="time")
    assert [Path(i.path).name for i in by_time.items] == ["turned.jpg", "late.mp4", "photo.jpg"]
    assert [Path(i.path).name for i in _analyse(given).items] == ["late.mp4", "turned.jpg", "photo.jpg"]


def test_exif_orientation_is_honoured(inputs: dict[str, Path]) -> None:
    item = probe_item(inputs["turned"], get_settings())
    assert item.kind == "photo" and (item.width, item.height) == (300, 400)


def test_mixed_inputs_are_conformed_to_one_film(inputs: dict[str, Path], tmp_path: Path) -> None:
    paths = [inputs["rotated"], inputs["wide"], inputs["vfr"], inputs["photo"], inputs["tall"]]
    analysis = _analyse(paths)
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt=None, duration_s=10.0, aspect="16:9")
    out = tmp_path / "film.mp4"
    outcome = render_timeline(timeline, analysis, library, output_path=str(out))
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        # the largest input's short side (the 400x300 photo), never upscaled past it, at 16:9
        assert (video.codec_context.width, video.codec_context.height) == (534, 300)
        assert video.average_rate == FILM_FPS
        frames = [f.time for f in container.decode(video=0)]
        audio = container.streams.audio
    assert len(frames) == round(timeline.duration_s * FILM_FPS)
    steps = np.diff(frames)
    assert np.allclose(steps, 1 / FILM_FPS, atol=1e-3), "constant frame rate"
    assert outcome.loudness_lufs == pytest.approx(-14.0, abs=1.0) and outcome.true_peak_dbtp <= -1.0
    assert outcome.cuts_on_beat_ratio == 1.0
    assert not outcome.video_copied
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.sample_rate == 48000
    assert audio


def test_photos_fill_the_frame_without_bars(inputs: dict[str, Path], tmp_path: Path) -> None:
    analysis = _analyse([inputs["turned"], inputs["photo"]])
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt=None, duration_s=6.0, aspect="16:9")
    out = tmp_path / "photos.mp4"
    render_timeline(timeline, analysis, library, output_path=str(out))
    with av.open(str(out)) as container:
        for k, frame in enumerate(container.decode(video=0)):
            if k % 15:
                continue
            grey = frame.to_ndarray(format="gray")
            for edge in (grey[:, :4], grey[:, -4:], grey[:4, :], grey[-4:, :]):
                assert edge.mean() > 20, "no black bars at the edges"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("empty.jpg", "empty"), ("text.jpg", "format"), ("short.mp4", "too short"), ("huge.png", "megapixels")],
)
def test_a_bad_item_is_skipped_with_its_reason(inputs: dict[str, Path], tmp_path: Path, name: str, reason: str) -> None:
    bad = tmp_path / name
    if name == "empty.jpg":
        bad.write_bytes(b"")
    elif name == "text.jpg":
        bad.write_text("this is not a picture\n")
    elif name == "short.mp4":
        make_clip(bad, duration_s=0.2, size=CLIP_SIZE, audio=None)
    else:
        import struct
        import zlib

        ihdr = struct.pack(">IIBBBBB", 20000, 10000, 8, 2, 0, 0, 0)
        chunk = b"IHDR" + ihdr
        bad.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)))
    analysis = _analyse([inputs["photo"], bad, inputs["wide"]])
    assert [Path(i.path).name for i in analysis.items] == ["photo.jpg", "wide.mp4"]
    (skipped,) = analysis.skipped
    assert Path(skipped.source).name == name and reason in skipped.reason


def test_an_animated_gif_is_a_clip(tmp_path: Path) -> None:
    gif = tmp_path / "anim.gif"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=200", "-frames:v", "2000", str(gif)])
    item = probe_item(gif, get_settings())
    assert item.kind == "video" and item.duration_s == pytest.approx(200.0, abs=1.0)


def test_nothing_usable_is_a_clear_sentence(tmp_path: Path) -> None:
    empty = tmp_path / "nothing.jpg"
    empty.write_bytes(b"")
    analysis = _analyse([empty])
    with pytest.raises(InputRejected, match="None of the files"):
        first_montage(analysis, loaded_library(), prompt=None)


def test_the_cli_contract(inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    out = tmp_path / "cli.mp4"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"")
    saved = tmp_path / "film.json"
    code = main(
        ["montage", str(inputs["wide"]), str(inputs["photo"]), str(bad), str(inputs["pan"]), "-o", str(out),
         "--duration", "8", "--aspect", "9:16", "--fit", "blur", "--title", "Day 1", "--timeline-out", str(saved),
         "--json"]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("output", "duration_s", "width", "height", "track", "reason", "segments", "cut_times",
                "cuts_on_beat_ratio", "skipped", "loudness_lufs", "elapsed_s"):  # fmt: skip
        assert key in data, key
    assert set(data["track"]) >= {"id", "title", "bpm", "moods"}
    assert data["output"] == str(out) and out.is_file()
    assert data["width"] < data["height"], "9:16"
    assert data["cuts_on_beat_ratio"] == 1.0
    assert [s["kind"] for s in data["segments"]] == ["video", "photo", "video"]
    assert set(data["segments"][0]) >= {"source", "source_start_s", "source_end_s", "start_s", "end_s", "kind"}
    assert data["skipped"] == [{"source": str(bad), "reason": data["skipped"][0]["reason"]}]
    assert "Video: 2 clips, 1 photo (0-" in data["timeline_summary"]
    assert len(json.loads(saved.read_text())["segments"]) == 3


def test_nothing_usable_through_the_cli_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    out = tmp_path / "none.mp4"
    assert main(["montage", str(empty), "-o", str(out)]) == 2
    assert not out.exists()
    assert "None of the files" in capsys.readouterr().err.strip().splitlines()[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jpg"], "nothing partial left behind"


def _film_beats(timeline: object, *, downbeats: bool = False) -> np.ndarray:
    from bot.media.sync import on_timeline, plan_sync
    from bot.media.timeline import Timeline

    assert isinstance(timeline, Timeline) and timeline.music is not None
    track = loaded_library().get(timeline.music.track_id or "")
    assert track is not None
    plan = plan_sync(
        cut_times_s=(),
        video_duration_s=timeline.duration_s + 4,
        track=track.features,
        offset_s=timeline.music.start_offset_s,
    )
    if downbeats:
        return np.asarray(on_timeline(track.features.downbeat_times_s, plan.segments))
    return np.asarray(plan.music_beats_on_timeline_s)


def test_a_photo_smaller_than_the_film_is_named_as_enlarged(inputs: dict[str, Path], tmp_path: Path) -> None:
    big = make_clip(tmp_path / "big.mp4", duration_s=4.0, size=(960, 540), audio=None)
    small = make_photo(tmp_path / "small.jpg", size=(320, 240))
    analysis = _analyse([big, small])
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt=None, duration_s=6.0, aspect="16:9")
    outcome = render_timeline(timeline, analysis, library, output_path=str(tmp_path / "film.mp4"))
    assert outcome.height == 540 and outcome.enlarged == (str(small),)
    assert outcome.to_json()["enlarged"] == [str(small)]


def test_each_item_gets_at_least_a_bar_when_there_is_room(inputs: dict[str, Path]) -> None:
    analysis = _analyse([inputs["wide"], inputs["pan"], inputs["photo"], inputs["tall"]])
    timeline = first_montage(analysis, loaded_library(), prompt="calm", duration_s=20.0, aspect="16:9")
    assert timeline.music is not None and timeline.music.grid is not None
    bar_s = timeline.music.grid.beats_per_bar * 60.0 / timeline.music.grid.bpm
    assert len(timeline.segments) == 4
    assert all(s.duration_s >= bar_s - 1.0 / FILM_FPS - 1e-3 for s in timeline.segments), timeline.segments


def test_clips_that_share_a_frame_rate_keep_it(tmp_path: Path) -> None:
    clips = [make_clip(tmp_path / f"pal{n}.mp4", duration_s=3.0, size=CLIP_SIZE, fps=25, audio=None) for n in (1, 2)]
    analysis = _analyse(clips)
    library = loaded_library()
    timeline = first_montage(analysis, library, prompt=None, duration_s=4.0, aspect="16:9")
    assert timeline.output.fps == 25
    assert all(round(s.start_s * 25, 6) == round(s.start_s * 25) for s in timeline.segments), "cuts on 25 fps frames"
    out = tmp_path / "pal.mp4"
    render_timeline(timeline, analysis, library, output_path=str(out))
    with av.open(str(out)) as container:
        assert container.streams.video[0].average_rate == 25
