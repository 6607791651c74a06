"""The reference-picture pass: non-reference pictures found from NAL headers, and a cut on one of them
(left out of the pass or not) placed to the frame."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import imageio_ffmpeg
import pytest

from bench.analysis_matrix import MATRIX, make_matrix_clip, match_cuts
from bot.media.frame_features import DecodedFrames
from bot.media.packet_index import PacketIndex, read_packet_index
from bot.media.probe import probe_media
from bot.media.ref_decode import decode_refs, refs_plan
from bot.media.sparse_decode import decode_sparse
from bot.media.video_analysis import analyse_video
from bot.media.video_decode import Progress, StreamContext

FPS = 30
CUT = 32
"""Display index of the cut: with two B-frames between anchors (``b-adapt=0``) a non-reference B."""
FRAMES = 75


def _make(path: Path, video_args: list[str]) -> Path:
    graph = (
        f"testsrc2=s=320x180:r={FPS},trim=end_frame={CUT},setpts=PTS-STARTPTS[a];"
        f"mandelbrot=s=320x180:r={FPS},trim=end_frame={FRAMES - CUT},setpts=PTS-STARTPTS[b];"
        "[a][b]concat=n=2:v=1:a=0,format=yuv420p[out0]"
    )
    args = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", graph]
    subprocess.run([*args, "-frames:v", str(FRAMES), *video_args, str(path)], check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def b_frame_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    x264 = "bframes=2:b-adapt=0:b-pyramid=none:scenecut=0:keyint=60:min-keyint=60"
    return _make(
        tmp_path_factory.mktemp("refs") / "b.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-x264-params", x264]
    )


def _index(path: Path) -> PacketIndex:
    info = probe_media(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        index = read_packet_index(container, stream, StreamContext.from_stream(stream, info))
    assert index is not None
    return index


def _decoded_without_nonref(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONREF"
        return sum(1 for _ in container.decode(stream))


@pytest.mark.parametrize(
    "video_args",
    [
        ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3"],
        ["-c:v", "libx265", "-preset", "superfast", "-x265-params", "log-level=error", "-tag:v", "hvc1"],
        ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"],
    ],
    ids=["h264-b-pyramid", "hevc", "h264-p-only"],
)
def test_non_reference_pictures_are_the_ones_the_decoder_skips(tmp_path: Path, video_args: list[str]) -> None:
    path = _make(tmp_path / "clip.mp4", video_args)
    index = _index(path)
    assert int(index.nonref.sum()) == index.n - _decoded_without_nonref(path)
    assert not index.nonref[index.key].any()


def test_a_cut_on_a_non_reference_b_frame_is_found_exactly(b_frame_clip: Path) -> None:
    index = _index(b_frame_clip)
    assert index.nonref[index.order[CUT]], "the test clip's cut frame should be a non-reference B-frame"
    result = analyse_video(probe_media(b_frame_clip), strategy="refs")
    assert result.cut_times_s == (pytest.approx(CUT / FPS, abs=1e-3),)
    assert result.frames_decoded < FRAMES  # some B-frames were left out
    assert result.frames_decoded >= FRAMES - int(index.nonref.sum())


def test_a_left_out_run_hiding_a_cut_is_decoded_again(b_frame_clip: Path) -> None:
    """No packet-size hint at all (ratios zeroed): the run holding the cut is left out of the pass,
    its two sides differ, and it is decoded again from its keyframe; the cut lands on its frame."""
    index = _index(b_frame_clip)
    index.ratio[:] = 0.0
    assert not refs_plan(index)[index.order[CUT]]
    frames = DecodedFrames()
    with av.open(str(b_frame_clip)) as container:
        outcome = decode_refs(container, container.streams.video[0], index, frames, Progress(None))
    assert outcome.failed >= 1
    assert outcome.cuts == [CUT]
    assert CUT in frames.decoded and CUT - 1 in frames.decoded


def test_the_sparse_strategy_hands_over_to_the_pass_past_its_budget(tmp_path: Path) -> None:
    """Over budget at once, the sparse strategy leaves the rest to the reference-picture pass (as "auto"
    does on moving footage): the decoder it opened is reused and the cuts are exact."""
    spec = next(s for s in MATRIX if s.name == "phone")
    path, truth = make_matrix_clip(spec, tmp_path, size=(320, 180), duration_s=8.0, shot_s=1.1)
    info = probe_media(path)
    frames = DecodedFrames()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        index = read_packet_index(container, stream, StreamContext.from_stream(stream, info))
        assert index is not None and index.nonref.any()
        outcome = decode_sparse(container, stream, index, frames, Progress(None), budget=0.0, rest_by_refs=True)
    assert outcome.completed
    found = [index.time_of_display(d) for d in outcome.cuts if d > 0]
    exact, missed, false, _worst = match_cuts(found, truth)
    assert (exact, missed, false) == (len(truth.times_s), 0, 0)
