"""The montage benchmark's reference: MoviePy 2 making the same film from the same plan.

``python -m bench.montage_moviepy PLAN.json OUT.mp4`` — run in its own process by ``bench.montage`` so its
time and memory are measured the same way as ours. The plan is our montage's own (the segments from
``musiccog montage --json``, the music's file and start from its timeline), so MoviePy does no analysis,
no matching and no planning: it only decodes, conforms and encodes — the part it is made for.

Written as a MoviePy user would, taking the fast options it offers: each stretch is opened with
``target_resolution`` (FFmpeg scales while decoding) at the size that covers the frame, cut with
``subclipped`` (MoviePy seeks with ``-ss`` before the input), centre-cropped; each photo is scaled once to
cover the frame and a little more, then zoomed (a shrinking centre crop scaled back to the frame with
PIL, as MoviePy's own ``resized`` does) or panned (a moving crop) as our plan says; the pieces are
chained with ``concatenate_videoclips``, the music file laid under from the same start with a fade-out,
and the film written with libx264 at our film's setting (preset, CRF, x264 params), 30 fps, AAC — or,
when the plan names no preset, with ``write_videofile(path, fps=30)`` alone: MoviePy's own defaults
(libx264 ``medium``, x264's CRF 23, MP3 audio at 44.1 kHz).

MoviePy is a bench-only extra (``pip install -e '.[bench]'``): nothing else imports this module.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "make_film"]

logger = logging.getLogger(__name__)

ZOOM = 0.12
"""As much zoom or pan as our photos get (``bot.media.montage_render.ZOOM``)."""
FADE_OUT_S = 2.0


def make_film(plan: dict[str, Any], target: Path) -> None:
    """Write the film the plan describes to ``target`` with MoviePy."""
    from moviepy import AudioFileClip, concatenate_videoclips
    from moviepy.audio import fx as afx

    width, height = int(plan["width"]), int(plan["height"])
    pieces = [
        _photo_piece(segment, width, height) if segment["kind"] == "photo" else _video_piece(segment, width, height)
        for segment in plan["segments"]
    ]
    film = concatenate_videoclips(pieces, method="chain")
    music = plan["music"]
    sound = AudioFileClip(music["path"])
    start, length = float(music["start_s"]), film.duration
    if start + length > sound.duration:
        sound = sound.with_effects([afx.AudioLoop(duration=start + length)])
    sound = sound.subclipped(start, start + length).with_effects([afx.AudioFadeOut(FADE_OUT_S)])
    film = film.with_audio(sound)
    if plan["preset"] is None:  # as a user writes it: MoviePy's own defaults (libx264 medium, CRF 23, MP3 audio)
        film.write_videofile(str(target), fps=int(plan["fps"]), logger=None)
        film.close()
        return
    x264_params = ["-x264-params", plan["x264_params"]] if plan.get("x264_params") else []
    film.write_videofile(
        str(target),
        fps=int(plan["fps"]),
        codec="libx264",
        preset=plan["preset"],
        ffmpeg_params=["-crf", str(plan["crf"]), *x264_params, "-profile:v", "high", "-movflags", "+faststart"],
        audio_codec="aac",
        audio_bitrate=plan["audio_bitrate"],
        audio_fps=48000,
        pixel_format="yuv420p",
        logger=None,
    )
    film.close()


def _cover(size: Sequence[int], width: int, height: int, extra: float = 1.0) -> tuple[int, int]:
    """The smallest size of ``size``'s shape that covers ``width`` x ``height`` (times ``extra``)."""
    scale = max(width / size[0], height / size[1]) * extra
    return math.ceil(size[0] * scale / 2) * 2, math.ceil(size[1] * scale / 2) * 2


def _video_piece(segment: dict[str, Any], width: int, height: int) -> Any:
    from moviepy import VideoFileClip
    from moviepy.video.io.ffmpeg_reader import ffmpeg_parse_infos

    infos = ffmpeg_parse_infos(segment["source"])
    coded = infos["video_size"]
    shown = coded[::-1] if abs(infos.get("video_rotation", 0)) in (90, 270) else coded
    cover = _cover(shown, width, height)
    clip = VideoFileClip(segment["source"], audio=False, target_resolution=cover)
    piece = clip.subclipped(segment["source_start_s"], segment["source_end_s"])
    piece = piece.cropped(x_center=cover[0] / 2, y_center=cover[1] / 2, width=width, height=height)
    return piece.with_duration(segment["end_s"] - segment["start_s"])


def _photo_piece(segment: dict[str, Any], width: int, height: int) -> Any:
    import imageio.v3 as iio
    from moviepy import ImageClip

    length = segment["end_s"] - segment["start_s"]
    move = segment.get("move", "zoom_in")
    pixels = iio.imread(segment["source"])
    pixels = np.dstack([pixels] * 3) if pixels.ndim == 2 else pixels[..., :3]  # RGB: no alpha (a photo has none)
    photo = ImageClip(pixels)
    still = photo.resized(new_size=_cover(photo.size, width, height, extra=1 + ZOOM)).with_duration(length)
    big_w, big_h = still.size

    def zoom(get_frame: Callable[[float], np.ndarray], t: float) -> np.ndarray:
        from PIL import Image

        progress = t / length if move == "zoom_in" else 1 - t / length
        shown = (1 + ZOOM) / (1 + ZOOM * progress)  # the part of the still in view, 1+ZOOM down to 1
        crop_w, crop_h = round(width * shown), round(height * shown)
        left, top = (big_w - crop_w) // 2, (big_h - crop_h) // 2
        region = get_frame(t)[top : top + crop_h, left : left + crop_w]
        return np.asarray(Image.fromarray(region).resize((width, height), Image.Resampling.BICUBIC))

    def pan(get_frame: Callable[[float], np.ndarray], t: float) -> np.ndarray:
        progress = t / length if move == "pan_right" else 1 - t / length
        left, top = round((big_w - width) * progress), (big_h - height) // 2
        return get_frame(t)[top : top + height, left : left + width]

    return still.transform(zoom if move in ("zoom_in", "zoom_out") else pan)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m bench.montage_moviepy PLAN.json OUT.mp4", file=sys.stderr)
        return 2
    plan = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    make_film(plan, Path(args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
