"""Decode as little as possible: GOP heads, then only the stretches packet sizes can't explain.

A 60 s 1080p30 8 Mbit/s H.264 phone-like clip takes 6-8 s to decode fully on the 2-core target
machine, but analysis must fit in ~2.5 s. ``skip_frame=NONREF`` saves only 4 % there: x264 drops
almost all B-frames on grainy video (1639 P, 128 B, 33 I), and phones often send P-only streams
anyway. Decoding cost is roughly proportional to bytes, and a P-frame can only be decoded after
every earlier frame of its GOP. So the sparse strategy reads the packet index first
(:mod:`bot.media.packet_index`) and then:

0. decodes the first ``PROBE_GOPS`` GOPs whole (the start of a full decode, so nothing is lost if
   it goes on) and asks, of each of their stretches between GOP heads, what step 2 would have
   said. If most would have needed decoding anyway (hand-held footage, a cut in every GOP), the
   full decode simply goes on: no GOP head is decoded twice. Otherwise the rest goes sparse:
1. decodes every keyframe, plus the next displayed frame in ``MOTION_SAMPLES`` GOPs (colour and
   light samples, motion samples, and a picture at the start of every GOP);
2. explains each stretch it did not decode from the decoded frames on its two sides. Same shot on
   both sides (luma and histogram close) and no big packet: no cut. Anything else is decoded from
   the GOP's keyframe. Where one dominant packet-size spike stands out (a P-frame 1.6x+ the median
   of its kind, 1.4x+ any rival: a cut forces the encoder to intra-code the new picture), the first
   round decodes only up to just past it and the rest of the stretch is judged again. A spike
   places a cut by itself only as a lone spike (``LONE_SPIKE_SECONDS``, ``LONE_SPIKE_RIVAL``) with no
   B-frame around it: an x264 ``zerolatency`` stream hid two of three cuts in one long stretch
   behind a single spike (the matrix in ``bench/analysis_matrix.py``);
3. decodes, from the GOP's keyframe, every stretch that is still unexplained (a change with no
   dominant spike, such as a cut on a keyframe, a fade or a pan; a big packet with no change; the
   last GOP, with nothing after it), so there the frame detector decides.

Cost is bounded: every plan is priced by :func:`~bot.media.packet_index.decode_cost` (a fraction of
a full decode) before it runs. When the GOP heads plus everything still unexplained after them would
cost more than ``SPARSE_BUDGET``, the sparse strategy gives up at once and decodes every GOP it has
not decoded whole, in order (the full decode at thumbnail size, minus what is already done): the
waste is the GOP heads alone, never a sparse pass followed by a whole full decode.

An early keyframe is not taken for a cut: x264 also starts GOPs early in fades and on fast
hand-held motion (it produced false cuts on both). Before a decoded stretch that starts with an IDR
the decoder is not flushed, so frame threading overlaps two keyframes; any other start drains and
flushes it, and open-GOP leading pictures of a stretch are ignored.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from itertools import pairwise

import av.container
import av.video.frame
import av.video.stream

from bot.media.cut_detection import HIST_CUT, HIST_STRONG, PIX_CUT, SAME_SHOT_HIST, SAME_SHOT_PIX, detect_cuts
from bot.media.frame_features import DecodedFrames
from bot.media.packet_index import (
    PacketIndex,
    decode_cost,
    head_range,
    merge_ranges,
    ranges_for_displays,
)
from bot.media.range_decode import decode_ranges
from bot.media.ref_decode import decode_refs, refs_plan, settle_left_out
from bot.media.video_decode import Progress, configure_decoder

__all__ = ["SPARSE_BUDGET", "SparseOutcome", "decode_sparse", "head_ranges"]

logger = logging.getLogger(__name__)

SPIKE_CONFIDENT = 1.6
"""A packet this many times the size of its kind's local median may mark a cut (bench clip,
grain: real cuts 2.3-7.0x; clean 640x360 testsrc2, ultrafast: 1.84-1.90x)."""
SAME_SHOT_SPIKE = 2.0
"""Between two frames of one shot, only a spike this big is worth a look (a cut to a look-alike
shot); P-frames after a B-run reach 1.85x on the bench clip without any cut."""
SPIKE_ISOLATION = 1.4
SPIKE_DOMINANCE = 1.4
"""A spike is a place to stop decoding only if the runner-up in the stretch, and every packet of its
kind within +-7, is this many times smaller (busy hand-held P-frames swing 2-9x)."""
LONE_SPIKE_RIVAL = 1.3
LONE_SPIKE_SECONDS = 2.0
"""A spike places a cut without decoding only in a stretch of at most this long whose every other
packet (and its kind's neighbours) stays under ``LONE_SPIKE_RIVAL``: clean footage with one cut.
An x264 ``zerolatency`` stream hid two of three cuts in one 8 s stretch behind one 7.8x spike
(runner-up 3.6x), and cuts can leave no spike at all when rate control is starved."""
STILL_SHARE = 0.25
STILL_BITS_PER_PIXEL = 0.004
"""A packet under both (share of the smallest keyframe; 0.004 bit/pixel is 1 KB at 1080p) is
"still": a 1080p screen recording's typing and pointer packets are 100-280 B, its smallest
keyframe 1.2 KB (an editor window), a P-frame cut between two such windows ~1-2 KB."""
SPARSE_ROUNDS = 2
"""Decoding rounds after the GOP heads: a partial look around B-frame-hidden spikes, then whatever
is still unexplained, whole."""
PROBE_GOPS = 3
"""GOPs decoded whole first to see whether the sparse strategy pays on this clip (step 0)."""
PROBE_MAX_COST = 0.25
"""The probe shrinks to 2 GOPs, or is skipped (a clip of few, long GOPs), to stay under this price;
without it the sparse budget still bounds the cost."""
PROBE_DECODE_SHARE = 0.5
"""Probe stretches needing decoding at or above this share: go on with the full decode."""
SPARSE_BUDGET = 0.85
"""Most a sparse plan may cost (GOP heads plus the worst case of its rounds), as a fraction of a
full decode; past it, the rest is decoded whole (see the module docstring)."""
MOTION_SAMPLES = 8
"""GOPs whose first two frames are decoded for motion; the others give their keyframe only.
The frame after a keyframe must wait for the whole keyframe, so it costs as much as a second
keyframe in wall time (bench: 2-4 frames of every GOP 1.2 s, keyframes only 0.56 s)."""


@dataclass
class SparseOutcome:
    """What the sparse strategy did: frames decoded, cut display indices, and what it cost."""

    decoded: int
    cuts: list[int]
    cost: float
    """Planned decode cost, as a fraction of one full decode (heads and rounds, or heads and the rest)."""
    completed: bool
    """True when the budget ran out and every remaining GOP was decoded whole."""


@dataclass
class _GapVerdict:
    cut: int | None = None
    """The stretch is explained by a cut at this display index, without decoding it."""
    decode: bool = False
    until: int | None = None
    """Decode only up to this display index: the frames around a spike B-frames hide."""


def head_ranges(index: PacketIndex) -> list[tuple[int, int]]:
    """The first pass: every keyframe, and its next displayed frame in ``MOTION_SAMPLES`` GOPs."""
    every = max(1, math.ceil(len(index.starts) / MOTION_SAMPLES))
    return merge_ranges(
        [head_range(index, int(s)) if g % every == 0 else (int(s), int(s)) for g, s in enumerate(index.starts)]
    )


def decode_sparse(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    index: PacketIndex,
    frames: DecodedFrames,
    progress: Progress,
    *,
    budget: float = SPARSE_BUDGET,
    rest_by_refs: bool = True,
) -> SparseOutcome:
    """Decode GOP heads, then rounds of unexplained stretches, within ``budget`` (see module docstring)."""
    configure_decoder(stream)
    head = head_ranges(index)
    cost, decoded = 0.0, 0
    probe: list[tuple[int, int]] = []
    probe_gops = min(PROBE_GOPS, len(index.starts) - 1)
    while probe_gops >= 2:
        end, key_display = int(index.starts[probe_gops]), int(index.display[index.starts[probe_gops]])
        while end + 1 < index.n and int(index.display[end + 1]) < key_display:
            end += 1  # an open GOP's leading pictures, so the probe leaves no hole behind it
        probe = [(0, end)]
        if decode_cost(index, probe) <= PROBE_MAX_COST:
            break
        probe, probe_gops = [], probe_gops - 1
    if probe:
        for start, end in head:
            if start <= probe[0][1]:
                frames.keep.update(int(d) for d in index.display[start : end + 1])
        # With the reference-picture pass to go on with, the probe is its start: B-frames left out
        # where the frames on both sides are one shot (checked here), so a hand-over wastes nothing.
        feed = refs_plan(index) if rest_by_refs else None
        fed = probe if feed is None else [(i, i) for i in range(probe[0][1] + 1) if feed[i]]
        cost = decode_cost(index, fed)
        decoded = decode_ranges(container, stream, index, probe, frames, progress, (0.05, 0.2), feed)
        if feed is not None:
            shown = sorted(frames.decoded)
            for a, b in pairwise(shown):
                if b > a + 1:
                    settle_left_out(frames, a, b)
        probe_end = int(index.starts[probe_gops])
        if _probe_says_decode_all(index, frames, head, probe_gops):
            return _complete(container, stream, index, frames, progress, decoded, cost, rest_by_refs, probe_end)
        frames.keep.clear()
        head = [r for r in head if r[0] >= int(index.starts[probe_gops])]
    cost += decode_cost(index, head)
    decoded += decode_ranges(container, stream, index, head, frames, progress, (0.2, 0.5))
    verdicts: dict[tuple[int, int], _GapVerdict] = {}
    for round_ in range(SPARSE_ROUNDS + 1):
        partial = round_ < SPARSE_ROUNDS - 1
        verdicts = {gap: _judge_gap(index, frames, *gap, partial=partial) for gap in _gaps(index, frames)}
        wanted: list[int] = []
        worst: list[int] = []
        for (a, b), v in verdicts.items():
            if v.decode:
                stop = min(b, index.n)
                wanted.extend(range(a + 1, stop if v.until is None else min(b, v.until + 1)))
                worst.extend(range(a + 1, stop))
        ranges = merge_ranges(ranges_for_displays(index, wanted))
        worst_cost = decode_cost(index, merge_ranges(ranges_for_displays(index, worst)))
        logger.debug(
            "sparse round %d: %d GOPs, %d gaps, %d to decode (%d packets), cost so far %.2f, worst case still %.2f",
            round_,
            len(index.starts),
            len(verdicts),
            sum(v.decode for v in verdicts.values()),
            sum(e - s + 1 for s, e in ranges),
            cost,
            worst_cost,
        )
        if cost + worst_cost > budget:
            return _complete(container, stream, index, frames, progress, decoded, cost, rest_by_refs)
        if not ranges or round_ == SPARSE_ROUNDS:
            break
        span = (0.5 + 0.4 * round_ / SPARSE_ROUNDS, 0.5 + 0.4 * (round_ + 1) / SPARSE_ROUNDS)
        cost += decode_cost(index, ranges)
        decoded += decode_ranges(container, stream, index, ranges, frames, progress, span)
    cuts = detect_cuts(frames)
    cuts.extend(v.cut for v in verdicts.values() if v.cut is not None and not v.decode)
    return SparseOutcome(decoded, sorted(set(cuts)), cost, completed=False)


def _probe_says_decode_all(
    index: PacketIndex, frames: DecodedFrames, head: list[tuple[int, int]], probe_gops: int
) -> bool:
    """Would most stretches between the probe's GOP heads have been decoded anyway?"""
    heads_end = {s: int(index.display[s : e + 1].max()) for s, e in head}
    verdicts = []
    for g in range(probe_gops):
        a = heads_end.get(int(index.starts[g]), int(index.display[index.starts[g]]))
        b = int(index.display[index.starts[g + 1]])
        if b > a + 1:
            verdicts.append(_judge_gap(index, frames, a, b, partial=False).decode)
    share = sum(verdicts) / max(1, len(verdicts))
    logger.debug("probe: %d of %d stretches would need decoding", sum(verdicts), len(verdicts))
    return bool(verdicts) and share >= PROBE_DECODE_SHARE


def _complete(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    index: PacketIndex,
    frames: DecodedFrames,
    progress: Progress,
    decoded: int,
    cost: float,
    by_refs: bool,
    start: int | None = None,
) -> SparseOutcome:
    """Over budget: decode every frame not decoded yet (whole GOPs, in order); the frame detector decides.

    With ``by_refs`` (and a stream that marks non-reference pictures) the reference-picture pass does
    it instead (:mod:`bot.media.ref_decode`), from keyframe ``start`` (after the probe) or else the
    first GOP not decoded whole; runs the probe left out that hide a change are decoded again there.
    """
    missing = [d for d in range(index.n) if d not in frames.decoded and d not in frames.skipped]
    if by_refs and missing and index.nonref.any():
        if start is None:
            start = int(index.gop[int(index.order[missing[0]])])
        first_shown = int(index.display[start])
        pending = [(d - 1, d + 1) for d in missing if d < first_shown]
        logger.info("sparse decoding over budget: the reference-picture pass decodes the rest")
        refs = decode_refs(container, stream, index, frames, progress, start=start, pending=pending)
        return SparseOutcome(decoded + refs.decoded, refs.cuts, cost + refs.cost, completed=True)
    ranges = merge_ranges(ranges_for_displays(index, missing))
    cost += decode_cost(index, ranges)
    logger.info("sparse decoding over budget: decoding the rest whole (%d packets)", sum(e - s + 1 for s, e in ranges))
    decoded += decode_ranges(container, stream, index, ranges, frames, progress, (0.5, 0.9))
    return SparseOutcome(decoded, detect_cuts(frames), cost, completed=True)


def _gaps(index: PacketIndex, frames: DecodedFrames) -> list[tuple[int, int]]:
    """Undecoded stretches (a, b): frames a and b decoded, none in between; b == n for the tail."""
    shown = sorted(frames.decoded)
    skipped = frames.skipped
    gaps = [(a, b) for a, b in pairwise(shown) if b > a + 1 and not all(d in skipped for d in range(a + 1, b))]
    if shown and shown[-1] < index.n - 1:
        gaps.append((shown[-1], index.n))
    return gaps


def _judge_gap(index: PacketIndex, frames: DecodedFrames, a: int, b: int, *, partial: bool) -> _GapVerdict:
    """Can the stretch between decoded frames a and b be explained without decoding it?

    With ``partial``, a stretch whose one dominant spike can't be placed exactly (B-frames around
    it) is decoded only up to just past the spike; what is left is judged again next round.
    """
    still = _still_stretch(index, a, b)
    if b >= index.n:  # the tail: nothing after it to compare with, so look (unless nothing moved)
        return _GapVerdict(decode=not still)
    inside = [int(index.order[d]) for d in range(a + 1, b + 1)]
    ratios = sorted(((float(index.ratio[i]), int(index.display[i])) for i in inside if not index.key[i]), reverse=True)
    top, top_display = ratios[0] if ratios else (0.0, -1)
    second = ratios[1][0] if len(ratios) > 1 else 0.0
    diff = frames.long_diff(a, b)
    if diff is None:
        return _GapVerdict(decode=True)
    if still:  # nothing new was drawn in between: no cut inside; frame b may be one
        if diff[0] < PIX_CUT or diff[1] < HIST_CUT:
            return _GapVerdict()
        # Cheap packets may still carry a pan (motion vectors cost little) or a fade (weighted
        # prediction), so only a change no drift makes (a new histogram) puts the cut on keyframe b:
        # 720p at 1 Mbit/s drifted to (0.07, 0.3) over a GOP; screen app switches are 0.46-0.94.
        if index.key[index.order[b]] and diff[0] >= 2 * PIX_CUT and diff[1] >= HIST_STRONG:
            return _GapVerdict(cut=b)
    if diff[0] < SAME_SHOT_PIX and diff[1] < SAME_SHOT_HIST:  # one shot, unless a spike says otherwise
        return _GapVerdict(decode=top >= SAME_SHOT_SPIKE)
    if diff[0] < PIX_CUT or diff[1] < HIST_CUT:  # changed, but not like a cut: motion? look
        return _GapVerdict(decode=True)
    if not index.one_picture_per_packet:
        return _GapVerdict(decode=True)  # hidden reference frames: sizes don't point at pictures
    rival = float(index.rival[index.order[top_display]]) if top_display >= 0 else 0.0
    dominant = top >= SPIKE_CONFIDENT and top >= SPIKE_DOMINANCE * max(second, rival)
    lone = dominant and max(second, rival) < LONE_SPIKE_RIVAL and b - a <= _lone_spike_span(index)
    if lone and _localised_spike(index, top_display):
        return _GapVerdict(cut=top_display)
    # Otherwise a spike is only a hint where to stop: decoding up to it proves the cut (a second
    # cut in the same stretch may leave no spike at all), and what is left is judged next round.
    if dominant and partial and top_display + 1 < b - 1:
        return _GapVerdict(decode=True, until=top_display + 1)
    return _GapVerdict(decode=True)


def _lone_spike_span(index: PacketIndex) -> int:
    return max(2, round(LONE_SPIKE_SECONDS * index.ctx.fps))


def _localised_spike(index: PacketIndex, display: int) -> bool:
    """A P-frame spike with no reordered frame around it marks the new shot's first frame exactly."""
    i = int(index.order[display])
    if index.reordered[i] or i == 0 or i + 1 >= index.n:
        return False
    if int(index.display[i - 1]) != display - 1 or int(index.display[i + 1]) != display + 1:
        return False
    neighbours = [index.ratio[j] for j in (i - 1, i + 1) if not index.key[j] and not index.reordered[j]]
    return all(index.ratio[i] >= SPIKE_ISOLATION * r for r in neighbours)


def _still_limit(index: PacketIndex) -> float:
    return min(STILL_SHARE * float(index.size[index.key].min()), STILL_BITS_PER_PIXEL / 8 * index.pixels)


def _still_stretch(index: PacketIndex, a: int, b: int) -> bool:
    """Are frames a+1..b-1 all "still" packets, so each looks like the pictures it predicts from?

    A new picture (a cut) can't be predicted from an old one: the encoder must intra-code it, which
    costs about a keyframe of that content. A packet under ``STILL_SHARE`` of the clip's smallest
    keyframe (and under ``STILL_BITS_PER_PIXEL``) draws at most a cursor, a typed word, a menu.
    Only for one-picture-per-packet codecs, and only if nothing in the stretch is decoded after
    frame b (an open GOP's leading pictures predict from b itself).
    """
    if not index.one_picture_per_packet or b - a < 2:
        return False
    inside = index.order[a + 1 : min(b, index.n)]
    if b < index.n and int(inside.max()) > int(index.order[b]):
        return False
    return bool(int(index.size[inside].max()) < _still_limit(index))
