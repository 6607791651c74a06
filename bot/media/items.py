"""What each of several inputs is — a video clip or a photo — and whether a montage can use it.

A photo is any still picture FFmpeg decodes (JPEG, PNG, WebP, a one-frame GIF; HEIC and AVIF, which
FFmpeg 7.1+ and PyAV's own FFmpeg read: the container's brand says picture though the codec is a video
one); an animated GIF is a short clip. Photos are sized from their headers before anything is decoded,
so a 200-megapixel picture is refused without holding 800 MB of pixels. Each unusable item is refused
with its own reason; the montage goes on with the rest.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import av

from bot.config import Settings
from bot.errors import InputRejected
from bot.media.exif import jpeg_segments, read_exif
from bot.media.models import MediaInfo
from bot.media.probe import IMAGE_CODECS, check_file, check_frame, is_heif, probe_media
from bot.media.render import display_size

__all__ = ["MAX_PHOTO_PIXELS", "MIN_CLIP_S", "Item", "is_animated_webp", "probe_item"]

logger = logging.getLogger(__name__)

MAX_PHOTO_PIXELS = 64_000_000
"""Largest photo taken (a 50 MP phone camera fits; decoding one costs ~200 MB)."""
MIN_CLIP_S = 0.5
"""Shorter clips cannot hold a beat of a montage."""

ItemKind = Literal["video", "photo"]


@dataclass(frozen=True)
class Item:
    """One usable input of a montage."""

    path: str
    kind: ItemKind
    width: int
    """As shown (rotation and EXIF orientation applied)."""
    height: int
    duration_s: float
    """0 for a photo."""
    taken_at: float | None
    """Capture time (seconds since the epoch) from MP4 ``creation_time`` or EXIF, when the file says."""
    info: MediaInfo | None = None
    """The probe of a video (None for a photo)."""

    @property
    def name(self) -> str:
        return Path(self.path).name


def probe_item(path: Path, settings: Settings) -> Item:
    """The item at ``path``, or ``InputRejected`` saying why a montage cannot use it."""
    check_file(path, settings)
    header_size = _header_size(path)
    if header_size is not None and header_size[0] * header_size[1] > MAX_PHOTO_PIXELS:
        w, h = header_size
        raise InputRejected("photo_too_large", width=w, height=h, megapixels=w * h / 1e6, limit=MAX_PHOTO_PIXELS / 1e6)
    if _is_still(path):
        return _photo(path)
    info = probe_media(path, settings=settings)
    if info.duration_s < MIN_CLIP_S:
        raise InputRejected("montage_clip_too_short", seconds=info.duration_s)
    width, height = display_size(info)
    return Item(
        path=str(path), kind="video", width=width, height=height, duration_s=info.duration_s,
        taken_at=_creation_time(path), info=info,
    )  # fmt: skip


def _is_still(path: Path) -> bool:
    """A picture: an image codec with one frame (an animated GIF has more and is a clip)."""
    try:
        with av.open(str(path)) as container:
            videos = container.streams.video
            still_codec = videos and videos[0].codec_context.name in IMAGE_CODECS
            if not videos or not (still_codec or is_heif(container.metadata)):
                return False
            frames = 0
            for packet in container.demux(videos[0]):
                if packet.size:
                    frames += 1
                if frames > 1:
                    return False
            return frames == 1
    except (av.FFmpegError, OSError, ValueError):
        return False  # not a picture PyAV reads: probe_media words the reason


def _photo(path: Path) -> Item:
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            width, height = frame.width, frame.height
    except (av.FFmpegError, OSError, ValueError, StopIteration) as exc:
        if is_animated_webp(path):  # FFmpeg's WebP decoder reads still WebP only
            raise InputRejected("photo_animated_webp") from exc
        raise InputRejected("photo_unreadable") from exc
    check_frame(width, height)
    exif = read_exif(path)
    if exif.swaps_sides:
        width, height = height, width
    taken = exif.taken_at.replace(tzinfo=UTC).timestamp() if exif.taken_at else None
    return Item(path=str(path), kind="photo", width=width, height=height, duration_s=0.0, taken_at=taken)


def is_animated_webp(path: Path) -> bool:
    """A WebP file whose extended header (``VP8X``) sets the animation flag."""
    try:
        with path.open("rb") as f:
            head = f.read(21)
    except OSError:
        return False
    return head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8X" and len(head) == 21 and bool(head[20] & 0x02)


def _creation_time(path: Path) -> float | None:
    try:
        with av.open(str(path)) as container:
            text = container.metadata.get("creation_time")
    except (av.FFmpegError, OSError, ValueError):
        return None
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _header_size(path: Path) -> tuple[int, int] | None:
    """Width and height from a JPEG's SOF or a PNG's IHDR, read without decoding; None for anything else."""
    try:
        with path.open("rb") as f:
            head = f.read(512 * 1024)
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    for marker, body in jpeg_segments(head):
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and len(body) >= 5:
            height, width = struct.unpack(">HH", body[1:5])
            return int(width), int(height)
    return None
