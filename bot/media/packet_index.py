"""The video packets in decode order, read without decoding, and the decode ranges that cover a frame.

Reading the packet index (sizes, keyframe flags, pts) costs ~0.03 s for a 60 s 1080p clip, no
decoding. Each packet's size is compared with the median of nearby packets of its own kind (P-frames
right after the previous anchor, anchors with B-frames before them, B-frames): a cut forces the
encoder to intra-code the new picture, so a dominant spike can point at a cut without decoding it
(:mod:`bot.media.sparse_decode` decides).

Only packet sizes of codecs with one picture per packet are trusted (``ONE_PICTURE_PER_PACKET``;
VP9/AV1 packets may carry hidden reference frames: AV1 "spikes" pointed 2-13 frames off).

A P-frame can only be decoded after every earlier frame of its GOP, so every decode range starts at
a keyframe (:func:`ranges_for_displays`, :func:`head_range`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import av.container
import av.video.stream
import numpy as np
from scipy.ndimage import median_filter

from bot.errors import InputRejected
from bot.media.video_decode import IdrSniffer, StreamContext

__all__ = [
    "HEAD_FRAMES",
    "ONE_PICTURE_PER_PACKET",
    "SPIKE_WINDOW",
    "PacketIndex",
    "decode_cost",
    "head_range",
    "mean_gop",
    "merge_ranges",
    "ranges_for_displays",
    "read_packet_index",
]

SPIKE_WINDOW = 15
"""Packet size spikes are measured against the median of this many packets of the same kind."""
HEAD_FRAMES = 2
"""Frames decoded at the start of a GOP sampled for motion (the keyframe and the one after it)."""
ONE_PICTURE_PER_PACKET = frozenset({"h264", "hevc", "vvc", "mpeg4", "mpeg2video", "mpeg1video", "h263", "msmpeg4v3"})
"""Codecs whose packet sizes may stand in for decoding; for any other the sparse strategy still
decodes GOP heads but looks at every stretch that changed."""


@dataclass
class PacketIndex:
    """The video packets in decode order, with what can be known without decoding."""

    pts: np.ndarray
    size: np.ndarray
    key: np.ndarray
    display: np.ndarray
    """Display index of each packet."""
    order: np.ndarray
    """Decode index of each display index."""
    reordered: np.ndarray
    """Displayed before a packet decoded earlier (a B-frame)."""
    gop: np.ndarray
    """Decode index of the keyframe that starts each packet's GOP."""
    starts: np.ndarray
    ratio: np.ndarray
    """Packet size over the median size of nearby packets of the same kind (keyframes: 0)."""
    rival: np.ndarray
    """The largest ``ratio`` among the nearby packets of the same kind (+-7 of that kind)."""
    ctx: StreamContext
    pixels: int
    """Pixels per frame."""
    one_picture_per_packet: bool
    """Packet sizes mean something per picture. Not so for VP8/VP9/AV1: a packet there may carry
    a hidden future reference frame as well (measured: AV1 spikes pointed 2-13 frames off)."""
    nonref: np.ndarray
    """No other picture predicts from this one (read from its NAL header: H.264/HEVC only; an HEVC
    stream with temporal layers answers False throughout): it may be left out of a decode."""

    @property
    def n(self) -> int:
        return len(self.pts)

    def time_of_display(self, display: int) -> float:
        return self.ctx.seconds(int(self.pts[self.order[display]]))

    def gop_end(self, start: int) -> int:
        """Last decode index of the GOP starting at ``start``."""
        i = int(np.searchsorted(self.starts, start, side="right"))
        return int(self.starts[i]) - 1 if i < len(self.starts) else self.n - 1


def read_packet_index(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, ctx: StreamContext
) -> PacketIndex | None:
    """Demux (no decoding) the whole video stream: ~0.1 s for 60 MB.

    None when display order can't be known (a packet without timestamps, duplicate timestamps): the
    caller decodes everything then. Raises ``InputRejected`` if the stream ends early.
    """
    pts_l: list[int] = []
    size_l: list[int] = []
    key_l: list[bool] = []
    nonref_l: list[bool] = []
    layered = False
    nal = IdrSniffer(stream)
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        p = packet.pts if packet.pts is not None else packet.dts
        if p is None:
            return None
        pts_l.append(int(p))
        size_l.append(packet.size)
        key_l.append(bool(packet.is_keyframe))
        _idr, nonref, temporal_id = nal.inspect(packet)
        nonref_l.append(nonref)
        layered = layered or temporal_id > 0
    if not pts_l:
        raise InputRejected("video_damaged")
    pts = np.array(pts_l, dtype=np.int64)
    last_time = ctx.seconds(int(pts.max()))
    ctx.check_complete(len(pts), last_time)
    if len(np.unique(pts)) != len(pts):
        return None  # duplicate timestamps: display order unknowable, decode everything
    size = np.array(size_l, dtype=np.int64)
    key = np.array(key_l, dtype=bool)
    key[0] = True  # the decoder starts there in any case
    order = np.argsort(pts, kind="stable")
    display = np.empty_like(order)
    display[order] = np.arange(len(order))
    running_max = np.maximum.accumulate(pts)
    reordered = np.r_[False, pts[1:] < running_max[:-1]]
    starts = np.flatnonzero(key)
    gop = starts[np.searchsorted(starts, np.arange(len(pts)), side="right") - 1]
    ratio = np.zeros(len(pts))
    # An anchor (I/P) displayed 2+ frames after the previous anchor has B-frames between them and
    # predicts from further back, so it is bigger: its own kind (else every GOP's "IBBP" start
    # looked like a 2x spike on the bench clip).
    anchors = np.flatnonzero(~reordered)
    far = np.zeros(len(pts), dtype=bool)
    far[anchors[1:]] = np.diff(display[anchors]) > 1
    rival = np.zeros(len(pts))
    half = SPIKE_WINDOW // 2
    for kind in (~key & ~reordered & ~far, ~key & far, ~key & reordered):
        idx = np.flatnonzero(kind)
        if idx.size:
            med = median_filter(size[idx].astype(np.float64), size=SPIKE_WINDOW, mode="nearest")
            r = size[idx] / np.maximum(med, 1.0)
            ratio[idx] = r
            padded = np.pad(r, half)
            near = np.zeros_like(r)
            for o in range(1, half + 1):
                near = np.maximum(
                    near, np.maximum(padded[half - o : half - o + len(r)], padded[half + o : half + o + len(r)])
                )
            rival[idx] = near
    plain = stream.codec_context.name in ONE_PICTURE_PER_PACKET
    pixels = int(stream.codec_context.width or 0) * int(stream.codec_context.height or 0)
    nonref = np.array(nonref_l, dtype=bool) & ~key & (not layered)
    return PacketIndex(pts, size, key, display, order, reordered, gop, starts, ratio, rival, ctx, pixels, plain, nonref)


def decode_cost(index: PacketIndex, ranges: Iterable[tuple[int, int]]) -> float:
    """What decoding ``ranges`` costs, as a fraction of decoding every packet (0..1).

    Decoding time follows the bytes (entropy decoding, residuals) and the frames (prediction,
    output, our thumbnail): half of each is the model, good enough to bound and compare plans.
    """
    total_bytes = float(max(1, int(index.size.sum())))
    nbytes = 0
    frames = 0
    for start, end in ranges:
        nbytes += int(index.size[start : end + 1].sum())
        frames += end - start + 1
    return 0.5 * nbytes / total_bytes + 0.5 * frames / max(1, index.n)


def mean_gop(index: PacketIndex) -> float:
    """Mean GOP length in packets (frames)."""
    return index.n / max(1, len(index.starts))


def head_range(index: PacketIndex, start: int) -> tuple[int, int]:
    """Decode range covering the first HEAD_FRAMES displayed frames of a GOP, without holes."""
    end_of_gop = index.gop_end(start)
    d0 = int(index.display[start])
    end = start
    while end < end_of_gop:
        shown = np.sort(index.display[start : end + 1])
        shown = shown[shown >= d0]  # leading pictures of an open GOP don't count
        contiguous = shown[-1] - d0 + 1 == len(shown)
        if contiguous and len(shown) >= HEAD_FRAMES:
            break
        end += 1
    return start, end


def ranges_for_displays(index: PacketIndex, displays: Iterable[int]) -> list[tuple[int, int]]:
    """Decode ranges (from a keyframe) that output every display index in ``displays``."""
    need = sorted({int(index.order[d]) for d in displays})
    if not need:
        return []
    ranges: list[tuple[int, int]] = []
    for i in need:
        start = int(index.gop[i])
        if index.display[i] < index.display[start] and start > 0:
            start = int(index.gop[start - 1])  # an open GOP's leading picture needs the GOP before
        if ranges and start <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], i))
        else:
            ranges.append((start, i))
    # Every B-frame displayed before the last needed frame must come out too.
    out = []
    for start, end in ranges:
        last_display = int(index.display[start : end + 1].max())
        gop_end = index.gop_end(int(index.gop[end]))
        while end < gop_end and int(index.display[end + 1]) < last_display:
            end += 1
        out.append((start, end))
    return out


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or adjacent ``(start, end)`` decode ranges joined, sorted."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
