"""Decode exactly the given packet ranges of a clip, each from a keyframe, into frame features.

Shared by the sparse strategy (:mod:`bot.media.sparse_decode`) and the reference-picture pass
(:mod:`bot.media.ref_decode`): seeks or demuxes on to each range, keeps frame threading's pipeline
full across IDR-started ranges, and leaves out the packets a ``feed`` mask says to.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

import av
import av.container
import av.video.frame
import av.video.stream
import numpy as np

from bot.media import cancel
from bot.media.frame_features import DecodedFrames, Thumbnailer
from bot.media.packet_index import PacketIndex, mean_gop
from bot.media.video_decode import IdrSniffer, Progress

__all__ = ["decode_ranges"]


def decode_ranges(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    index: PacketIndex,
    ranges: list[tuple[int, int]],
    frames: DecodedFrames,
    progress: Progress,
    span: tuple[float, float],
    feed: np.ndarray | None = None,
) -> int:
    """Decode exactly the packets in ``ranges`` (decode indices, each starting at a keyframe).

    ``feed`` (a flag per packet) leaves out the packets flagged False: only non-reference pictures
    may be left out, since nothing predicts from them.

    Ranges close together are reached by demuxing on, far ones by seeking. Before a range that
    starts with an IDR picture the decoder is not flushed: nothing after an IDR can reference
    what came before, and keeping frame threading's pipeline full lets two GOP heads decode at
    once (pass 1 of the bench clip: 1.0 s -> 0.6 s). Any other range start (a seek, an open-GOP
    keyframe, a codec we don't parse) drains and flushes first. Leading pictures (displayed
    before their range's keyframe) may reference frames that were skipped, so they are ignored.
    """
    if not ranges:
        return 0
    cc = stream.codec_context
    thumb = Thumbnailer()
    idr = IdrSniffer(stream)
    decode_of_pts = {int(p): i for i, p in enumerate(index.pts)}
    range_starts = [s for s, _e in ranges]
    total = sum(e - s + 1 for s, e in ranges)
    done = 0
    n_out = 0
    packets: Iterator[tuple[int, av.Packet]] | None = None
    pending: tuple[int, av.Packet] | None = None  # read past a range's end: belongs to a later one
    position = -1  # decode index of the last packet demuxed
    fed_any = False

    def emit(out: Iterable[av.video.frame.VideoFrame]) -> None:
        nonlocal n_out
        for frame in out:
            n_out += 1
            if frame.pts is None:
                continue
            i = decode_of_pts.get(int(frame.pts))
            if i is None:
                continue
            d = int(index.display[i])
            start = range_starts[bisect.bisect_right(range_starts, i) - 1]
            if d >= int(index.display[start]) and d not in frames.decoded:
                frames.add(d, int(frame.pts), thumb(frame))

    def drain() -> None:
        nonlocal fed_any
        if fed_any:
            emit(cc.decode(None))
            cc.flush_buffers()
            fed_any = False

    def numbered(source: Iterator[av.Packet]) -> Iterator[tuple[int, av.Packet]]:
        for packet in source:
            if packet.size == 0:
                continue
            p = packet.pts if packet.pts is not None else packet.dts
            i = decode_of_pts.get(int(p)) if p is not None else None
            if i is not None:
                yield i, packet

    far = 2 * max(1, int(mean_gop(index)))
    for start, end in ranges:
        cancel.check()
        if packets is None or start <= position or start - position > far:
            drain()
            container.seek(int(index.pts[start]), stream=stream, backward=True, any_frame=False)
            packets = numbered(container.demux(stream))
            pending = None
            position = -1
        first = True
        while True:
            if pending is not None:
                i, packet = pending
                pending = None
            else:
                item = next(packets, None)
                if item is None:
                    break
                i, packet = item
            position = i
            if i < start:
                continue
            if i > end:
                pending = (i, packet)
                break
            if feed is not None and not feed[i]:
                if i == end:
                    break
                continue
            if first and not idr(packet):
                drain()
            first = False
            emit(cc.decode(packet))
            fed_any = True
            done += 1
            if done % 8 == 0:
                progress(span[0] + (span[1] - span[0]) * done / total)
            if i == end:
                break
    drain()
    return n_out
