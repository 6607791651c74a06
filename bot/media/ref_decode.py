"""One pass that leaves out non-reference pictures where nothing can hide, checked frame by frame.

Most encoders mark a third or more of their pictures (B-frames) as non-reference: no other picture
predicts from them, so they can be kept out of the decoder without changing any other picture
(:meth:`~bot.media.video_decode.IdrSniffer.inspect` reads ``nal_ref_idc`` / the HEVC NAL type). On
the matrix clips the reference pictures alone are 0.59-0.84 of a full decode by the byte/frame model
(``bench/analysis_matrix.py`` prints the measured figure). This pass, over the whole clip in decode
order:

1. keeps every reference picture and the non-reference ones near a *candidate*: a keyframe after the
   first, or a picture whose packet is ``HOT_RATIO`` times the median of its kind (a cut makes the next
   reference picture intra-code the new shot): the ``CONTEXT`` frames before a candidate are decoded
   (the B-frames a cut just before it would hide). A short run every ``MOTION_EVERY_S`` keeps
   frame-to-frame motion sampled;
2. checks every left-out run as soon as the frame after it comes out: its two sides must look like one
   shot (``SAME_SHOT_PIX`` / ``SAME_SHOT_HIST``, stricter than the cut floors). A run whose sides differ
   (a cut the packet sizes did not show) is decoded again from its GOP's keyframe afterwards, so the
   frame detector decides there as on a full decode;
3. bounds the cost: once those re-decodes are priced over ``REDECODE_BUDGET`` of a full decode, the
   rest of the clip is decoded whole (every picture kept) and only the runs already failed are redone.

A run whose two sides match can only hide a burst shorter than the run (1-3 frames with B-frames),
which the cut detector calls a flash, not a cut, anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import av.container
import av.video.frame
import av.video.stream
import numpy as np

from bot.media import cancel
from bot.media.cut_detection import SAME_SHOT_HIST, SAME_SHOT_PIX, detect_cuts
from bot.media.frame_features import DecodedFrames, Thumbnailer
from bot.media.packet_index import PacketIndex, decode_cost, merge_ranges, ranges_for_displays
from bot.media.range_decode import decode_ranges
from bot.media.video_decode import Progress, configure_decoder

__all__ = ["CONTEXT", "HOT_RATIO", "REDECODE_BUDGET", "RefsOutcome", "decode_refs", "refs_plan", "settle_left_out"]

logger = logging.getLogger(__name__)

HOT_RATIO = 2.0
"""A reference picture this many times its kind's local median is a candidate: the frames near it
are decoded in the pass (a cut makes the next reference picture intra-code the new shot). Lower
(1.6) priced the matrix's plans 0.01-0.08 higher; a cut with a smaller spike is found by the check."""
CONTEXT = 3
"""Frames decoded before a candidate: the B-frames between it and the anchor before it. A cut on a
B-frame after it makes the next anchor the candidate; decoding 3 after as well priced the matrix's
plans ~0.03 higher for no cut found."""
MOTION_EVERY_S = 0.5
MOTION_RUN = 3
"""Every ``MOTION_EVERY_S`` this many frames in a row are decoded: two frame-to-frame motion samples.
Motion is measured on these alone (``DecodedFrames.motion_samples``): the stretches decoded whole
around cuts and flashes are no fair sample of it."""
REDECODE_BUDGET = 0.15
"""Re-decodes of failed runs priced past this fraction of a full decode: keep everything from there."""


@dataclass
class RefsOutcome:
    """What the pass did: frames decoded, cut display indices, planned cost, runs left out and failed."""

    decoded: int
    cuts: list[int]
    cost: float
    left_out: int
    failed: int


def motion_runs(index: PacketIndex) -> list[range]:
    """The display ranges decoded whole as motion samples."""
    every = max(MOTION_RUN + 1, round(MOTION_EVERY_S * index.ctx.fps))
    return [range(d, min(index.n, d + MOTION_RUN)) for d in range(every // 2, index.n, every)]


def refs_plan(index: PacketIndex) -> np.ndarray:
    """Which packets (decode order) the pass feeds the decoder: every reference picture, and
    every picture near a candidate or in a motion sample."""
    keep = ~index.nonref
    if keep.all():
        return keep
    hot = np.flatnonzero(((index.ratio >= HOT_RATIO) & keep) | index.key)
    near = np.zeros(index.n + 1, dtype=np.int64)
    for d in index.display[hot]:
        d = int(d)
        if d == 0:
            continue
        near[max(0, d - CONTEXT)] += 1
        near[d + 1] -= 1
    for run in motion_runs(index):
        near[run.start] += 1
        near[run.stop] -= 1
    wanted_display = np.cumsum(near)[: index.n] > 0
    keep |= wanted_display[index.display]
    return keep


def settle_left_out(frames: DecodedFrames, a: int, b: int) -> bool:
    """Frames a+1..b-1 were left out: if frames a and b are one shot, they never need decoding (True)."""
    diff = frames.long_diff(a, b)
    if diff is not None and diff[0] < SAME_SHOT_PIX and diff[1] < SAME_SHOT_HIST:
        frames.skip(range(a + 1, b))
        return True
    return False


def redecode_cost(index: PacketIndex, displays: range) -> float:
    """Price of decoding ``displays`` again later: the reference pictures from their GOP's keyframe."""
    need = set(int(i) for i in index.order[list(displays)])
    ranges = ranges_for_displays(index, displays)
    return decode_cost(index, [(i, i) for s, e in ranges for i in range(s, e + 1) if not index.nonref[i] or i in need])


def decode_refs(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    index: PacketIndex,
    frames: DecodedFrames,
    progress: Progress,
    *,
    start: int = 0,
    pending: list[tuple[int, int]] | None = None,
) -> RefsOutcome:
    """Decode the clip from packet ``start`` (a keyframe; frames before it are decoded already) to the
    end in one pass, leaving out non-reference pictures far from any candidate. ``pending``: runs
    ``(a, b)`` before the start still to be decoded (frames a+1..b-1), with the failed ones."""
    if not stream.codec_context.is_open:  # else the sparse strategy set it up and hands over
        configure_decoder(stream)
    keep = refs_plan(index)
    keep[:start] = False
    first_shown = int(index.display[start])
    samples = {k for run in motion_runs(index) for k in run[1:] if k > first_shown}
    frames.motion_samples = samples | {k for k in frames.pairs if k <= first_shown}
    cost = decode_cost(index, [(int(i), int(i)) for i in np.flatnonzero(keep)])
    cc = stream.codec_context
    thumb = Thumbnailer()
    decode_of_pts = {int(p): i for i, p in enumerate(index.pts)}
    failed: list[tuple[int, int]] = list(pending or [])
    redecode = 0.0
    left_out = 0
    last = max((d for d in frames.decoded if d < first_shown), default=-1)
    outputs = 0

    def take(frame: av.video.frame.VideoFrame) -> None:
        nonlocal last, left_out, redecode, outputs
        outputs += 1
        if frame.pts is None:
            return
        i = decode_of_pts.get(int(frame.pts))
        if i is None:
            return
        d = int(index.display[i])
        if d not in frames.decoded:
            frames.add(d, int(frame.pts), thumb(frame))
        settled = frames.skipped
        if d > last + 1 and last >= 0 and not all(k in settled for k in range(last + 1, d)):
            left_out += 1
            if not settle_left_out(frames, last, d):
                failed.append((last, d))
                redecode += redecode_cost(index, range(last + 1, d))
                if redecode > REDECODE_BUDGET and not keep.all():
                    logger.info("left-out runs keep hiding changes: decoding the rest of the clip whole")
                    keep[:] = True
        last = max(last, d)

    container.seek(int(index.pts[start]), stream=stream, backward=True, any_frame=False)
    cc.flush_buffers()
    fed = 0
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        p = packet.pts if packet.pts is not None else packet.dts
        i = decode_of_pts.get(int(p)) if p is not None else None
        if i is not None and not keep[i]:
            continue  # before the start, or left out
        for frame in cc.decode(packet):
            take(frame)
        fed += 1
        if fed % 16 == 0:
            cancel.check()
            progress(0.1 + 0.75 * (i or start) / max(1, index.n))
    for frame in cc.decode(None):
        take(frame)
    if last < index.n - 1 and last >= 0:
        failed.append((last, index.n))  # a tail left out: nothing after it to compare with
    if failed:
        wanted = [d for a, b in failed for d in range(a + 1, min(b, index.n))]
        ranges = merge_ranges(ranges_for_displays(index, wanted))
        feed = ~index.nonref
        feed[index.order[wanted]] = True
        cost += decode_cost(index, [(i, i) for s, e in ranges for i in range(s, e + 1) if feed[i]])
        logger.debug("refs pass: %d of %d left-out runs re-decoded (%d frames)", len(failed), left_out, len(wanted))
        cc.flush_buffers()
        outputs += decode_ranges(container, stream, index, ranges, frames, progress, (0.85, 0.95), feed)
    cuts = detect_cuts(frames)
    logger.debug("refs pass: planned cost %.2f, %d runs left out, %d failed", cost, left_out, len(failed))
    return RefsOutcome(outputs, cuts, cost, left_out, len(failed))
