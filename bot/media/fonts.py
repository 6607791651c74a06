"""The font titles are drawn in: which file and face, which characters it can draw, how wide they are.

Decision: Noto Sans CJK (PyPI ``noto-cjk-sans-otc``, SIL OFL 1.1, 15.5 MB wheel, one 19.5 MB
collection of Regular faces). Its "SC" face draws Latin, Greek, Cyrillic, Chinese (simplified and
traditional), Japanese kana and Korean hangul, so one face covers the bot's users with no tofu. The
face is picked inside the collection by fontconfig (drawtext's ``font=`` option), because drawtext's
``fontfile=`` always opens face 0 (the Japanese one, whose forms differ for some shared ideographs).
The face has no emoji; characters it cannot draw are dropped from the title rather than shown as
boxes (see ``visual.prepare_title``). Without that package, matplotlib's DejaVu Sans (Latin only) is
used when installed; with neither, titles are skipped.

The few font tables needed (``cmap``, ``hmtx``, ``hhea``, ``head``) are read here with ``struct``
(about 0.1 s for the 44,810-character CJK face, once per process) instead of depending on fontTools
(30 MB installed) for them.
"""

from __future__ import annotations

import importlib.util
import logging
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

__all__ = ["CANDIDATES", "FontCandidate", "TitleFont", "load_font", "title_font"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FontCandidate:
    """A font shipped by an installed package: ``module``'s directory / ``filename``, face ``face_index``."""

    module: str
    filename: str
    face_index: int
    family: str


CANDIDATES: tuple[FontCandidate, ...] = (
    FontCandidate("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
    FontCandidate("matplotlib", "mpl-data/fonts/ttf/DejaVuSans.ttf", 0, "DejaVu Sans"),
)


@dataclass(frozen=True)
class TitleFont:
    """One face of a font file, with the advance width of every character it maps to a glyph."""

    path: Path
    face_index: int
    family: str
    units_per_em: int
    ascent: int
    descent: int
    advances: Mapping[int, int]
    """Code point -> advance width in font units, for every code point with a real glyph."""

    def covers(self, ch: str) -> bool:
        return ord(ch) in self.advances

    def width_em(self, text: str) -> float:
        """Unshaped width of ``text`` in ems (no kerning; close enough to lay out a title)."""
        return sum(self.advances.get(ord(ch), 0) for ch in text) / self.units_per_em


def _package_dir(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)  # locates the package without importing it
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def title_font() -> TitleFont | None:
    """The best installed title font, or None when no candidate package is installed."""
    for cand in CANDIDATES:
        base = _package_dir(cand.module)
        if base is None or not (base / cand.filename).is_file():
            continue
        try:
            font = load_font(base / cand.filename, cand.face_index, cand.family)
        except (OSError, ValueError, struct.error) as exc:
            logger.warning("font %s unusable: %s", base / cand.filename, exc)
            continue
        logger.debug("title font: %s face %d (%d characters)", font.path, font.face_index, len(font.advances))
        return font
    logger.warning("no title font installed (pip install noto-cjk-sans-otc); titles will be skipped")
    return None


# ---- a minimal sfnt reader --------------------------------------------------------------------


def _read(f: BinaryIO, offset: int, size: int) -> bytes:
    f.seek(offset)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("truncated font file")
    return data


def _tables(f: BinaryIO, face_index: int) -> dict[bytes, tuple[int, int]]:
    """Table tag -> (offset, length) for one face (of a collection, or of a single-face file)."""
    head = _read(f, 0, 12)
    offset = 0
    if head[:4] == b"ttcf":
        (num_fonts,) = struct.unpack(">I", head[8:12])
        if not 0 <= face_index < num_fonts:
            raise ValueError(f"face {face_index} not in a collection of {num_fonts}")
        (offset,) = struct.unpack(">I", _read(f, 12 + 4 * face_index, 4))
    elif face_index != 0:
        raise ValueError("not a font collection")
    (num_tables,) = struct.unpack(">H", _read(f, offset + 4, 2))
    records = _read(f, offset + 12, 16 * num_tables)
    tables = {}
    for i in range(num_tables):
        tag, _checksum, table_offset, length = struct.unpack(">4sIII", records[16 * i : 16 * i + 16])
        tables[tag] = (table_offset, length)
    return tables


def _cmap_glyphs(cmap: bytes) -> dict[int, int]:
    """Code point -> glyph id from the best Unicode subtable (format 12 if any, else format 4)."""
    _version, count = struct.unpack(">HH", cmap[:4])
    best: tuple[int, int] | None = None  # (rank, offset)
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        (fmt,) = struct.unpack(">H", cmap[offset : offset + 2])
        unicode = platform == 0 or (platform == 3 and encoding in (1, 10))
        if unicode and fmt in (4, 12):
            rank = 2 if fmt == 12 else 1
            if best is None or rank > best[0]:
                best = (rank, offset)
    if best is None:
        raise ValueError("no Unicode cmap")
    _rank, off = best
    glyphs: dict[int, int] = {}
    (fmt,) = struct.unpack(">H", cmap[off : off + 2])
    if fmt == 12:
        (groups,) = struct.unpack(">I", cmap[off + 12 : off + 16])
        for g in range(groups):
            start, end, gid = struct.unpack(">III", cmap[off + 16 + 12 * g : off + 28 + 12 * g])
            for cp in range(start, end + 1):
                if gid + cp - start:
                    glyphs[cp] = gid + cp - start
        return glyphs
    (seg_x2,) = struct.unpack(">H", cmap[off + 6 : off + 8])
    seg = seg_x2 // 2
    ends = struct.unpack(f">{seg}H", cmap[off + 14 : off + 14 + seg_x2])
    starts_at = off + 16 + seg_x2
    starts = struct.unpack(f">{seg}H", cmap[starts_at : starts_at + seg_x2])
    deltas = struct.unpack(f">{seg}h", cmap[starts_at + seg_x2 : starts_at + 2 * seg_x2])
    ro_at = starts_at + 2 * seg_x2
    range_offsets = struct.unpack(f">{seg}H", cmap[ro_at : ro_at + seg_x2])
    for i in range(seg):
        for cp in range(starts[i], ends[i] + 1):
            if cp == 0xFFFF:
                continue
            if range_offsets[i] == 0:
                gid = (cp + deltas[i]) & 0xFFFF
            else:
                at = ro_at + 2 * i + range_offsets[i] + 2 * (cp - starts[i])
                (gid,) = struct.unpack(">H", cmap[at : at + 2])
                gid = (gid + deltas[i]) & 0xFFFF if gid else 0
            if gid:
                glyphs[cp] = gid
    return glyphs


def load_font(path: Path, face_index: int = 0, family: str = "") -> TitleFont:
    """Read one face's character coverage and metrics (TrueType/OpenType, single file or collection)."""
    with path.open("rb") as f:
        tables = _tables(f, face_index)
        for tag in (b"head", b"hhea", b"hmtx", b"cmap"):
            if tag not in tables:
                raise ValueError(f"no {tag.decode()} table")
        head = _read(f, *tables[b"head"])
        hhea = _read(f, *tables[b"hhea"])
        hmtx = _read(f, *tables[b"hmtx"])
        cmap = _read(f, *tables[b"cmap"])
    (units_per_em,) = struct.unpack(">H", head[18:20])
    ascent, descent = struct.unpack(">hh", hhea[4:8])
    (n_metrics,) = struct.unpack(">H", hhea[34:36])
    widths = struct.unpack(">" + "Hh" * n_metrics, hmtx[: 4 * n_metrics])[0::2]
    last = widths[-1] if widths else 0
    advances = {cp: widths[gid] if gid < n_metrics else last for cp, gid in _cmap_glyphs(cmap).items()}
    return TitleFont(
        path=path,
        face_index=face_index,
        family=family,
        units_per_em=units_per_em or 1000,
        ascent=ascent,
        descent=descent,
        advances=advances,
    )
