"""Look at a user's file before doing any work on it: what is inside, and can we use it?

PyAV only reads the container headers here (nothing is decoded), so probing a 500 MB file costs
milliseconds. Every way a file can be unusable becomes :class:`InputRejected` with one sentence
the user can act on.

Rotation: PyAV 18 exposes no stream side data, so the display matrix is read from the MP4/MOV
track header (``tkhd``) directly, which is where FFmpeg's own MOV demuxer gets it. The value is
FFmpeg's convention (what ffprobe prints as "rotation of N degrees" and ``VideoFrame.rotation``
returns: counter-clockwise), normalised to 0/90/180/270; an iPhone portrait clip reads 270, and
width/height are the coded (unrotated) ones.
"""

from __future__ import annotations

import logging
import math
import struct
from pathlib import Path
from typing import BinaryIO

import av
import av.container
import av.stream

from bot.config import Settings, get_settings
from bot.errors import InputRejected
from bot.media.models import MediaInfo

__all__ = ["HEIF_BRANDS", "MAX_ASPECT", "MIN_SIDE_PX", "check_file", "check_frame", "is_heif", "probe_media"]

logger = logging.getLogger(__name__)

IMAGE_CODECS = frozenset(
    {"png", "mjpeg", "jpegls", "bmp", "webp", "tiff", "gif", "jpeg2000", "jpegxl", "qoi", "ppm", "pgm",
     "pam", "dpx", "exr", "sgi", "targa", "xbm", "xpm", "pcx", "sunrast", "hdr", "avif", "heif", "psd"}
)  # fmt: skip
"""Codecs that usually carry stills; with at most one frame they are a picture, not a video."""
HEIF_BRANDS = frozenset({"heic", "heix", "heim", "heis", "mif1", "msf1", "avif", "avis"})
"""``ftyp`` brands of HEIF pictures and picture sequences (a sequence of more than one frame is a clip)."""


def is_heif(metadata: dict[str, str]) -> bool:
    """A HEIF picture (an iPhone's HEIC, an AVIF): an ISO media file whose brand says image, its codec a
    video codec (HEVC, AV1) holding one frame."""
    return metadata.get("major_brand", "").strip().lower() in HEIF_BRANDS


ISO_BMFF_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot")

DAMAGED = "video_damaged"
"""Phrase key: the file looks like a video but cannot be read to the end."""


def check_file(path: Path, settings: Settings) -> int:
    """The size of ``path``, or :class:`InputRejected` if it is missing, empty or over the size limit."""
    if not path.is_file():
        raise InputRejected("file_not_found")
    size = path.stat().st_size
    if size == 0:
        raise InputRejected("file_empty")
    if size > settings.max_input_bytes:
        raise InputRejected("file_too_big", size_mb=size / 1e6, limit_mb=settings.max_input_bytes / 1e6)
    return size


MIN_SIDE_PX = 16
"""Narrower pictures cannot be shown, cropped or titled sensibly (a 1x1 "video" is not one)."""
MAX_ASPECT = 10.0
"""Longer than 10:1 is a strip, not a frame: no player or platform shows it usefully."""


def check_frame(width: int, height: int) -> None:
    """:class:`InputRejected` for a frame too small or too thin to be a picture."""
    if min(width, height) < MIN_SIDE_PX or max(width, height) > MAX_ASPECT * min(width, height):
        raise InputRejected("frame_unusable", width=width, height=height, min_side=MIN_SIDE_PX)


def probe_media(path: str | Path, *, settings: Settings | None = None) -> MediaInfo:
    """Read what ``path`` holds, or raise :class:`InputRejected` saying why it can't be used."""
    settings = settings or get_settings()
    p = Path(path)
    size = check_file(p, settings)
    try:
        container = av.open(str(p), mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        if _looks_like_mp4(p):
            logger.info("probe %s: MP4 that FFmpeg cannot open (%s)", p, exc)
            raise InputRejected(DAMAGED) from exc
        logger.info("probe %s: not a media file (%s)", p, exc)
        raise InputRejected("not_a_video") from exc
    with container:
        return _describe(p, size, container, settings)


def _describe(p: Path, size: int, container: av.container.InputContainer, settings: Settings) -> MediaInfo:
    fmt = container.format.name
    videos = [s for s in container.streams.video if not _is_attached_picture(s)]
    audios = list(container.streams.audio)
    if not videos:
        if audios:
            raise InputRejected("no_video_track")
        raise InputRejected("not_a_video")
    video = videos[0]
    cc = video.codec_context
    codec = cc.name
    frames = video.frames or 0
    duration = _duration_s(container, video)
    # A still opens as a one-frame video; an MJPEG or PNG *video* has frames (or at least a length:
    # Matroska doesn't count frames).
    one_frame = frames == 1 or (frames == 0 and (duration is None or duration < 0.2))
    heif_still = is_heif(container.metadata) and one_frame
    if fmt == "image2" or fmt.endswith("_pipe") or (codec in IMAGE_CODECS and one_frame) or heif_still:
        raise InputRejected("still_image")
    width, height = int(cc.width or 0), int(cc.height or 0)
    if width <= 0 or height <= 0:
        raise InputRejected(DAMAGED)
    check_frame(width, height)

    if duration is None or duration <= 0:
        raise InputRejected("video_length_unreadable")
    if duration > settings.max_duration_s:
        raise InputRejected("video_too_long", length=_mmss(duration), limit=_mmss(settings.max_duration_s))
    if width * height > settings.max_pixels:
        if settings.max_pixels == 7680 * 4320:
            raise InputRejected("video_resolution_over_8k", width=width, height=height)
        raise InputRejected("video_resolution_too_large", width=width, height=height, pixels=settings.max_pixels)

    if _index_past_eof(container, size):
        raise InputRejected(DAMAGED)

    rate = video.average_rate or video.guessed_rate or video.base_rate
    fps = float(rate) if rate else 0.0
    if not math.isfinite(fps) or fps > 1000:
        fps = 0.0
    bit_rate = int(cc.bit_rate or 0)
    if bit_rate <= 0:
        bit_rate = int(size * 8 / duration)
    audio = audios[0] if audios else None
    info = MediaInfo(
        path=str(p),
        size_bytes=size,
        container=fmt,
        duration_s=duration,
        video_codec=codec,
        width=width,
        height=height,
        fps=fps,
        rotation_deg=_rotation(p, fmt, video),
        video_bit_rate=bit_rate,
        audio_codec=audio.codec_context.name if audio else None,
        audio_channels=int(audio.codec_context.channels or 0) if audio else 0,
        audio_sample_rate=int(audio.codec_context.sample_rate or 0) if audio else 0,
        pixel_format=str(cc.pix_fmt or ""),
        sample_aspect=_sample_aspect(video),
    )
    logger.debug("probe %s: %s", p, info)
    return info


def _sample_aspect(video: av.video.stream.VideoStream) -> float:
    """The stream's pixel aspect ratio (1 when unset or absurd: no real source stretches pixels 4x)."""
    sar = video.sample_aspect_ratio or video.codec_context.sample_aspect_ratio
    if not sar or sar.numerator <= 0 or sar.denominator <= 0:
        return 1.0
    value = float(sar)
    return value if 0.25 <= value <= 4.0 and abs(value - 1.0) > 1e-3 else 1.0


def _is_attached_picture(stream: av.stream.Stream) -> bool:
    """Cover art in an MP3/M4A shows up as a one-frame video stream flagged ``attached_pic``."""
    return bool(int(stream.disposition) & int(av.stream.Disposition.attached_pic))


def _duration_s(container: av.container.InputContainer, video: av.stream.Stream) -> float | None:
    """The video stream's own length (what the music must cover); the container's as a fallback."""
    if video.duration is not None and video.time_base is not None and video.duration > 0:
        return float(video.duration * video.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def _index_past_eof(container: av.container.InputContainer, size: int) -> bool:
    """An MP4 whose index (in front, "faststart") points past the end of the file was cut short.

    Such a file opens fine and only fails part-way through decoding; the index says so for free.
    """
    for stream in container.streams:
        if stream.type not in ("video", "audio"):
            continue
        entries = stream.index_entries
        n = len(entries)
        for i in range(max(0, n - 8), n):  # samples are stored in time order: the tail is enough
            entry = entries[i]
            if entry.pos >= 0 and entry.pos + entry.size > size:
                logger.info(
                    "index of stream %d points past end of file (%d > %d)", stream.index, entry.pos + entry.size, size
                )
                return True
    return False


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def _looks_like_mp4(p: Path) -> bool:
    try:
        with p.open("rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return len(head) >= 8 and head[4:8] in ISO_BMFF_BOXES


def _rotation(p: Path, fmt: str, video: av.stream.Stream) -> int:
    """Display rotation in degrees, counter-clockwise (FFmpeg's sign), one of 0/90/180/270."""
    degrees: float | None = None
    if "mp4" in fmt or "mov" in fmt:
        try:
            with p.open("rb") as f:
                matrices = _tkhd_matrices(f)
        except (OSError, struct.error, ValueError) as exc:
            logger.debug("no tkhd matrix in %s: %s", p, exc)
            matrices = {}
        matrix = matrices.get(video.id)
        if matrix is None and len(matrices) == 1:
            matrix = next(iter(matrices.values()))
        if matrix is not None:
            degrees = _matrix_rotation(matrix)
    if degrees is None:
        legacy = video.metadata.get("rotate")  # old muxers: clockwise degrees as a tag
        if legacy is not None:
            try:
                degrees = -float(legacy)
            except ValueError:
                degrees = None
    if degrees is None or not math.isfinite(degrees):
        return 0
    return int(round(degrees / 90.0)) % 4 * 90


def _matrix_rotation(m: tuple[int, ...]) -> float | None:
    """``av_display_rotation_get``: the matrix is ``[a b u; c d v; x y w]``, a-d in 16.16 fixed point."""
    a, b, c, d = (v / 65536.0 for v in (m[0], m[1], m[3], m[4]))
    sx, sy = math.hypot(a, c), math.hypot(b, d)
    if sx == 0 or sy == 0:
        return None
    return -math.degrees(math.atan2(b / sy, a / sx))


def _tkhd_matrices(f: BinaryIO) -> dict[int, tuple[int, ...]]:
    """Track id -> the nine ``tkhd`` matrix entries, for every track of the file's ``moov`` box."""
    moov = _find_box(f, b"moov", 0, None)
    if moov is None:
        return {}
    start, end = moov
    if end - start > 256 * 1024 * 1024:
        raise ValueError("moov box implausibly large")
    f.seek(start)
    data = f.read(end - start)
    out: dict[int, tuple[int, ...]] = {}
    for trak_start, trak_end in _boxes(data, 0, len(data), b"trak"):
        for tk_start, _tk_end in _boxes(data, trak_start, trak_end, b"tkhd"):
            version = data[tk_start]
            pos = tk_start + 4
            if version == 1:
                track_id = struct.unpack_from(">I", data, pos + 16)[0]
                pos += 8 + 8 + 4 + 4 + 8
            else:
                track_id = struct.unpack_from(">I", data, pos + 8)[0]
                pos += 4 + 4 + 4 + 4 + 4
            pos += 8 + 2 + 2 + 2 + 2  # reserved, layer, alternate group, volume, reserved
            out[track_id] = struct.unpack_from(">9i", data, pos)
    return out


def _box_header(buf: bytes, pos: int) -> tuple[int, bytes, int]:
    """(box size, type, header length) at ``pos``; size 0 means 'to the end'."""
    size, kind = struct.unpack_from(">I4s", buf, pos)
    if size == 1:
        return struct.unpack_from(">Q", buf, pos + 8)[0], kind, 16
    return size, kind, 8


def _boxes(data: bytes, start: int, end: int, kind: bytes) -> list[tuple[int, int]]:
    """Payload spans of the child boxes of type ``kind`` in ``data[start:end]``."""
    found: list[tuple[int, int]] = []
    pos = start
    while pos + 8 <= end:
        size, k, hdr = _box_header(data, pos)
        box_end = end if size == 0 else pos + size
        if size != 0 and size < hdr:
            break
        if k == kind:
            found.append((pos + hdr, min(box_end, end)))
        pos = box_end
    return found


def _find_box(f: BinaryIO, kind: bytes, pos: int, end: int | None) -> tuple[int, int] | None:
    """Payload span of the first top-level box of type ``kind``, walking headers with seeks."""
    f.seek(0, 2)
    file_end = f.tell() if end is None else end
    while pos + 8 <= file_end:
        f.seek(pos)
        head = f.read(16)
        if len(head) < 8:
            return None
        size, k, hdr = _box_header(head.ljust(16, b"\0"), 0)
        box_end = file_end if size == 0 else pos + size
        if size != 0 and size < hdr:
            return None
        if k == kind:
            return pos + hdr, min(box_end, file_end)
        pos = box_end
    return None
