"""Generated clips for the face bench (``bench/faces.py``): a real face picture moving on a plain frame, with a
competing salient distraction (a bright box in high-contrast motion) on the other side.

The faces are public-domain pictures shipped inside scikit-image's wheel (``skimage.data.astronaut``: a
frontal face; ``skimage.data.camera``: a man in profile behind a camera); nothing is downloaded and no
binary enters the checkout. Each scene knows where its faces are in every frame (the ground truth the
bench scores a crop against), from where it pasted them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

__all__ = ["SCENES", "Box", "Scene", "write_scene"]

Box = tuple[float, float, float, float]
"""x, y, width, height in frame pixels."""

FRAME = (1280, 720)
FPS = 25
DURATION_S = 6.0
BACKGROUND = 70


@dataclass(frozen=True)
class Sprite:
    """A picture to paste (grey-free RGB), its soft alpha, and where its face is inside it."""

    rgb: np.ndarray
    alpha: np.ndarray
    face: Box | None


@dataclass(frozen=True)
class Placement:
    sprite: Sprite
    x: float
    y: float


@dataclass(frozen=True)
class Scene:
    """A named clip: ``layout(t)`` gives the sprites and the distraction box (x, y, side) at time ``t``."""

    name: str
    layout: Callable[[float], tuple[list[Placement], tuple[float, float, float] | None]]
    has_face: bool = True

    def faces_at(self, t: float) -> list[Box]:
        """The face boxes in the frame at ``t`` (ground truth)."""
        placements, _ = self.layout(t)
        return [
            (p.x + p.sprite.face[0], p.y + p.sprite.face[1], p.sprite.face[2], p.sprite.face[3])
            for p in placements
            if p.sprite.face is not None
        ]

    def box_at(self, t: float) -> Box | None:
        """The distraction's box at ``t``."""
        _, box = self.layout(t)
        return None if box is None else (box[0], box[1], box[2], box[2])


def _soft_ellipse(height: int, width: int, feather: float = 0.15) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    r = np.hypot((xx - width / 2) / (width / 2), (yy - height / 2) / (height / 2))
    return np.clip((1.0 - r) / feather, 0.0, 1.0).astype(np.float32)


def _resize(picture: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    size = (max(1, round(picture.shape[1] * scale)), max(1, round(picture.shape[0] * scale)))
    return np.asarray(cv2.resize(picture, size, interpolation=cv2.INTER_AREA))


def _sprite(picture: np.ndarray, crop: Box, face: Box | None, *, height: int, angle_deg: float = 0.0) -> Sprite:
    """``crop`` of ``picture`` scaled to ``height`` px tall (optionally turned), with its face box carried along."""
    import cv2

    x, y, w, h = (int(v) for v in crop)
    part = picture[y : y + h, x : x + w]
    if part.ndim == 2:
        part = np.repeat(part[:, :, None], 3, axis=2)
    scale = height / h
    rgb = _resize(np.ascontiguousarray(part), scale)
    alpha = _soft_ellipse(rgb.shape[0], rgb.shape[1])
    box = None if face is None else ((face[0] - x) * scale, (face[1] - y) * scale, face[2] * scale, face[3] * scale)
    if angle_deg:
        centre = (rgb.shape[1] / 2, rgb.shape[0] / 2)
        turn = cv2.getRotationMatrix2D(centre, angle_deg, 1.0)
        size = (rgb.shape[1], rgb.shape[0])
        rgb = cv2.warpAffine(rgb, turn, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        alpha = cv2.warpAffine(alpha, turn, size, flags=cv2.INTER_LINEAR)
        if box is not None:
            corners = np.array(
                [
                    [box[0], box[1], 1],
                    [box[0] + box[2], box[1], 1],
                    [box[0], box[1] + box[3], 1],
                    [box[0] + box[2], box[1] + box[3], 1],
                ]
            )
            moved = corners @ turn.T
            x0, y0 = moved.min(axis=0)
            x1, y1 = moved.max(axis=0)
            box = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
    return Sprite(rgb=rgb, alpha=alpha, face=box)


def _sprites() -> dict[str, Sprite]:
    from skimage import data

    astronaut = data.astronaut()
    camera = data.camera()
    chelsea = data.chelsea()
    coffee = data.coffee()
    # crops: the head with some hair and neck; the face boxes are where OpenCV's frontal / profile cascades
    # put them on the full pictures (astronaut (177, 66, 95, 95); camera's profile checked by eye)
    head = (130, 0, 190, 230)
    astronaut_face: Box = (177, 66, 95, 95)
    return {
        "face": _sprite(astronaut, head, astronaut_face, height=330),
        "face_small": _sprite(astronaut, head, astronaut_face, height=175),  # face box ~72 px = 1/10 of 720
        "face_second": _sprite(astronaut, head, astronaut_face, height=260),
        "face_tilted": _sprite(astronaut, head, astronaut_face, height=330, angle_deg=25.0),
        "profile": _sprite(camera, (110, 40, 200, 230), (165, 85, 90, 115), height=330),
        "cat": _sprite(chelsea, (0, 0, 451, 300), None, height=330),
        "cup": _sprite(coffee, (0, 0, 600, 400), None, height=330),
    }


def _wander(t: float, x0: float, x1: float, y0: float, y1: float, speed: float = 1.0) -> tuple[float, float]:
    """A box's lively path between two corners (high-contrast motion)."""
    fx = 0.5 + 0.5 * math.sin(2.1 * speed * t)
    fy = 0.5 + 0.5 * math.sin(1.3 * speed * t + 1.0)
    return x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy


def _scenes() -> list[Scene]:
    s = _sprites()
    box_side = 120.0

    def right_box(t: float) -> tuple[float, float, float]:
        x, y = _wander(t, 820, 1130, 80, 520)
        return x, y, box_side

    def still_face(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [Placement(s["face"], 150, 180)], right_box(t)

    def slow_face(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [Placement(s["face"], 60 + 45 * t, 180 + 10 * math.sin(t))], right_box(t)

    def two_faces(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        x, y = _wander(t, 420, 760, 420, 560)
        return [Placement(s["face"], 80, 150), Placement(s["face_second"], 980, 200)], (x, y, box_side)

    def small_face(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [Placement(s["face_small"], 220, 300)], right_box(t)

    def tilted_face(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [Placement(s["face_tilted"], 150, 180)], right_box(t)

    def profile_face(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [Placement(s["profile"], 150, 180)], right_box(t)

    def no_face_box(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [], right_box(t)

    def no_face_cat(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [Placement(s["cat"], 60, 180)], right_box(t)

    def no_face_cup(t: float) -> tuple[list[Placement], tuple[float, float, float] | None]:
        return [Placement(s["cup"], 60, 180)], right_box(t)

    return [
        Scene("face still + box", still_face),
        Scene("face moving slowly + box", slow_face),
        Scene("two faces + box", two_faces),
        Scene("small face (1/10 h) + box", small_face),
        Scene("tilted face (25°) + box", tilted_face),
        Scene("profile face + box", profile_face),
        Scene("no face: box", no_face_box, has_face=False),
        Scene("no face: cat + box", no_face_cat, has_face=False),
        Scene("no face: coffee + box", no_face_cup, has_face=False),
    ]


SCENES: Callable[[], list[Scene]] = _scenes


def _frame(scene: Scene, t: float) -> np.ndarray:
    width, height = FRAME
    frame = np.full((height, width, 3), BACKGROUND, dtype=np.float32)
    frame += np.linspace(-15, 15, width, dtype=np.float32)[None, :, None]  # a gentle gradient, like a wall
    placements, box = scene.layout(t)
    for p in placements:
        x, y = round(p.x), round(p.y)
        h, w = p.sprite.alpha.shape
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
        if x1 <= x0 or y1 <= y0:
            continue
        a = p.sprite.alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
        frame[y0:y1, x0:x1] = a * p.sprite.rgb[y0 - y : y1 - y, x0 - x : x1 - x] + (1 - a) * frame[y0:y1, x0:x1]
    if box is not None:
        bx, by, side = (round(v) for v in box)
        frame[by : by + side, bx : bx + side] = 255.0
        frame[by + side // 3 : by + 2 * side // 3, bx + side // 3 : bx + 2 * side // 3] = 0.0  # high contrast
    return np.clip(frame, 0, 255).astype(np.uint8)


def write_scene(scene: Scene, path: Path, *, duration_s: float = DURATION_S) -> Path:
    """The scene as an H.264 MP4 (yuv420p, CRF 20) at ``path``."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "crf": "20"})
        stream.width, stream.height = FRAME
        stream.pix_fmt = "yuv420p"
        for i in range(round(duration_s * FPS)):
            frame = av.VideoFrame.from_ndarray(_frame(scene, i / FPS), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
