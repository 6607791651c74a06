"""``python -m bench.faces``: does a face detector make the 9:16 reframe keep faces, and at what cost? Tables.

Candidates install from PyPI alone with their model inside the wheel: OpenCV 4's Haar cascades
(``opencv-python-headless<5``; OpenCV 5 dropped ``CascadeClassifier`` and the cascade files) and
scikit-image's LBP frontal-face cascade (``skimage.feature.Cascade``; scikit-image is in the dev extra for its
public-domain face pictures). Each scene of ``bench/face_scenes.py`` (1280x720, 25 fps, 6 s) is reframed to
9:16 three ways: the centre, saliency alone (``plan_reframe(faces=False)``), saliency plus a detector's faces
(the adopted one through ``plan_reframe`` itself, the others through the same ``add_faces``). Score: the
share of frames whose window keeps a face box at least 90 % inside (on the no-face scenes the moving box, the
thing saliency follows, so "no harm" is measured the same way).

Costs: detector CPU ms per analysed frame (process time of the detect call alone); on the 60 s 1080p benchmark
clip, the CPU time of the video analysis and of the reframe pass without and with faces (same run); import +
model load time and the RSS they add (fresh interpreters); installed size. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.face_scenes import FPS, FRAME, Box, Scene, write_scene
from bench.table import markdown_table
from bot.media.faces import DETECT_LONG_SIDE, FaceBox, FaceFinder, add_faces, face_finder, steady_faces
from bot.media.footage import sampled_frames
from bot.media.models import MediaInfo
from bot.media.probe import probe_media
from bot.media.reframe import FACE_INTERVAL_S, SAMPLE_FPS, CropPath, _saliency, path_from_profile, plan_reframe

__all__ = ["main"]

DETECT_FPS = 1.0 / FACE_INTERVAL_S
KEEP_INSIDE = 0.9
WINDOW_RATIO = (FRAME[1] * 9 / 16) / FRAME[0]


@dataclass
class Detector:
    """A named face finder on grey pictures of ``long_side`` px (boxes as fractions of the picture)."""

    name: str
    load: Callable[[], FaceFinder | None]
    long_side: int
    package: str


def _haar(*, profile: bool, scale_step: float) -> Callable[[], FaceFinder | None]:
    def load() -> FaceFinder | None:
        import cv2
        import cv2.data

        cv2.setNumThreads(1)
        frontal = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        side = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_profileface.xml") if profile else None

        def detect(grey: np.ndarray) -> list[FaceBox]:
            h, w = grey.shape
            found = [tuple(map(float, b)) for b in frontal.detectMultiScale(grey, scale_step, 5, minSize=(20, 20))]
            if side is not None:
                found += [tuple(map(float, b)) for b in side.detectMultiScale(grey, scale_step, 5, minSize=(20, 20))]
                flipped = np.ascontiguousarray(grey[:, ::-1])
                for x, y, bw, bh in side.detectMultiScale(flipped, scale_step, 5, minSize=(20, 20)):
                    found.append((float(w - x - bw), float(y), float(bw), float(bh)))
            return [(b[0] / w, b[1] / h, b[2] / w, b[3] / h) for b in found]

        return detect

    return load


def _skimage_lbp() -> FaceFinder | None:
    from skimage import data
    from skimage.feature import Cascade

    cascade = Cascade(data.lbp_frontal_face_cascade_filename())

    def detect(grey: np.ndarray) -> list[FaceBox]:
        h, w = grey.shape
        found = cascade.detect_multi_scale(
            img=grey.astype(np.float32) / 255.0, scale_factor=1.2, step_ratio=1, min_size=(20, 20), max_size=(200, 200)
        )
        return [(f["c"] / w, f["r"] / h, f["width"] / w, f["height"] / h) for f in found]

    return detect


ADOPTED = Detector(
    f"haar frontal {DETECT_LONG_SIDE} px (adopted)", face_finder, DETECT_LONG_SIDE, "opencv-python-headless"
)
DETECTORS = [
    ADOPTED,
    Detector("haar frontal 480 px, step 1.1", _haar(profile=False, scale_step=1.1), 480, "opencv-python-headless"),
    Detector("haar frontal+profile 480 px", _haar(profile=True, scale_step=1.1), 480, "opencv-python-headless"),
    Detector("skimage lbp frontal 320 px", _skimage_lbp, 320, "scikit-image"),
]


@dataclass
class FaceTrack:
    """Faces seen at sample times (clip seconds from the first sample), boxes as fractions of the frame."""

    times: list[float]
    faces: list[list[FaceBox]]
    cpu_ms: list[float]


def find_faces(info: MediaInfo, detect: FaceFinder, *, long_side: int) -> FaceTrack:
    """Grey samples ``DETECT_FPS`` a second at ``long_side`` px and the faces in each (a pass of its own)."""
    scale = long_side / max(info.width, info.height)
    size = (max(8, round(info.width * scale)), max(8, round(info.height * scale)))
    turns = (info.rotation_deg // 90) % 4
    track = FaceTrack([], [], [])
    first: float | None = None
    for at, grey in sampled_frames(info.path, fps=DETECT_FPS, size=size, fmt="gray", turns=turns):
        first = at if first is None else first
        started = time.process_time()
        track.faces.append(detect(np.ascontiguousarray(grey)))
        track.cpu_ms.append((time.process_time() - started) * 1000)
        track.times.append(at - first)
    return track


def kept_share(scene: Scene, path: CropPath, *, duration_s: float, on_box: bool) -> float:
    """Share of frames whose 9:16 window keeps a face box (or, ``on_box``, the distraction) >= 90 % inside."""
    width = FRAME[0]
    window = WINDOW_RATIO * width
    free = width - window
    kept = total = 0
    for i in range(round(duration_s * FPS)):
        t = i / FPS
        left = float(np.interp(t, path.times_s, path.positions)) * free
        boxes = ([b] if (b := scene.box_at(t)) else []) if on_box else scene.faces_at(t)
        total += 1
        kept += any(_inside(b, left, left + window) >= KEEP_INSIDE for b in boxes)
    return kept / max(1, total)


def _inside(box: Box, left: float, right: float) -> float:
    x, _y, w, _h = box
    return max(0.0, min(x + w, right) - max(x, left)) / w


def _path(times: list[float], profile: np.ndarray) -> CropPath:
    return path_from_profile(times, profile, window_ratio=WINDOW_RATIO, axis="x", cut_times_s=())


def _centre() -> CropPath:
    return CropPath(axis="x", times_s=(0.0,), positions=(0.5,))


def _load_and_import_costs(detector: Detector) -> tuple[float, float]:
    """Import + model load seconds and the RSS they add in MB, in a fresh interpreter (the bench's own
    imports done first, so only the detector's library and model are counted)."""
    index = DETECTORS.index(detector)
    code = (
        "import sys, time\n"
        "from bench.faces import DETECTORS\n"
        "import numpy as np\n"
        "assert 'cv2' not in sys.modules and 'skimage' not in sys.modules\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * 4096 / 1e6\n"
        "before = rss()\n"
        f"t = time.perf_counter(); detect = DETECTORS[{index}].load(); took = time.perf_counter() - t\n"
        "detect(np.zeros((180, 320), np.uint8))\n"
        "print(took, rss() - before)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def _installed_mb(package: str) -> str:
    """The installed distribution's size on disk (the wheels' own sizes are in the README)."""
    try:
        files = importlib.metadata.files(package) or []
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
    located = [Path(str(f.locate())) for f in files]
    total = sum(f.stat().st_size for f in located if f.exists())
    return f"{total / 1e6:.0f} MB installed"


def sixty_second_costs(clip: Path) -> dict[str, float]:
    """The adopted detector's cost on the 60 s 1080p benchmark clip: CPU seconds of the reframe pass without
    and with faces, and the samples where faces were found (raw / confirmed; the clip has none)."""
    from bot.media.video_analysis import analyse_video

    info = probe_media(clip)
    started = time.process_time()
    analyse_video(info)
    analysis = time.process_time() - started
    started = time.process_time()
    _saliency(info, faces=False)
    without = time.process_time() - started
    started = time.process_time()
    samples = _saliency(info, faces=True)
    with_faces = time.process_time() - started
    confirmed = steady_faces(samples.face_times, samples.faces)
    return {
        "analysis_s": analysis,
        "without_s": without,
        "with_s": with_faces,
        "face_samples": len(samples.faces),
        "raw_hits": sum(1 for f in samples.faces if f),
        "confirmed_hits": sum(1 for f in confirmed if f),
    }


def footage_false_hits(folder: Path) -> list[tuple[str, int, int]]:
    """The adopted detector over the montage bench's cached videos (no faces in them): per video, samples
    and samples with a confirmed face."""
    finder = face_finder()
    rows: list[tuple[str, int, int]] = []
    if finder is None:
        return rows
    for video in sorted(folder.glob("*.mp4")):
        info = probe_media(video)
        track = find_faces(info, finder, long_side=DETECT_LONG_SIDE)
        seen = steady_faces(track.times, track.faces)
        rows.append((video.stem, len(seen), sum(1 for f in seen if f)))
    return rows


def run(detectors: list[Detector], *, sixty: bool) -> None:
    from bench.face_scenes import DURATION_S, SCENES

    scenes = SCENES()
    rows: list[list[str]] = []
    false_hits: dict[str, list[tuple[int, int]]] = {d.name: [] for d in detectors}
    detect_ms: dict[str, list[float]] = {d.name: [] for d in detectors}
    finders = {d.name: d.load() for d in detectors}
    with tempfile.TemporaryDirectory(prefix="faces-bench-") as folder:
        for n, scene in enumerate(scenes):
            clip = write_scene(scene, Path(folder) / f"scene{n}.mp4")
            info = probe_media(clip)
            on_box = not scene.has_face
            samples = _saliency(info, faces=False)
            times, profile = samples.times, np.stack([m.sum(axis=0) for m in samples.maps])
            row = [
                scene.name,
                f"{kept_share(scene, _centre(), duration_s=DURATION_S, on_box=on_box):.0%}",
                f"{kept_share(scene, _path(times, profile), duration_s=DURATION_S, on_box=on_box):.0%}",
            ]
            for d in detectors:
                finder = finders[d.name]
                if finder is None:
                    row.append("unavailable")
                    continue
                track = find_faces(info, finder, long_side=d.long_side)
                detect_ms[d.name] += track.cpu_ms
                seen = steady_faces(track.times, track.faces)
                if not scene.has_face:
                    false_hits[d.name].append((sum(1 for f in track.faces if f), sum(1 for f in seen if f)))
                if d is ADOPTED:  # the shipped code path itself
                    path = plan_reframe(info, window_ratio=WINDOW_RATIO, axis="x", cut_times_s=(), faces=True)
                else:
                    path = _path(times, add_faces(times, profile, track.times, seen, axis="x"))
                share_seen = sum(1 for f in seen if f) / max(1, len(seen))
                row.append(f"{kept_share(scene, path, duration_s=DURATION_S, on_box=on_box):.0%} ({share_seen:.0%})")
            rows.append(row)
    print(f"Kept >= {KEEP_INSIDE:.0%} inside the 9:16 window: a face; on the no-face scenes the moving box.")
    print(f"Faces looked for {DETECT_FPS:g} times a second (saliency: {SAMPLE_FPS:g}); (x%) = samples with a face.")
    header = ["scene (1280x720, 6 s)", "centre", "saliency", *[f"+ {d.name}" for d in detectors]]
    _print_table(header, rows)
    cost_rows: list[list[str]] = []
    for d in detectors:
        if finders[d.name] is None:
            continue
        load_s, rss_mb = _load_and_import_costs(d)
        ms = np.asarray(detect_ms[d.name])
        hits = false_hits[d.name]
        cost_rows.append(
            [
                d.name,
                f"{np.median(ms):.1f} / {np.percentile(ms, 90):.1f}",
                f"{np.median(ms) * DETECT_FPS * 60 / 1000:.1f} s",
                " · ".join(f"{raw}/{kept}" for raw, kept in hits),
                f"{load_s * 1000:.0f} ms",
                f"{rss_mb:.0f} MB",
                _installed_mb(d.package),
            ]
        )
    print()
    print(
        "Detector CPU ms per analysed frame (median / p90, the detect call alone); per 60 s at "
        f"{DETECT_FPS:g}/s; samples with a face on the no-face scenes (raw/confirmed, of "
        f"{round(DURATION_S * DETECT_FPS)} each: box · cat · coffee)"
    )
    header = ["detector", "ms/frame", "60 s of detect", "no-face hits", "import + load", "RSS added", "size"]
    _print_table(header, cost_rows)
    if sixty:
        from bench.clips import bench_clip

        costs = sixty_second_costs(bench_clip())
        extra = costs["with_s"] - costs["without_s"]
        print()
        print(
            f"60 s 1080p benchmark clip, CPU s: video analysis {costs['analysis_s']:.2f}; reframe pass "
            f"{costs['without_s']:.2f} without faces, {costs['with_s']:.2f} with ({extra:+.2f} s = "
            f"{extra / costs['analysis_s']:.1%} of this run's video analysis, {extra / costs['without_s']:.1%} of the "
            f"reframe pass); faces found in {costs['raw_hits']:.0f} of "
            f"{costs['face_samples']:.0f} samples raw, {costs['confirmed_hits']:.0f} confirmed (the clip has none)"
        )


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    print(markdown_table(header, rows))


def _print_footage_hits() -> None:
    from bench.montage_inputs import inputs_dir

    folder = inputs_dir()
    if not folder.is_dir():
        print("(montage bench videos not cached: run `python -m bench montage` once for the false-face check)")
        return
    hits = footage_false_hits(folder)
    listed = ", ".join(f"{name} {found}/{total}" for name, total, found in hits)
    print(f"Confirmed faces on the montage bench's face-free videos (samples with one / samples): {listed}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faces", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--no-60s", action="store_true", help="skip the 60 s 1080p cost run")
    parser.add_argument("--no-footage", action="store_true", help="skip the montage videos' false-face check")
    parser.add_argument("--only", help="run only the detectors whose name contains this")
    args = parser.parse_args(argv)
    chosen = [d for d in DETECTORS if not args.only or args.only in d.name]
    run(chosen, sixty=not args.no_60s)
    if not args.no_footage:
        _print_footage_hits()


if __name__ == "__main__":
    main()
