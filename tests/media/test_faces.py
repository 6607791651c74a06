"""Faces in reframing: a real face (scikit-image's astronaut picture) stays in the 9:16 window while a bright box
moves on the other side; a clip without a face is reframed as before; no OpenCV, no faces, no error."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench.face_scenes import FPS, FRAME, SCENES, Scene, write_scene
from bot.config import get_settings
from bot.media.faces import add_faces, face_finder, steady_faces
from bot.media.montage import analyse_items
from bot.media.probe import probe_media
from bot.media.reframe import CropPath, plan_reframe
from bot.media.timeline import OutputSettings, Segment

WINDOW_RATIO = (FRAME[1] * 9 / 16) / FRAME[0]
DURATION_S = 4.0


def _scene(name: str) -> Scene:
    return next(s for s in SCENES() if s.name.startswith(name))


def _share_kept(scene: Scene, path: CropPath, *, boxes: str) -> float:
    """Share of frames whose window keeps a face (or the box) at least 90 % inside, along x."""
    window = WINDOW_RATIO * FRAME[0]
    kept = total = 0
    for i in range(round(DURATION_S * FPS)):
        t = i / FPS
        left = float(np.interp(t, path.times_s, path.positions)) * (FRAME[0] - window)
        targets = scene.faces_at(t) if boxes == "face" else [b for b in [scene.box_at(t)] if b]
        total += 1
        kept += any(max(0.0, min(x + w, left + window) - max(x, left)) / w >= 0.9 for x, _y, w, _h in targets)
    return kept / total


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("faces")
    return {
        name: write_scene(_scene(name), folder / f"{n}.mp4", duration_s=DURATION_S)
        for n, name in enumerate(("face moving slowly", "no face: box"))
    }


def _plan(clip: Path, *, faces: bool) -> CropPath:
    info = probe_media(clip, settings=get_settings())
    return plan_reframe(info, window_ratio=WINDOW_RATIO, axis="x", cut_times_s=(), faces=faces)


def test_a_face_stays_in_the_window_where_motion_alone_loses_it(clips: dict[str, Path]) -> None:
    assert face_finder() is not None, "opencv-python-headless is a main dependency"
    scene = _scene("face moving slowly")
    clip = clips["face moving slowly"]
    assert _share_kept(scene, _plan(clip, faces=False), boxes="face") < 0.5, "the bright box wins without faces"
    assert _share_kept(scene, _plan(clip, faces=True), boxes="face") >= 0.95


def test_without_a_face_the_window_follows_the_motion_as_before(clips: dict[str, Path]) -> None:
    clip = clips["no face: box"]
    with_faces, without = _plan(clip, faces=True), _plan(clip, faces=False)
    assert with_faces == without
    assert _share_kept(_scene("no face: box"), with_faces, boxes="box") >= 0.8


def test_a_lone_detection_is_dropped_and_a_face_centres_the_window() -> None:
    face = (0.70, 0.3, 0.1, 0.18)
    seen = steady_faces([0.0, 1.0, 2.0, 3.0, 4.0], [[], [face], [], [], [face, (0.1, 0.1, 0.1, 0.1)]])
    assert seen == [[], [], [], [], []], "a face seen once (and not 1.2 s around) is noise"
    profile = np.ones((1, 100))
    profile[0, 10:20] = 50.0  # a bright thing on the left
    bumped = add_faces([0.0], profile, [0.0], [[face]], axis="x")
    assert int(bumped[0].argmax()) in (74, 75), "the columns either side of the face's centre"
    assert float(bumped[0].sum()) == pytest.approx(2.5 * float(profile.sum()))


def test_without_opencv_reframing_goes_on_without_faces(clips: dict[str, Path]) -> None:
    code = (
        "import sys, logging\n"
        "sys.modules['cv2'] = None  # as if opencv-python-headless were not installed\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from bot.media.probe import probe_media\n"
        "from bot.media.reframe import plan_reframe\n"
        f"path = plan_reframe(probe_media({str(clips['face moving slowly'])!r}), window_ratio={WINDOW_RATIO},"
        " axis='x', cut_times_s=())\n"
        "print(path.positions[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert "reframing without faces: OpenCV is not importable" in done.stderr
    without = _plan(clips["face moving slowly"], faces=False)
    assert float(done.stdout.split()[-1]) == pytest.approx(without.positions[0], abs=1e-4)


def test_a_films_crop_keeps_the_face_too(clips: dict[str, Path]) -> None:
    """The footage pass looks for faces once a second; the film's 9:16 window is pulled to them as a clip's is."""
    scene = _scene("face moving slowly")
    clip = clips["face moving slowly"]
    analysis = analyse_items([clip], get_settings())
    footage = analysis.footage[str(clip)]
    assert footage.saliency is not None and footage.saliency.face_times and any(footage.saliency.faces)
    segment = Segment(
        source=str(clip), kind="video", source_start_s=0.0, source_end_s=DURATION_S, start_s=0.0, end_s=DURATION_S
    )
    output = OutputSettings(aspect="9:16", fit="crop", reframe="subject")
    with_faces = analysis.crop_paths([segment], (1080, 1920), output)[0]
    blind = replace(footage, saliency=replace(footage.saliency, face_times=(), faces=()))
    without = replace(analysis, footage={**analysis.footage, str(clip): blind}).crop_paths(
        [segment], (1080, 1920), output
    )[0]
    assert _share_kept(scene, with_faces, boxes="face") >= 0.95
    assert _share_kept(scene, without, boxes="face") < 0.5, "the bright box wins without faces"
