"""A montage's picture: every segment conformed to one frame and rate, streamed into one encoder.

One encoder process runs for the whole film: it reads raw frames (yuv420p, the film's size and rate) on
stdin and the music mix from a file, draws the title if asked, and encodes once (``bot.media.encoding``).
The segments are made one after another by short FFmpeg processes, each holding one decoder only: a clip
is opened with ``-ss``/``-t`` (FFmpeg seeks to the keyframe before the stretch and decodes only the
stretch), autorotated, made constant-rate, scaled to cover the frame — its crop window following the
subject (``reframe``) or centred — or fitted over a blurred copy, and cut to exactly its number of frames;
a photo is shown with a slow zoom or pan (Ken Burns), never with bars. Their frames go straight from
their pipe into the encoder's (``os.splice``, no copy through Python) and are counted, so every piece is
whole frames of the film's rate and a cut lands within half a frame of its beat.

Why pieces and not one FFmpeg run: one run opens every input at once, and a dozen decoders (one of them
4K) held about 0.9 GB; one decoder at a time keeps the tree under 1 GB. The next piece starts only when
the current one has ended: starting it early, to hide its seek behind the encode, held two decoders at
once and took the tree over 1 GB (measured: 1067 MB).

Decoding and encoding overlap: the piece's decoder and the encoder run at once, coupled by two pipes made
1 MiB wide (a third of a 1080p frame; the 64 KiB default made them take turns), and x264 runs its own frame
threads. The encoder is a film's own setting (``encoding.film_x264_args``). The CPU each piece's decoder
and the encoder used is taken from the kernel (``wait4``) and logged, for the benchmark's breakdown.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from bot.errors import RenderFailed
from bot.media import cancel
from bot.media.encoding import film_x264_args
from bot.media.fit_size import encode_to_fit, fits
from bot.media.reframe import CropPath, position_expression
from bot.media.render import AUDIO_ARGS, AUDIO_BITRATE, RenderedFile, ffmpeg_exe
from bot.media.timeline import OutputSettings, Segment, TitleTrack
from bot.media.visual import ASPECT_RATIOS, OUTPUT_LABEL, SQUARE_PIXELS, blur_graph, even, plan_visual

__all__ = ["FILM_FPS", "film_fps", "film_size", "frame_index", "piece_args", "render_montage"]

logger = logging.getLogger(__name__)

FILM_FPS = 30
PHOTO_OVERSCAN = 2
"""Photos are moved at twice the output size, so the zoom and pan step in half pixels (no visible jitter)."""
ZOOM = 0.12
SPLICE_BYTES = 1 << 20
PIPE_BYTES = 1 << 20
"""The pipes' buffer (Linux allows 1 MiB to anyone by default: ``/proc/sys/fs/pipe-max-size``)."""
OUTPUT_MODE = 0o644


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
    crop_paths: Mapping[int, CropPath] | None = None,
) -> RenderedFile:
    """Write the film to ``target`` (MP4, H.264 yuv420p + AAC, faststart). ``crop_paths``: per segment index,
    where a clip's cropped window looks (clip seconds from the segment's start); others are centred."""
    width, height = size
    fps = film_fps(output)
    crop_paths = crop_paths or {}
    deadline = time.monotonic() + timeout_s
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="musiccog-montage-") as workdir_name:
        workdir = Path(workdir_name)
        mix = workdir / "mix.f32"
        mix.write_bytes(np.ascontiguousarray(audio.T, dtype="<f4").tobytes())
        audio_input = ["-f", "f32le", "-ar", str(sample_rate), "-ac", str(audio.shape[0]), "-i", str(mix)]
        visual = plan_visual(
            display_width=width,
            display_height=height,
            aspect=None,
            fit="crop",
            max_height=None,
            title=title,
            workdir=workdir,
            input_label="0:v",
        )
        fd, film_name = tempfile.mkstemp(prefix=".musiccog-", suffix=".mp4", dir=target.parent)
        os.close(fd)
        film = Path(film_name)
        try:
            picture = (
                ["-filter_complex", visual.filter_complex, "-map", f"[{OUTPUT_LABEL}]"]
                if visual is not None
                else ["-map", "0:v:0"]
            )
            encoder = [
                ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-framerate", str(fps),
                "-i", "pipe:0", *audio_input, *picture, "-map", "1:a:0", *film_x264_args(), "-color_range", "tv",
                "-r", str(fps), "-c:a", "aac", *AUDIO_ARGS, "-b:a", AUDIO_BITRATE, "-ar", str(sample_rate),
                "-movflags", "+faststart", "-f", "mp4", str(film),
            ]  # fmt: skip
            env = visual.ffmpeg_env() if visual is not None else None
            pieces = [
                (
                    piece_args(segment, (width, height, fps), output.fit, crop_paths.get(i)),
                    frame_index(segment.end_s, fps) - frame_index(segment.start_s, fps),
                )
                for i, segment in enumerate(segments)
            ]
            _encode_pieces(encoder, pieces, width * height * 3 // 2, workdir, deadline, env)
            os.chmod(film, OUTPUT_MODE)
            cap = output.target_size_bytes
            if cap is not None and not fits(film, cap):
                # Only over a cap: the film is encoded again to fit (two passes by bitrate), from the film.
                logger.info("the montage does not fit %d bytes: encoding it to fit", cap)
                fitted = encode_to_fit(
                    output=target, input_args=["-i", str(film)], video="0:v:0", audio="0:a:0", width=width,
                    height=height, duration_s=segments[-1].end_s, target_bytes=cap, audio_args=AUDIO_ARGS,
                    timeout_s=max(1.0, deadline - time.monotonic()),
                )  # fmt: skip
                width, height = fitted.width, fitted.height
            else:
                os.replace(film, target)
        finally:
            film.unlink(missing_ok=True)
            if visual is not None:
                visual.cleanup()
    return RenderedFile(
        video_copied=False,
        width=width,
        height=height,
        size_bytes=target.stat().st_size,
        title_dropped=visual.title_dropped if visual is not None else "",
    )


def piece_args(segment: Segment, frame: tuple[int, int, int], fit: str, crop: CropPath | None = None) -> list[str]:
    """The FFmpeg command that writes ``segment`` as raw yuv420p frames of the film on stdout."""
    fps = frame[2]
    frames = frame_index(segment.end_s, fps) - frame_index(segment.start_s, fps)
    if segment.kind == "photo":
        source = ["-i", segment.source]
        graph = _photo_graph("[0:v]", segment, frames, frame, fit)
    else:
        span = segment.source_end_s - segment.source_start_s
        source = ["-ss", f"{segment.source_start_s:.3f}", "-t", f"{span + 0.5:.3f}", "-i", segment.source]
        graph = _clip_graph("[0:v]", frames, frame, fit, crop)
    return [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", *source, "-filter_complex", graph,
        "-map", "[piece]", "-frames:v", str(frames), "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1",
    ]  # fmt: skip


def _clip_graph(src: str, frames: int, frame: tuple[int, int, int], fit: str, crop: CropPath | None) -> str:
    """A clip's stretch at the film's rate and frame, exactly ``frames`` long (the last frame held if short)."""
    width, height, fps = frame
    timing = f"{src}{SQUARE_PIXELS},fps={fps},setpts=PTS-STARTPTS[timed]"
    exact = f"[framed]tpad=stop_mode=clone:stop={frames},scale=out_range=tv,format=yuv420p[piece]"
    return ";".join((timing, _framed("[timed]", "framed", width, height, fit, crop), exact))


def _framed(src: str, out: str, width: int, height: int, fit: str, crop: CropPath | None = None) -> str:
    """``src`` covering a ``width`` x ``height`` frame (cropped: centred, or where ``crop`` looks), or fitted
    over a blurred copy, as ``[out]``. The crop expression is numbers and ``t`` only: no user text."""
    if fit == "blur":
        return blur_graph(src, width, height, out=out)
    position = ""
    if crop is not None:
        free = "(iw-ow)" if crop.axis == "x" else "(ih-oh)"
        position = f":{crop.axis}='{position_expression(crop, free=free)}'"
    return (
        f"{src}scale={width}:{height}:force_original_aspect_ratio=increase:flags=bicubic,"
        f"crop={width}:{height}{position},setsar=1[{out}]"
    )


def _photo_graph(src: str, segment: Segment, frames: int, frame: tuple[int, int, int], fit: str) -> str:
    """A still, covering the frame (or fitted over its blurred copy), moving slowly for ``frames`` frames."""
    width, height, fps = frame
    still = _framed(src, "still", width * PHOTO_OVERSCAN, height * PHOTO_OVERSCAN, fit)
    n = max(1, frames - 1)
    zoom, x, y = {
        "zoom_in": (f"1+{ZOOM}*on/{n}", "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"),
        "zoom_out": (f"{1 + ZOOM}-{ZOOM}*on/{n}", "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"),
        "pan_left": (f"{1 + ZOOM}", f"(iw-iw/zoom)*(1-on/{n})", "(ih-ih/zoom)/2"),
        "pan_right": (f"{1 + ZOOM}", f"(iw-iw/zoom)*on/{n}", "(ih-ih/zoom)/2"),
    }[segment.move]
    moved = (
        f"[still]zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}:s={width}x{height}:fps={fps},"
        f"setsar=1,scale=out_range=tv,format=yuv420p[piece]"
    )
    return f"{still};{moved}"


def _encode_pieces(
    encoder_args: Sequence[str],
    pieces: Sequence[tuple[list[str], int]],
    frame_bytes: int,
    workdir: Path,
    deadline: float,
    env: Mapping[str, str] | None,
) -> None:
    """Run the encoder and stream every piece into it in order, one decoding at a time; each piece must give
    exactly its frames (one that comes out short is filled with black, so later cuts stay on their beats).
    Logs (INFO) the CPU seconds of the pieces' decoding and of the encoder, from the kernel's accounting."""
    logs = workdir / "logs"
    logs.mkdir()
    running: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()

    def start(args: Sequence[str], name: str, **kwargs: object) -> subprocess.Popen[bytes]:
        log: IO[bytes] = (logs / name).open("wb")
        proc = subprocess.Popen(list(args), stderr=log, **kwargs)  # type: ignore[call-overload]
        log.close()
        running.append(proc)
        return proc

    encoder = start(encoder_args, "encoder", stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    assert encoder.stdin is not None
    sink = encoder.stdin.fileno()
    _widen(sink)
    piece_cpu: list[float] = []
    try:
        for i, (args, frames) in enumerate(pieces):
            piece = start(args, f"piece{i}", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
            assert piece.stdout is not None
            _widen(piece.stdout.fileno())
            sent = _splice_all(piece.stdout.fileno(), sink, frames * frame_bytes, deadline)
            piece.stdout.close()
            piece_cpu.append(_reap(piece, deadline))
            if piece.returncode != 0 and sent < frames * frame_bytes:
                _fail("Making a piece of the film", logs / f"piece{i}")
            _pad(sink, frames * frame_bytes - sent, frame_bytes, i)
        decoded = time.monotonic() - started
        encoder.stdin.close()
        encoder_cpu = _reap(encoder, deadline)
        if encoder.returncode != 0:
            _fail("Rendering the video", logs / "encoder")
        logger.info(
            "film render: pieces %.1f CPU-s (%s), encoder %.1f CPU-s; wall %.1f s (pieces done at %.1f s)",
            sum(piece_cpu), " ".join(f"{cpu:.1f}" for cpu in piece_cpu), encoder_cpu,
            time.monotonic() - started, decoded,
        )  # fmt: skip
    except BrokenPipeError:
        encoder.wait(timeout=10)
        _fail("Rendering the video", logs / "encoder")
    except subprocess.TimeoutExpired as exc:
        raise RenderFailed("Rendering the video took too long and was stopped.") from exc
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if encoder.stdin and not encoder.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                encoder.stdin.close()


def _reap(proc: subprocess.Popen[bytes], deadline: float) -> float:
    """Wait for ``proc`` to exit (``TimeoutExpired`` past ``deadline``), set its return code and return the CPU
    seconds (user + system) it used, as the kernel counted them (``wait4``)."""
    wait_s = 0.001
    limit = max(deadline, time.monotonic() + 1.0)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > limit:
            raise subprocess.TimeoutExpired(proc.args, 0)
        cancel.check()
        time.sleep(wait_s)
        wait_s = min(0.05, wait_s * 2)


def _widen(pipe: int) -> None:
    """Give ``pipe`` up to ``PIPE_BYTES`` of buffer (Linux; 64 KiB by default, a 50th of a 1080p frame), so
    a decoder runs on while the encoder is busy and the other way round, instead of taking turns."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _splice_all(source: int, sink: int, limit: int, deadline: float) -> int:
    """Move up to ``limit`` bytes from pipe ``source`` to pipe ``sink``; how many moved (fewer at EOF)."""
    moved = 0
    while moved < limit:
        cancel.check()
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired("montage", 0)
        count = os.splice(source, sink, min(SPLICE_BYTES, limit - moved))
        if count == 0:
            break
        moved += count
    return moved


def _pad(sink: int, missing: int, frame_bytes: int, index: int) -> None:
    """Fill a piece that came out short: whole black frames keep every later cut on its beat."""
    if missing <= 0:
        return
    logger.warning("montage piece %d came out %d frame(s) short: filled with black", index, missing // frame_bytes)
    luma = frame_bytes * 2 // 3
    black = bytes([16]) * luma + bytes([128]) * (frame_bytes - luma)
    data = (black * (missing // frame_bytes + 1))[:missing]
    view = memoryview(data)
    while view:
        written = os.write(sink, view)
        view = view[written:]


def _fail(doing: str, log: Path) -> None:
    detail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:] if log.exists() else []
    logger.error("ffmpeg failed while %s: %s", doing.lower(), " | ".join(detail))
    raise RenderFailed(f"{doing} failed.")
