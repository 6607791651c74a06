"""Put the mixed sound under the video with the static FFmpeg of imageio-ffmpeg.

The mix arrives on FFmpeg's stdin as raw float PCM, so no temporary audio file exists. The video
stream is copied untouched when it is H.264 or HEVC and nothing visual changes (the fast, lossless
path: about 0.1 s for a minute of 1080p); otherwise it is re-encoded to H.264 yuv420p, at most
1080p, keeping the aspect — through ``visual.py``'s filter graph when the user asked for an aspect,
a title or a smaller size. A title alone on an H.264 clip re-encodes only the GOPs it covers and copies
the rest (``smart_render.py``; anything it can't splice safely is re-encoded whole). A target size is a
ceiling: the normal result (the copy, or a quality-based encode) is kept when it fits, and only a result
over the cap goes through ``fit_size.encode_to_fit``.
The output is written beside the target and renamed into place only when FFmpeg succeeded, so a failure
never leaves a partial file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from bot.media.cancel import run_ffmpeg
from bot.media.encoding import x264_args
from bot.media.fit_size import FitResult, encode_to_fit, fits
from bot.media.models import MediaInfo
from bot.media.reframe import CropPath, position_expression
from bot.media.smart_render import SplicedVideo, splice_title
from bot.media.timeline import TitleTrack
from bot.media.visual import VisualPlan, even, plan_visual

__all__ = [
    "AUDIO_ARGS",
    "AUDIO_BITRATE",
    "COPYABLE_CODECS",
    "MAX_LONG_SIDE",
    "MAX_SHORT_SIDE",
    "RenderedFile",
    "VideoEdits",
    "can_copy_video",
    "display_size",
    "ffmpeg_exe",
    "fit_file",
    "render",
    "run_render",
    "scaled_size",
]

logger = logging.getLogger(__name__)

COPYABLE_CODECS = frozenset({"h264", "hevc"})
PLAYABLE_PIXEL_FORMATS = {
    "h264": frozenset({"yuv420p", "yuvj420p"}),
    "hevc": frozenset({"yuv420p", "yuvj420p", "yuv420p10le"}),
}
"""Pixel formats a copied stream may have: what phones and browsers decode (HEVC Main and Main 10)."""
OUTPUT_MODE = 0o644
MAX_LONG_SIDE = 1920
MAX_SHORT_SIDE = 1080
AUDIO_BITRATE = "192k"
AUDIO_ARGS = ("-aac_coder", "fast", "-ac", "2")
"""``fast``: 30 % quicker than the default twoloop coder; at 192 kbit/s the difference is inaudible."""


@dataclass(frozen=True)
class VideoEdits:
    """What the user asked of the picture and the file."""

    aspect: str | None = None
    fit: str = "crop"
    max_height: int | None = None
    title: TitleTrack | None = None
    target_size_bytes: int | None = None
    reframe: CropPath | None = None
    """Where a cropped window looks over time (the subject), or None for a centred crop."""


@dataclass(frozen=True)
class RenderedFile:
    video_copied: bool
    width: int
    height: int
    size_bytes: int
    title_dropped: str = ""
    """Characters of the title the font could not draw (emoji), to tell the user."""
    reencoded_s: float | None = None
    """Seconds of video re-encoded when only part of it was (smart render: the rest copied); else None."""


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def can_copy_video(info: MediaInfo) -> bool:
    """H.264 in 8-bit 4:2:0 and HEVC in 8/10-bit 4:2:0 play on phones and in browsers as they are; H.264
    4:4:4, 4:2:2 or 10-bit (screen recorders, editors) mostly do not, so those are re-encoded."""
    if info.video_codec not in COPYABLE_CODECS:
        return False
    return not info.pixel_format or info.pixel_format in PLAYABLE_PIXEL_FORMATS[info.video_codec]


def display_size(info: MediaInfo) -> tuple[int, int]:
    """The picture as shown: non-square pixels widened (to an even width), width and height swapped for
    90/270° rotation."""
    width = info.width if info.sample_aspect == 1.0 else even(info.width * info.sample_aspect)
    return (info.height, width) if info.rotation_deg in (90, 270) else (width, info.height)


def fit_file(path: Path, info: MediaInfo, target_bytes: int, *, timeout_s: float) -> FitResult:
    """Re-encode the finished MP4 at ``path`` (``info`` is its probe) under ``target_bytes`` into
    ``<stem>-fit.mp4`` beside it, for a file made elsewhere (a cloud render); the caller removes the original."""
    width, height = display_size(info)
    return encode_to_fit(
        output=path.with_name(f"{path.stem}-fit.mp4"),
        input_args=["-i", str(path)],
        video="0:v:0",
        audio="0:a:0" if info.has_audio else None,
        width=width,
        height=height,
        duration_s=info.duration_s,
        target_bytes=target_bytes,
        timeout_s=timeout_s,
    )


def scaled_size(width: int, height: int) -> tuple[int, int]:
    """Even dimensions no larger than 1920×1080 (or 1080×1920), same aspect, never upscaled."""
    long_side, short_side = max(width, height), min(width, height)
    factor = min(1.0, MAX_LONG_SIDE / long_side, MAX_SHORT_SIDE / short_side)
    return even(width * factor), even(height * factor)


def _audio_input(sample_rate: int, channels: int) -> list[str]:
    return ["-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0"]


def run_render(
    args: Sequence[str], *, pcm: bytes | None, output: Path, timeout_s: float, env: Mapping[str, str] | None = None
) -> None:
    """Run FFmpeg (``args`` without the output), ``pcm`` on stdin, into a temporary file renamed to ``output``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".musiccog-", suffix=".mp4", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    full_env = {**os.environ, **env} if env else None
    try:
        run_ffmpeg([*args, str(tmp)], stdin=pcm, timeout_s=timeout_s, env=full_env, doing="Rendering the video")
        os.chmod(tmp, OUTPUT_MODE)  # mkstemp makes it private (0600); a finished video is an ordinary file
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)


def _encode_args(info: MediaInfo, visual: VisualPlan | None, copy: bool) -> tuple[list[str], tuple[int, int]]:
    """Video mapping and codec arguments, and the output picture size."""
    if copy:
        args = ["-map", "1:v:0", "-c:v", "copy"]
        if info.video_codec == "hevc":
            args += ["-tag:v", "hvc1"]  # what Apple players expect in MP4
        return args, display_size(info)
    x264 = list(x264_args())
    if visual is not None:
        return ["-filter_complex", visual.filter_complex, "-map", f"[{visual.output_label}]", *x264], (
            visual.width,
            visual.height,
        )
    # FFmpeg autorotates decoded frames, so size the displayed (rotated) picture.
    w, h = scaled_size(*display_size(info))
    return ["-map", "1:v:0", "-vf", f"scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p", *x264], (w, h)


def _crop_position(path: CropPath | None) -> tuple[str, str] | None:
    if path is None:
        return None
    free = "(iw-ow)" if path.axis == "x" else "(ih-oh)"
    return path.axis, position_expression(path, free=free)


def render(
    *,
    info: MediaInfo,
    audio: np.ndarray | Path,
    sample_rate: int,
    output: Path,
    edits: VideoEdits | None = None,
    timeout_s: float = 900.0,
) -> RenderedFile:
    """Write ``output`` (MP4, faststart) from the source video, the mixed audio and the visual edits."""
    edits = edits or VideoEdits()
    if isinstance(audio, Path):  # audio15: a long mix arrives as a raw stereo f32le file, never whole in memory
        pcm, audio_input = None, ["-f", "f32le", "-ar", str(sample_rate), "-ac", "2", "-i", str(audio)]
    else:
        pcm, audio_input = (
            np.ascontiguousarray(audio.T, dtype="<f4").tobytes(),
            _audio_input(sample_rate, audio.shape[0]),
        )
    inputs = [*audio_input, "-i", info.path]
    tail = ["-map", "0:a:0", "-c:a", "aac", *AUDIO_ARGS, "-b:a", AUDIO_BITRATE, "-ar", str(sample_rate)]
    tail += ["-map_metadata", "1", "-movflags", "+faststart", "-f", "mp4"]
    quiet = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    head = [*quiet, *inputs]
    shown_w, shown_h = display_size(info)
    with tempfile.TemporaryDirectory(prefix="musiccog-visual-") as workdir:
        visual = plan_visual(
            display_width=shown_w,
            display_height=shown_h,
            aspect=edits.aspect,
            fit=edits.fit,
            max_height=edits.max_height,
            title=edits.title,
            workdir=Path(workdir),
            input_label="1:v",
            crop_position=_crop_position(edits.reframe),
            sample_aspect=info.sample_aspect,
        )
        try:
            copy = visual is None and can_copy_video(info)
            spliced = _smart_title(info, edits, visual, (shown_w, shown_h), Path(workdir), timeout_s)
            if spliced is not None:
                video_args, (width, height) = _encode_args(info, None, True)
                source_args = [*quiet, *audio_input, "-i", str(spliced.path)]
            else:
                video_args, (width, height) = _encode_args(info, visual, copy)
                source_args = head
            target = edits.target_size_bytes
            env = visual.ffmpeg_env() if visual is not None else None
            # A size cap is a ceiling: the normal result first (copy or quality-based encode), fitted to the
            # cap by bitrate only when it does not fit — never a file inflated up to the cap.
            run_render([*source_args, *video_args, *tail], pcm=pcm, output=output, timeout_s=timeout_s, env=env)
            if target is not None and not fits(output, target):
                logger.info(
                    "the %s video does not fit %d bytes: encoding it to fit", "copied" if copy else "encoded", target
                )
                output.unlink()  # never leave a file over the limit behind, even if fitting fails
                if copy:
                    width, height = scaled_size(shown_w, shown_h)
                    copy = False
                if visual is not None:
                    width, height = visual.width, visual.height
                spliced = None
                result = encode_to_fit(
                    output=output,
                    input_args=inputs,
                    video=visual.output_label if visual is not None else "1:v:0",
                    audio="0:a:0",
                    width=width,
                    height=height,
                    duration_s=info.duration_s,
                    target_bytes=target,
                    filter_complex=visual.filter_complex if visual is not None else None,
                    stdin=pcm,
                    env=env,
                    audio_args=AUDIO_ARGS,
                    timeout_s=timeout_s,
                )
                width, height = result.width, result.height
        finally:
            if visual is not None:
                visual.cleanup()
    return RenderedFile(
        video_copied=copy,
        width=width,
        height=height,
        size_bytes=output.stat().st_size,
        title_dropped=visual.title_dropped if visual is not None else "",
        reencoded_s=spliced.reencoded_s if spliced is not None else None,
    )


def _smart_title(
    info: MediaInfo,
    edits: VideoEdits,
    visual: VisualPlan | None,
    shown: tuple[int, int],
    workdir: Path,
    timeout_s: float,
) -> SplicedVideo | None:
    """The clip with only its titled GOPs re-encoded, when a title is the only visual change (else None)."""
    title_only = visual is not None and visual.title_text and (visual.width, visual.height) == shown
    if not title_only or edits.title is None or not can_copy_video(info):
        return None
    return splice_title(info, edits.title, workdir, timeout_s=timeout_s)
