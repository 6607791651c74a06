"""Cut exactness on every clip of the benchmark's matrix, small; the strategy's fall-backs.

The clips are ``bench.analysis_matrix``'s recipes (same content, encoder settings, VFR timing) at
320x180 and 8 s with a shot every ~1.1 s (a 3-frame shot among them), so a GOP holds several cuts.
Every clip is analysed with every strategy ("refs": the reference-picture pass); "auto" would pick
"full" at this size. Speed is the benchmark's business (``python -m bench.analysis_matrix``): no timing
here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bench.analysis_matrix import MATRIX, MatrixClip, TrueCuts, clip_graph, make_matrix_clip, match_cuts
from bot.media.models import VideoAnalysis
from bot.media.probe import probe_media
from bot.media.video_analysis import Strategy, analyse_video

SIZE = (320, 180)
DURATION_S = 8.0
SHOT_S = 1.1


@pytest.fixture(scope="module")
def matrix_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("matrix")


def small_clip(spec: MatrixClip, folder: Path) -> tuple[Path, TrueCuts]:
    return make_matrix_clip(spec, folder, size=SIZE, duration_s=DURATION_S, shot_s=SHOT_S)


def assert_exact(result: VideoAnalysis, truth: TrueCuts) -> None:
    exact, missed, false, _worst = match_cuts(result.cut_times_s, truth)
    assert (missed, false) == (0, 0), f"found {result.cut_times_s}, true {truth.times_s}"
    assert exact == len(truth.times_s) == len(result.cut_times_s)


@pytest.mark.parametrize("strategy", ["full", "sparse", "refs"])
@pytest.mark.parametrize("spec", MATRIX, ids=[s.name for s in MATRIX])
def test_cuts_exact_on_every_matrix_clip(matrix_folder: Path, spec: MatrixClip, strategy: Strategy) -> None:
    path, truth = small_clip(spec, matrix_folder)
    assert len(truth.times_s) >= 3
    assert_exact(analyse_video(probe_media(path), strategy=strategy), truth)


def test_vfr_clip_reports_its_stored_times(matrix_folder: Path) -> None:
    """The VFR clip's cuts after its 20 fps stretch are not at ``frame / 30``: the stored times count."""
    spec = next(s for s in MATRIX if s.vfr)
    path, truth = small_clip(spec, matrix_folder)
    _graph, cut_frames, _n = clip_graph(spec, SIZE, DURATION_S, SHOT_S)
    nominal = [k / spec.fps for k in cut_frames]
    assert max(abs(t - n) for t, n in zip(truth.times_s, nominal, strict=True)) > 0.5
    assert_exact(analyse_video(probe_media(path), strategy="sparse"), truth)


def _mode_of(caplog: pytest.LogCaptureFixture) -> str:
    modes = [
        str(r.args[1])
        for r in caplog.records
        if r.name == "bot.media.video_analysis" and r.msg.startswith("analysed") and isinstance(r.args, tuple)
    ]
    assert modes, "no summary line logged"
    return modes[-1]


def test_over_budget_sparse_decodes_the_rest_whole_with_the_same_cuts(
    matrix_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A budget of nothing: the sparse strategy gives up after its first plan and decodes every
    frame it has not, and the result is the full decode's."""
    spec = next(s for s in MATRIX if s.name == "phone")
    path, truth = small_clip(spec, matrix_folder)
    info = probe_media(path)
    caplog.set_level(logging.INFO, logger="bot.media.video_analysis")
    capped = analyse_video(info, strategy="sparse", sparse_budget=0.0)
    assert _mode_of(caplog) == "sparse+rest"
    full = analyse_video(info, strategy="full")
    assert capped.cut_times_s == full.cut_times_s
    assert_exact(capped, truth)
    assert capped.frames_decoded >= truth.frames  # every frame, GOP heads perhaps twice


def test_unbounded_sparse_stays_sparse(matrix_folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = next(s for s in MATRIX if s.name == "screen")
    path, truth = small_clip(spec, matrix_folder)
    caplog.set_level(logging.INFO, logger="bot.media.video_analysis")
    result = analyse_video(probe_media(path), strategy="sparse")
    assert _mode_of(caplog) == "sparse"
    assert_exact(result, truth)


def test_auto_decodes_small_clips_fully(matrix_folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = next(s for s in MATRIX if s.name == "x264-defaults")
    path, truth = small_clip(spec, matrix_folder)
    caplog.set_level(logging.INFO, logger="bot.media.video_analysis")
    result = analyse_video(probe_media(path))
    assert _mode_of(caplog) == "full"
    assert result.frames_decoded == truth.frames
