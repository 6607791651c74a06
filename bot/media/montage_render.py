"""A montage's picture: every segment conformed to one frame and rate, joined, encoded once.

One FFmpeg run: each clip is opened with ``-ss``/``-t`` (FFmpeg seeks to the keyframe before the stretch
and decodes only the stretch), autorotated, turned into constant frame rate, scaled to cover the frame
(or fitted over a blurred copy of itself), and cut to its exact number of frames; each photo is shown
with a slow zoom or pan (Ken Burns), never with bars. The pieces are concatenated, a title drawn over the
start if asked, and the music mix arrives as raw PCM on stdin. Frame counts are whole frames of the
output rate, so a cut lands within half a frame of its beat.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np

from bot.media.fit_size import encode_to_fit, fits
from bot.media.render import AUDIO_ARGS, AUDIO_BITRATE, RenderedFile, ffmpeg_exe, run_render
from bot.media.timeline import OutputSettings, Segment, TitleTrack
from bot.media.visual import ASPECT_RATIOS, OUTPUT_LABEL, blur_graph, even, plan_visual

__all__ = ["FILM_FPS", "film_fps", "film_size", "frame_index", "render_montage"]

logger = logging.getLogger(__name__)

FILM_FPS = 30
PHOTO_OVERSCAN = 2
"""Photos are moved at twice the output size, so the zoom and pan step in half pixels (no visible jitter)."""
ZOOM = 0.12
X264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-profile:v", "high", "-pix_fmt", "yuv420p")


def film_size(aspect: str, largest_short_side: int, max_height: int | None = None) -> tuple[int, int]:
    """The film's frame: the aspect, its short side the largest input's up to 1080 (never upscaled past it)."""
    a, b = ASPECT_RATIOS[aspect]
    short = min(1080, max(144, largest_short_side))
    width, height = (short * a / b, short) if a >= b else (short, short * b / a)
    if max_height is not None and height > max_height:
        width, height = width * max_height / height, max_height
    return even(width), even(height)


def film_fps(output: OutputSettings) -> int:
    """The film's frame rate: the one asked (the sources' common one), else ``FILM_FPS``."""
    return output.fps or FILM_FPS


def frame_index(seconds: float, fps: int = FILM_FPS) -> int:
    return round(seconds * fps)


def render_montage(
    *,
    segments: tuple[Segment, ...],
    size: tuple[int, int],
    output: OutputSettings,
    title: TitleTrack | None,
    audio: np.ndarray,
    sample_rate: int,
    target: Path,
    timeout_s: float,
) -> RenderedFile:
    """Write the film to ``target`` (MP4, H.264 yuv420p + AAC, faststart)."""
    width, height = size
    fps = film_fps(output)
    inputs: list[str] = ["-f", "f32le", "-ar", str(sample_rate), "-ac", str(audio.shape[0]), "-i", "pipe:0"]
    parts: list[str] = []
    for i, segment in enumerate(segments):
        frames = frame_index(segment.end_s, fps) - frame_index(segment.start_s, fps)
        index = i + 1
        if segment.kind == "photo":
            inputs += ["-i", segment.source]
            parts.append(_photo_chain(f"[{index}:v]", i, segment, frames, (width, height, fps), output.fit))
        else:
            span = segment.source_end_s - segment.source_start_s
            inputs += ["-ss", f"{segment.source_start_s:.3f}", "-t", f"{span + 0.5:.3f}", "-i", segment.source]
            parts.append(_clip_chain(f"[{index}:v]", i, frames, (width, height, fps), output.fit))
    labels = "".join(f"[p{i}]" for i in range(len(segments)))
    parts.append(f"{labels}concat=n={len(segments)}:v=1:a=0[cat]")
    pcm = np.ascontiguousarray(audio.T, dtype="<f4").tobytes()
    with tempfile.TemporaryDirectory(prefix="musiccog-montage-") as workdir:
        visual = plan_visual(
            display_width=width,
            display_height=height,
            aspect=None,
            fit="crop",
            max_height=None,
            title=title,
            workdir=Path(workdir),
            input_label="cat",
        )
        try:
            if visual is not None:
                parts.append(visual.filter_complex)
            else:
                parts.append(f"[cat]format=yuv420p[{OUTPUT_LABEL}]")
            graph = ";".join(parts)
            env = visual.ffmpeg_env() if visual is not None else None
            args = [
                ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *inputs,
                "-filter_complex", graph, "-map", f"[{OUTPUT_LABEL}]", "-map", "0:a:0", *X264, "-r", str(fps),
                "-c:a", "aac", *AUDIO_ARGS, "-b:a", AUDIO_BITRATE, "-ar", str(sample_rate),
                "-movflags", "+faststart", "-f", "mp4",
            ]  # fmt: skip
            run_render(args, pcm=pcm, output=target, timeout_s=timeout_s, env=env)
            cap = output.target_size_bytes
            if cap is not None and not fits(target, cap):
                logger.info("the montage does not fit %d bytes: encoding it to fit", cap)
                target.unlink()
                fitted = encode_to_fit(
                    output=target, input_args=inputs, video=OUTPUT_LABEL, audio="0:a:0", width=width,
                    height=height, duration_s=segments[-1].end_s, target_bytes=cap, filter_complex=graph,
                    stdin=pcm, env=env, audio_args=AUDIO_ARGS, timeout_s=timeout_s,
                )  # fmt: skip
                width, height = fitted.width, fitted.height
        finally:
            if visual is not None:
                visual.cleanup()
    return RenderedFile(
        video_copied=False,
        width=width,
        height=height,
        size_bytes=target.stat().st_size,
        title_dropped=visual.title_dropped if visual is not None else "",
    )


def _clip_chain(src: str, i: int, frames: int, frame: tuple[int, int, int], fit: str) -> str:
    """A clip's stretch at the film's rate and frame, exactly ``frames`` long (the last frame held if short)."""
    width, height, fps = frame
    timing = f"{src}fps={fps},setpts=PTS-STARTPTS,setsar=1[c{i}]"
    exact = (
        f"[f{i}]tpad=stop_mode=clone:stop={frames},trim=end_frame={frames},setpts=PTS-STARTPTS,"
        f"scale=out_range=tv,format=yuv420p[p{i}]"
    )
    return ";".join((timing, _framed(f"[c{i}]", f"f{i}", width, height, fit), exact))


def _framed(src: str, out: str, width: int, height: int, fit: str) -> str:
    """``src`` covering a ``width`` x ``height`` frame (cropped), or fitted over a blurred copy, as ``[out]``."""
    if fit == "blur":
        return blur_graph(src, width, height, out=out)
    return (
        f"{src}scale={width}:{height}:force_original_aspect_ratio=increase:flags=bicubic,"
        f"crop={width}:{height},setsar=1[{out}]"
    )


def _photo_chain(src: str, i: int, segment: Segment, frames: int, frame: tuple[int, int, int], fit: str) -> str:
    """A still, covering the frame (or fitted over its blurred copy), moving slowly for ``frames`` frames."""
    width, height, fps = frame
    still = _framed(src, f"s{i}", width * PHOTO_OVERSCAN, height * PHOTO_OVERSCAN, fit)
    n = max(1, frames - 1)
    zoom, x, y = {
        "zoom_in": (f"1+{ZOOM}*on/{n}", "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"),
        "zoom_out": (f"{1 + ZOOM}-{ZOOM}*on/{n}", "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"),
        "pan_left": (f"{1 + ZOOM}", f"(iw-iw/zoom)*(1-on/{n})", "(ih-ih/zoom)/2"),
        "pan_right": (f"{1 + ZOOM}", f"(iw-iw/zoom)*on/{n}", "(ih-ih/zoom)/2"),
    }[segment.move]
    moved = (
        f"[s{i}]zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}:s={width}x{height}:fps={fps},"
        f"trim=end_frame={frames},setpts=PTS-STARTPTS,setsar=1,scale=out_range=tv,format=yuv420p[p{i}]"
    )
    return f"{still};{moved}"
