"""What the pictures and the original sound of a clip say: hard cuts, motion, light, colour, speech.

The entry point, :func:`analyse_video`, picks a decoding strategy and runs speech detection on the
sound alongside; the work is split by question:

- :mod:`bot.media.frame_features`: each decoded frame as a 64x36 thumbnail (luma, histogram, colour);
- :mod:`bot.media.cut_detection`: where a new shot starts, from consecutive thumbnails;
- :mod:`bot.media.video_decode`: decoder settings, stream timing and damage checks, the full decode;
- :mod:`bot.media.packet_index` and :mod:`bot.media.sparse_decode`: the "sparse" strategy, which
  decodes GOP heads and only the stretches packet sizes can't explain (pays on still footage: a
  screen recording at ~0.8 of a full decode);
- :mod:`bot.media.ref_decode`: the reference-picture pass, which leaves non-reference pictures
  (most B-frames) out of the decoder wherever the pictures on both sides of them are one shot.

Cost is bounded by one full decode, whatever the encoder did. Clips small enough to decode quickly
(``FULL_DECODE_MAX_PIXEL_FRAMES``) are decoded fully ("full" strategy). Otherwise the packet index
is read first (no decoding). Streams with long enough GOPs whose heads are priced under
``MAX_HEADS_COST`` of a full decode try the sparse strategy; when its probe or its budget says the
clip moves too much for it, the rest is done by the reference-picture pass ("sparse+refs"), or
decoded whole if the stream has no non-reference pictures ("sparse+rest": x264 ``zerolatency``, most
phones' P-only streams). Other streams with non-reference pictures take the reference-picture pass
("refs"), the rest are decoded fully. ``strategy=`` forces one (tests, benchmarks); a forced
"sparse" has no budget unless ``sparse_budget`` gives one, and decodes the rest whole past it.

Measured on the matrix (``python -m bench matrix``, README): cuts exact on every clip; 0.73-1.06 of a
full decode's CPU on the B-frame streams (mean 0.93 over all ten clips); on P-only streams every
picture is a reference, so the analysis pays a full decode plus its thumbnails and speech (~1.2x).

Damage: a stream whose packets stop early (an MP4 cut short with its index in front) or that FFmpeg
fails to decode part-way raises :class:`InputRejected`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import av
import av.container
import av.video.stream

from bot.errors import InputRejected
from bot.media.audio_io import decode_audio
from bot.media.cut_detection import detect_cuts
from bot.media.frame_features import DecodedFrames
from bot.media.models import MediaInfo, VideoAnalysis
from bot.media.motion_peak import motion_peak_s
from bot.media.packet_index import PacketIndex, decode_cost, mean_gop, read_packet_index
from bot.media.ref_decode import decode_refs
from bot.media.sparse_decode import SPARSE_BUDGET, decode_sparse, head_ranges
from bot.media.speech import VAD_RATE, detect_speech
from bot.media.video_decode import Progress, ProgressFn, StreamContext, decode_full

__all__ = ["Strategy", "analyse_video"]

logger = logging.getLogger(__name__)

Strategy = Literal["auto", "full", "sparse", "refs"]

FULL_DECODE_MAX_PIXEL_FRAMES = 300_000_000
"""About 1080p for 5 s, 720p for 11 s, 360p for a minute: cheap enough to decode every frame."""
MIN_SPARSE_GOP = 6
"""Mean GOP length (frames) below which decoding GOP heads is nearly a full decode anyway."""
MAX_HEADS_COST = 0.3
"""GOP heads priced over this fraction of a full decode (big keyframes, short GOPs): decode it all."""


def analyse_video(
    info: MediaInfo,
    *,
    on_progress: ProgressFn | None = None,
    strategy: Strategy = "auto",
    sparse_budget: float | None = None,
) -> VideoAnalysis:
    """Cuts, motion, brightness, saturation, warmth and speech of a probed clip.

    ``on_progress`` receives a fraction 0..1 now and then. ``sparse_budget`` (a fraction of a full
    decode) overrides the sparse strategy's budget. Raises :class:`InputRejected` if the video
    turns out to be damaged part-way.
    """
    started = time.perf_counter()
    progress = Progress(on_progress)
    frames = DecodedFrames()
    # The sound is decoded on a worker thread while the pictures decode: PyAV releases the GIL
    # inside FFmpeg, and the video decoder leaves the cores idle between its dependent frames.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech") as pool:
        speech_job = pool.submit(_speech, info)
        try:
            cuts, decoded, mode, time_of = _analyse_pictures(info, frames, progress, strategy, sparse_budget)
        except BaseException:
            speech_job.cancel()
            raise
        speech = speech_job.result()
    cut_times = tuple(round(time_of(d), 6) for d in sorted(set(cuts)) if d > 0)
    progress(1.0)
    result = VideoAnalysis(
        duration_s=info.duration_s,
        cut_times_s=cut_times,
        motion=frames.motion(exclude=set(cuts)),
        brightness=frames.brightness,
        saturation=frames.saturation,
        warmth=frames.warmth,
        speech_intervals=speech,
        frames_decoded=decoded,
        motion_peak_s=_motion_peak(frames, set(cuts), time_of, info.duration_s),
    )
    logger.info(
        "analysed %s (%s): %d cuts, %d frames decoded, motion %.2f, %d speech intervals in %.2f s",
        info.path,
        mode,
        len(cut_times),
        decoded,
        result.motion,
        len(speech),
        time.perf_counter() - started,
    )
    return result


def _analyse_pictures(
    info: MediaInfo, frames: DecodedFrames, progress: Progress, strategy: Strategy, sparse_budget: float | None
) -> tuple[list[int], int, str, Callable[[int], float]]:
    """Decode what is needed; return cut display indices, frames decoded, mode, index->seconds."""
    try:
        with av.open(info.path) as container:
            stream = _video_stream(container)
            ctx = StreamContext.from_stream(stream, info)
            wanted = _choose_strategy(strategy, info, stream)
            index = read_packet_index(container, stream, ctx) if wanted in ("sparse", "refs") else None
            if index is not None and strategy != "refs" and (strategy == "sparse" or _sparse_pays(index)):
                progress(0.05)
                budget = sparse_budget if sparse_budget is not None else math.inf
                if strategy == "auto" and sparse_budget is None:
                    budget = SPARSE_BUDGET
                by_refs = strategy == "auto" and bool(index.nonref.any())
                outcome = decode_sparse(container, stream, index, frames, progress, budget=budget, rest_by_refs=by_refs)
                mode = "sparse" if not outcome.completed else "sparse+refs" if by_refs else "sparse+rest"
                logger.debug("%s: sparse decode cost %.2f of a full decode", info.path, outcome.cost)
                return outcome.cuts, outcome.decoded, mode, index.time_of_display
            if index is not None and index.nonref.any():
                refs = decode_refs(container, stream, index, frames, progress)
                logger.debug("%s: reference-picture pass cost %.2f of a full decode", info.path, refs.cost)
                return refs.cuts, refs.decoded, "refs", index.time_of_display
            if index is not None or wanted == "sparse":
                container.seek(0)
            decoded = decode_full(container, stream, ctx, frames, progress)
            return detect_cuts(frames), decoded, "full", ctx.time_of_frame(frames)
    except InputRejected:
        raise
    except (av.FFmpegError, OSError, ValueError, MemoryError) as exc:
        logger.info("analysis of %s failed: %s", info.path, exc)
        raise InputRejected("video_damaged") from exc


def _motion_peak(
    frames: DecodedFrames, cuts: set[int], time_of: Callable[[int], float], duration_s: float
) -> float | None:
    """Where the frame-to-frame motion clearly peaks; the jumps at hard cuts are no motion."""
    pairs = frames.motion_pairs(exclude=cuts)
    return motion_peak_s([time_of(k) for k, _ in pairs], [pix for _, pix in pairs], duration_s)


def _sparse_pays(index: PacketIndex) -> bool:
    """Is the sparse strategy worth trying: long enough GOPs, and GOP heads priced low enough?"""
    if mean_gop(index) < MIN_SPARSE_GOP:
        return False
    heads = decode_cost(index, head_ranges(index))
    logger.debug("GOP heads priced at %.2f of a full decode", heads)
    return heads <= MAX_HEADS_COST


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The first real video stream (a cover picture in a song file is not one)."""
    for stream in container.streams.video:
        if not int(stream.disposition) & int(av.stream.Disposition.attached_pic):
            return stream
    raise InputRejected("no_video_track")


def _choose_strategy(strategy: Strategy, info: MediaInfo, stream: av.video.stream.VideoStream) -> str:
    if strategy != "auto":
        return strategy
    n_frames = stream.frames or int(info.duration_s * (info.fps or 30.0))
    return "full" if info.width * info.height * n_frames <= FULL_DECODE_MAX_PIXEL_FRAMES else "sparse"


def _speech(info: MediaInfo) -> tuple[tuple[float, float], ...]:
    if not info.has_audio:
        return ()
    samples = decode_audio(info.path, sample_rate=VAD_RATE, channels=1)
    return detect_speech(samples, VAD_RATE)
