"""Smart render: a title on an untouched H.264 clip re-encodes only the GOPs the title covers.

The rest of the video is stream-copied packet for packet. :func:`splice_title` writes a video-only
MP4 whose packets are the source's, except for one *section* — from the last IDR picture at or before
the title's start to the first IDR after its end — which is decoded, titled and encoded again
(libx264, no B-frames, the source's profile and level). The caller muxes that file with the sound
like any copied video (``render.py``).

Why it decodes correctly:

- A section starts and ends on IDR pictures: nothing after an IDR references anything before it,
  and an IDR outputs every earlier picture first, so display order splits cleanly at both ends.
- Parameter sets: the MP4's ``avcC`` header keeps the source's SPS/PPS; the section is encoded with
  SPS/PPS *ids* the source does not use (x264 ``sps-id``) and carries them in-band before each of its
  IDRs. The copied GOPs after it keep referring to the source's ids, which nothing overwrote.
- Timestamps: the section gets the source's own pts (display order) and dts (decode order) for its
  frames; with no B-frames in the section every dts is at most its pts, so dts stays monotonic.

Anything it can't splice safely returns None with the reason logged, and the caller re-encodes the
whole clip as before: not H.264, not 8-bit 4:2:0, interlaced, rotated, parameter sets outside an
``avcC`` header (a TS or Annex B stream), no IDR at or before the title (open GOPs), ids all taken,
a section that would be the whole clip, or an encode whose frame count or ids came out otherwise.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.video.stream

from bot.errors import RenderFailed
from bot.media import encoding
from bot.media.cancel import run_ffmpeg
from bot.media.models import MediaInfo
from bot.media.timeline import TitleTrack
from bot.media.video_decode import IdrSniffer
from bot.media.visual import plan_visual

__all__ = ["SECTION_X264", "SplicedVideo", "splice_title"]

logger = logging.getLogger(__name__)

SECTION_X264 = ("-preset", encoding.PRESET, "-crf", str(encoding.CRF))
"""The full re-encode's x264 setting (``bot.media.encoding``), so a titled section looks like a titled clip (not
``x264_args()``: that forces the High profile, and a section must match a Main or Baseline source)."""
PROFILES = {66: "baseline", 77: "main", 100: "high"}
"""Source profiles (``profile_idc``) a section can be encoded in; others (10-bit, 4:2:2) are refused."""
MAX_SECTION_SHARE = 0.9
"""A section longer than this share of the clip saves too little: re-encode the whole clip."""


@dataclass(frozen=True)
class SplicedVideo:
    """A video-only MP4: the source's packets with one re-encoded section."""

    path: Path
    reencoded_s: float
    """Length of the re-encoded section, in seconds."""
    section_s: tuple[float, float]
    """Where the section starts and ends in the clip (seconds from its first frame)."""


@dataclass(frozen=True)
class _Packet:
    pts: int
    dts: int | None
    duration: int
    idr: bool


@dataclass(frozen=True)
class _AvcHeader:
    profile_idc: int
    level_idc: int
    length_size: int
    ids_used: frozenset[int]


def splice_title(info: MediaInfo, title: TitleTrack, workdir: Path, *, timeout_s: float) -> SplicedVideo | None:
    """The clip with ``title`` drawn by re-encoding only the GOPs it covers, or None (reason logged)."""
    refusal = _refusal(info)
    if refusal:
        logger.info("smart render not used for %s: %s", info.path, refusal)
        return None
    with av.open(info.path) as container:
        stream = container.streams.video[0]
        header = _avc_header(bytes(stream.codec_context.extradata or b""))
        packets = _packet_list(container, stream)
        interlaced = _first_frame_interlaced(container, stream)
        time_base = stream.time_base or Fraction(1, 90000)
    refusal = _stream_refusal(header, interlaced, len(packets))
    if refusal is None and header is not None:
        span = _section(packets, time_base, title)
        if span is None:
            refusal = "no IDR picture at or before the title (open GOPs)"
        elif (span[1] - span[0]) >= MAX_SECTION_SHARE * len(packets):
            refusal = "the title covers (nearly) every GOP"
        else:
            try:
                return _splice(info, title, workdir, packets, span, header, time_base, timeout_s)
            except (RenderFailed, av.FFmpegError, OSError, ValueError) as exc:
                refusal = f"splicing failed ({exc})"
    logger.info("smart render not used for %s: %s", info.path, refusal)
    return None


def _refusal(info: MediaInfo) -> str | None:
    if info.video_codec != "h264":
        return f"the video is {info.video_codec}, not H.264"
    if info.rotation_deg:
        return "the video is stored rotated"
    if info.sample_aspect != 1.0:
        return "the pixels are not square"
    return None


def _stream_refusal(header: _AvcHeader | None, interlaced: bool, n_packets: int) -> str | None:
    if header is None:
        return "no avcC header (parameter sets in-band or unreadable)"
    if header.profile_idc not in PROFILES:
        return f"profile {header.profile_idc} (not 8-bit 4:2:0 baseline/main/high)"
    if interlaced:
        return "interlaced"
    if max(header.ids_used) >= 31:
        return "every parameter-set id is taken"
    if n_packets < 2:
        return "a single frame"
    return None


def _splice(
    info: MediaInfo,
    title: TitleTrack,
    workdir: Path,
    packets: list[_Packet],
    span: tuple[int, int],
    header: _AvcHeader,
    time_base: Fraction,
    timeout_s: float,
) -> SplicedVideo | None:
    first, end = span  # decode indices: the section is packets[first:end]
    new_id = max(header.ids_used) + 1
    folder = Path(tempfile.mkdtemp(prefix="smart-", dir=workdir))
    cut_out = folder / "section-source.mp4"
    encoded = folder / "section.mp4"
    spliced = folder / "spliced.mp4"
    _remux(info.path, cut_out, range(first, end))
    zero = packets[0].pts
    section_start = float((min(p.pts for p in packets[first:end]) - zero) * time_base)
    _encode_section(cut_out, encoded, title, section_start, info, header, new_id, workdir, timeout_s)
    read = _read_section(encoded, header.length_size, new_id)
    if read is None or len(read[0]) != end - first:
        logger.info(
            "smart render not used for %s: the section came out as %s frames, not %d",
            info.path,
            None if read is None else len(read[0]),
            end - first,
        )
        return None
    section, sets = read
    _write_spliced(info.path, spliced, packets, span, section, sets)
    stop = packets[end].pts if end < len(packets) else max(p.pts + p.duration for p in packets)
    start_s = section_start
    stop_s = float((stop - zero) * time_base)
    logger.info("smart render: re-encoded %.2f-%.2f s of %s, copied the rest", start_s, stop_s, info.path)
    return SplicedVideo(path=spliced, reencoded_s=round(stop_s - start_s, 3), section_s=(start_s, stop_s))


def _section(packets: list[_Packet], time_base: Fraction, title: TitleTrack) -> tuple[int, int] | None:
    """Decode indices ``[first, end)`` of the IDR-bounded section covering the title, or None."""
    zero = min(p.pts for p in packets)
    start_pts = zero + title.start_s / time_base
    stop_pts = zero + (title.start_s + title.duration_s) / time_base
    idrs = [i for i, p in enumerate(packets) if p.idr]
    before = [i for i in idrs if packets[i].pts <= start_pts]
    if not before:
        return None
    after = [i for i in idrs if packets[i].pts > stop_pts]
    return before[-1], after[0] if after else len(packets)


def _packet_list(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> list[_Packet]:
    idr = IdrSniffer(stream)
    out = []
    for packet in container.demux(stream):
        if packet.size == 0 or packet.pts is None:
            continue
        out.append(
            _Packet(int(packet.pts), packet.dts, int(packet.duration or 0), bool(packet.is_keyframe and idr(packet)))
        )
    return out


def _first_frame_interlaced(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> bool:
    container.seek(0)
    for frame in container.decode(stream):
        return bool(frame.interlaced_frame)
    return False


def _remux(source: str, target: Path, wanted: range) -> None:
    """Copy the video packets with decode indices in ``wanted`` into ``target`` (an MP4)."""
    with av.open(source) as src, av.open(str(target), "w", format="mp4") as out:
        stream = src.streams.video[0]
        copy = out.add_stream_from_template(stream)
        i = -1
        for packet in src.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            i += 1
            if i >= wanted.stop:
                break
            if i >= wanted.start:
                packet.stream = copy
                out.mux(packet)


def _encode_section(
    cut_out: Path,
    encoded: Path,
    title: TitleTrack,
    section_start_s: float,
    info: MediaInfo,
    header: _AvcHeader,
    new_id: int,
    workdir: Path,
    timeout_s: float,
) -> None:
    """Decode the cut-out section, draw the title (its times shifted to the section), encode it."""
    from bot.media.render import ffmpeg_exe

    shifted_start = max(0.0, title.start_s - section_start_s)
    shifted = replace(
        title, start_s=shifted_start, duration_s=title.start_s + title.duration_s - section_start_s - shifted_start
    )
    plan = plan_visual(
        display_width=info.width,
        display_height=info.height,
        aspect=None,
        fit="crop",
        max_height=None,
        title=shifted,
        workdir=workdir,
        input_label="0:v",
    )
    if plan is None:
        raise ValueError("a title-only plan was expected")
    try:
        level = f"{header.level_idc // 10}.{header.level_idc % 10}"
        args = [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(cut_out),
            "-filter_complex", plan.filter_complex, "-map", f"[{plan.output_label}]", "-an",
            "-c:v", "libx264", *SECTION_X264, "-bf", "0", "-profile:v", PROFILES[header.profile_idc],
            "-level", level, "-pix_fmt", "yuv420p", "-x264-params", f"sps-id={new_id}",
            "-fps_mode", "passthrough", "-f", "mp4", str(encoded),
        ]  # fmt: skip
        run_ffmpeg(args, stdin=None, timeout_s=timeout_s, env=plan.ffmpeg_env(), doing="Drawing the title")
    finally:
        plan.cleanup()


def _read_section(encoded: Path, length_size: int, new_id: int) -> tuple[list[tuple[bytes, bool]], list[bytes]] | None:
    """The encoded section's packets (decode order) as the source's NAL framing, parameter sets in-band
    before every IDR, and those parameter sets; None when they don't carry ``new_id``."""
    with av.open(str(encoded)) as container:
        stream = container.streams.video[0]
        extradata = bytes(stream.codec_context.extradata or b"")
        header = _avc_header(extradata)
        if header is None or header.ids_used != frozenset({new_id}):
            return None
        sets = _parameter_sets(extradata)
        own = header.length_size
        out = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            nals = list(_split_nals(bytes(packet), own))
            if packet.is_keyframe:
                nals = sets + nals
            out.append((b"".join(len(n).to_bytes(length_size, "big") + n for n in nals), bool(packet.is_keyframe)))
    return out, sets


def _write_spliced(
    source: str,
    target: Path,
    packets: list[_Packet],
    span: tuple[int, int],
    section: list[tuple[bytes, bool]],
    sets: list[bytes],
) -> None:
    """The source's video packets with ``packets[first:end]`` replaced by ``section`` (same timestamps);
    the header lists the section's parameter sets ``sets`` after the source's."""
    first, end = span
    shown = sorted(packets[first:end], key=lambda p: p.pts)
    decode_dts = [p.dts for p in packets[first:end]]
    with av.open(source) as src, av.open(str(target), "w", format="mp4") as out:
        stream = src.streams.video[0]
        copy = out.add_stream_from_template(stream)
        copy.codec_context.extradata = _merged_avcc(bytes(stream.codec_context.extradata or b""), sets)
        out.metadata.update(src.metadata)
        i = -1
        for packet in src.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            i += 1
            if i == first:
                for k, (data, key) in enumerate(section):
                    made = av.Packet(data)
                    made.pts = shown[k].pts
                    dts = decode_dts[k]
                    made.dts = min(dts, shown[k].pts) if dts is not None else shown[k].pts
                    made.duration = shown[k].duration
                    made.time_base = packet.time_base
                    made.is_keyframe = key
                    made.stream = copy
                    out.mux(made)
            if first <= i < end:
                continue
            packet.stream = copy
            out.mux(packet)


# ---- H.264 headers -------------------------------------------------------------------------------


def _avc_header(extradata: bytes) -> _AvcHeader | None:
    """Profile, level, NAL length size and the SPS/PPS ids of an ``avcC`` record (None if it is not one)."""
    if len(extradata) < 7 or extradata[0] != 1:
        return None
    try:
        ids = set()
        for nal in _parameter_sets(extradata):
            kind = nal[0] & 0x1F
            reader = _Bits(_unescape(nal[4:] if kind == 7 else nal[1:]))
            ids.add(reader.ue())
            if kind == 8:
                ids.add(reader.ue())  # the SPS the PPS refers to
    except (IndexError, ValueError):
        return None
    if not ids:
        return None
    return _AvcHeader(extradata[1], extradata[3], (extradata[4] & 3) + 1, frozenset(ids))


def _merged_avcc(extradata: bytes, extra_sets: list[bytes]) -> bytes:
    """The ``avcC`` record with ``extra_sets`` (SPS and PPS NAL units) added to its two arrays.

    An ``avc1`` track should list every parameter set its samples use in its header (some hardware
    decoders read only the header); the section's also travel in-band, for decoders that read one set.
    """
    groups: dict[int, list[bytes]] = {7: [], 8: []}
    for nal in _parameter_sets(extradata) + extra_sets:
        groups[nal[0] & 0x1F].append(nal)
    pos = 5
    for count_at in (pos, -1):  # skip the source's two arrays to find what follows them (High-profile fields)
        if count_at == -1:
            count, pos = extradata[pos], pos + 1
        else:
            count, pos = extradata[pos] & 0x1F, pos + 1
        for _ in range(count):
            pos += 2 + int.from_bytes(extradata[pos : pos + 2], "big")
    out = bytearray(extradata[:5])
    out.append(0xE0 | len(groups[7]))
    for nal in groups[7]:
        out += len(nal).to_bytes(2, "big") + nal
    out.append(len(groups[8]))
    for nal in groups[8]:
        out += len(nal).to_bytes(2, "big") + nal
    return bytes(out + extradata[pos:])


def _parameter_sets(extradata: bytes) -> list[bytes]:
    """The SPS and PPS NAL units of an ``avcC`` record, in order."""
    out = []
    pos = 5
    count = extradata[pos] & 0x1F
    pos += 1
    for kind_count in (count, -1):
        if kind_count == -1:
            kind_count = extradata[pos]
            pos += 1
        for _ in range(kind_count):
            size = int.from_bytes(extradata[pos : pos + 2], "big")
            out.append(extradata[pos + 2 : pos + 2 + size])
            pos += 2 + size
    if pos > len(extradata) or any(not nal for nal in out):
        raise ValueError("truncated avcC")
    return out


def _split_nals(data: bytes, length_size: int) -> Iterator[bytes]:
    pos = 0
    while pos + length_size <= len(data):
        size = int.from_bytes(data[pos : pos + length_size], "big")
        pos += length_size
        if size <= 0 or pos + size > len(data):
            raise ValueError("bad NAL length")
        yield data[pos : pos + size]
        pos += size


def _unescape(rbsp: bytes) -> bytes:
    return rbsp.replace(b"\x00\x00\x03", b"\x00\x00")


class _Bits:
    """Exp-Golomb reading of the first fields of a parameter set."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def bit(self) -> int:
        byte = self.data[self.pos >> 3]
        value = (byte >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        value = 0
        for _ in range(zeros):
            value = value << 1 | self.bit()
        return (1 << zeros) - 1 + value
