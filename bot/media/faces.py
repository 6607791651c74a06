"""Faces as the strongest saliency when a clip is reframed: a face the viewer would look at stays in the window
even when something brighter moves on the other side (issue 16 §1).

The detector is OpenCV's frontal-face Haar cascade, whose model (``haarcascade_frontalface_default.xml``)
ships inside the ``opencv-python-headless`` wheel from PyPI (4.x; OpenCV 5 dropped the cascades): nothing
is downloaded at run time. It runs on grey pictures ``DETECT_LONG_SIDE`` px along the long side (faces from
about 1/10 of a 16:9 frame's height up), about once a second (``reframe.py`` decides which samples): ~21 ms a
picture, ~9 % of a 60 s clip's video analysis (``bench/faces.py``, README "Faces in reframing"). A face
counts only when another detection near it in time confirms it. Frontal faces only: the profile cascade
costs five times as much, and a face tilted 25° is not found.

If OpenCV cannot be imported (or the cascade does not load), reframing goes on with motion and contrast
alone: one warning, no error.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "DETECT_LONG_SIDE",
    "FACE_INTERVAL_S",
    "FaceBox",
    "add_faces",
    "detection_size",
    "face_finder",
    "steady_faces",
]

logger = logging.getLogger(__name__)

FaceBox = tuple[float, float, float, float]
"""x, y, width, height as fractions of the shown frame."""

FACE_INTERVAL_S = 1.0
"""Faces are looked for on a sample about once a second: faces stay put for seconds, and the path is smoothed
over about a second anyway (the detector costs ~20 ms a picture, the saliency well under 1 ms)."""
DETECT_LONG_SIDE = 480
"""Faces from about 1/10 of a 16:9 frame's height up (the cascade's smallest is 20 px here)."""
SCALE_STEP = 1.15
"""The cascade's pyramid step: 1.2 costs a fifth less but misses faces whose size falls between its steps."""
MIN_NEIGHBOURS = 5
MIN_FACE_PX = 20
FACE_WEIGHT = 1.5
"""A face's bump weighs this many times the rest of its sample's saliency (bigger faces weigh more)."""
CONFIRM_S = 1.2
"""A detection is kept when another one overlaps it within this many seconds."""
HOLD_S = 1.5
"""A saliency sample takes the faces of the nearest face sample up to this far away: face samples are about a
second apart, and the clip's last second must not lose its face (the path's smoothing would carry that loss a
second or two back)."""

FaceFinder = Callable[[np.ndarray], list[FaceBox]]


@functools.cache
def face_finder() -> FaceFinder | None:
    """The frontal-face finder on a grey ``uint8`` picture (boxes as fractions), or ``None`` when OpenCV or its
    cascade is not available."""
    try:
        import cv2
        import cv2.data
    except ImportError as exc:  # an install without opencv-python-headless: reframing without faces
        logger.warning("reframing without faces: OpenCV is not importable (%s)", exc)
        return None
    cascade_path = f"{cv2.data.haarcascades}haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(cascade_path)
    if cascade.empty():
        logger.warning("reframing without faces: the face cascade %s did not load", cascade_path)
        return None
    cv2.setNumThreads(1)  # the render workers share the cores; one detection is ~20 ms anyway
    one_at_a_time = threading.Lock()  # one classifier per process; OpenCV does not promise it is thread-safe

    def find(grey: np.ndarray) -> list[FaceBox]:
        height, width = grey.shape[:2]
        with one_at_a_time:
            found = cascade.detectMultiScale(
                np.ascontiguousarray(grey), SCALE_STEP, MIN_NEIGHBOURS, minSize=(MIN_FACE_PX, MIN_FACE_PX)
            )
        return [(x / width, y / height, w / width, h / height) for x, y, w, h in found]

    return find


def detection_size(width: int, height: int) -> tuple[int, int]:
    """The picture size faces are looked for at: ``DETECT_LONG_SIDE`` along the long side (never upscaled)."""
    scale = min(1.0, DETECT_LONG_SIDE / max(width, height, 1))
    return max(8, round(width * scale)), max(8, round(height * scale))


def steady_faces(times: Sequence[float], faces: Sequence[list[FaceBox]]) -> list[list[FaceBox]]:
    """Each sample's faces that another sample within ``CONFIRM_S`` also saw (boxes overlapping)."""
    kept: list[list[FaceBox]] = []
    for i, boxes in enumerate(faces):
        near = [j for j in range(len(faces)) if j != i and abs(times[j] - times[i]) <= CONFIRM_S]
        kept.append([b for b in boxes if any(_overlap(b, other) > 0.3 for j in near for other in faces[j])])
    return kept


def add_faces(
    times: Sequence[float],
    profile: np.ndarray,
    face_times: Sequence[float],
    faces: Sequence[list[FaceBox]],
    *,
    axis: str,
) -> np.ndarray:
    """``profile`` (saliency samples x positions along ``axis``) with every face near each sample added as a
    Gaussian bump centred on it, ``FACE_WEIGHT`` times as heavy as that sample's own saliency, so the window
    centres on the face rather than putting it at an edge."""
    out = profile.astype(np.float64)
    if not face_times or not any(faces):
        return out
    out = out.copy()
    size = out.shape[1]
    positions = np.arange(size) + 0.5
    at = np.asarray(face_times)
    for i, t in enumerate(times):
        k = int(np.abs(at - t).argmin())
        if abs(float(at[k]) - t) > HOLD_S or not faces[k]:
            continue
        largest = max(w * h for _x, _y, w, h in faces[k])
        mass = FACE_WEIGHT * float(out[i].sum())
        for x, y, w, h in faces[k]:
            start, length = (x, w) if axis == "x" else (y, h)
            bump = np.exp(-0.5 * ((positions - (start + length / 2) * size) / max(1.0, length * size / 2)) ** 2)
            out[i] += mass * (w * h / largest) * bump / bump.sum()
    return out


def _overlap(a: FaceBox, b: FaceBox) -> float:
    """Intersection over union of two boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0
