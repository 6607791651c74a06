"""The two EXIF facts a montage needs from a photo: its orientation and when it was taken.

A few dozen lines of TIFF reading instead of a dependency: FFmpeg already turns a JPEG upright
when it decodes it (EXIF orientation becomes a display matrix and the CLI autorotates), so all the
planner needs is the shape the picture will have and the capture time for ``--order time``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["ExifFacts", "jpeg_segments", "read_exif"]

_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_MAX_SCAN_BYTES = 256 * 1024
"""EXIF sits in the first APP1 segment, near the start of the file."""


@dataclass(frozen=True)
class ExifFacts:
    orientation: int = 1
    """EXIF orientation 1..8; 5-8 turn the picture a quarter (width and height swap when shown)."""
    taken_at: datetime | None = None

    @property
    def swaps_sides(self) -> bool:
        return self.orientation in (5, 6, 7, 8)


def read_exif(path: Path) -> ExifFacts:
    """Orientation and capture time of a JPEG's EXIF; defaults for anything else or anything unreadable."""
    try:
        with path.open("rb") as f:
            head = f.read(_MAX_SCAN_BYTES)
    except OSError:
        return ExifFacts()
    tiff = _app1_tiff(head)
    if tiff is None:
        return ExifFacts()
    try:
        return _facts(tiff)
    except (struct.error, ValueError, IndexError):
        return ExifFacts()


def jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``(marker, body)`` of each JPEG header segment in ``data``, up to where the image data begins."""
    if not data.startswith(b"\xff\xd8"):
        return
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xDA, 0xD9):  # start of scan / end of image: no more headers
            return
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        yield marker, data[pos + 4 : pos + 2 + length]
        pos += 2 + length


def _app1_tiff(data: bytes) -> bytes | None:
    for marker, body in jpeg_segments(data):
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            return body[6:]
    return None


def _facts(tiff: bytes) -> ExifFacts:
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return ExifFacts()
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    entries = _entries(tiff, ifd0, order)
    orientation = 1
    if _ORIENTATION in entries:
        kind, _count, raw = entries[_ORIENTATION]
        if kind == 3:
            orientation = struct.unpack(order + "H", raw[:2])[0]
    taken_at = None
    if _EXIF_IFD in entries:
        (offset,) = struct.unpack(order + "I", entries[_EXIF_IFD][2])
        exif = _entries(tiff, offset, order)
        if _DATE_TIME_ORIGINAL in exif:
            kind, count, raw = exif[_DATE_TIME_ORIGINAL]
            (at,) = struct.unpack(order + "I", raw)
            text = tiff[at : at + count].rstrip(b"\x00").decode("ascii", "replace")
            taken_at = _parse_time(text)
    return ExifFacts(orientation=orientation if 1 <= orientation <= 8 else 1, taken_at=taken_at)


def _entries(tiff: bytes, offset: int, order: str) -> dict[int, tuple[int, int, bytes]]:
    (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
    found: dict[int, tuple[int, int, bytes]] = {}
    for i in range(min(count, 512)):
        at = offset + 2 + 12 * i
        tag, kind, n = struct.unpack(order + "HHI", tiff[at : at + 8])
        found[tag] = (kind, n, tiff[at + 8 : at + 12])
    return found


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
