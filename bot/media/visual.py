"""The FFmpeg filter graph for visual edits: aspect change (crop or blurred background), size cap, title.

``plan_visual`` returns None when nothing visual changes, so the caller keeps the stream-copy path.
Otherwise it returns a ``VisualPlan`` whose ``filter_complex`` reads ``[input_label]`` (default
``0:v``) and ends in ``[vout]``; the caller maps it with ``-filter_complex G -map [vout]`` and
encodes libx264. FFmpeg autorotates before the graph, so sizes are the *displayed* ones.

Sizes: the output's short side ("p") is min(source short side, 1080, ``max_height``), made even;
the long side follows the requested aspect (9:16 -> p x 16p/9, 1:1 -> p x p, 16:9 -> 16p/9 x p),
so a 720p landscape clip made vertical is 720x1280 and nothing exceeds 1080x1920/1920x1080. With
no aspect requested the clip's own aspect is kept (and scaled down only to honour the caps).

Titles: the user's text never enters the filter string. It is written to a file that drawtext
reads (``textfile=`` with ``expansion=none``, so ``%{...}`` is literal); the file's path, which we
create, is still escaped for both levels of filter syntax. The font face is chosen by fontconfig
from a config file written beside it (``VisualPlan.env`` must be passed to FFmpeg); characters the
font cannot draw (emoji) are dropped instead of rendering as boxes.

Measured on 2 cores, 10 s 1920x1080 30 fps source, libx264 veryfast CRF 20 (x264 dominates):
plain re-encode 11.3 s; 9:16 crop 9.3 s, 9:16 blur 10.5 s; 1:1 crop 7.6 s, blur 7.9 s; a title
adds about 1.5 s at 1080p. Planning takes 0.06 s the first time (reading the font), then ~0.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from bot.media.fonts import TitleFont, title_font
from bot.media.timeline import TitleTrack

__all__ = [
    "ASPECT_RATIOS",
    "BLUR_DOWNSCALE",
    "MAX_LONG_SIDE",
    "MAX_SHORT_SIDE",
    "OUTPUT_LABEL",
    "SAME_ASPECT_TOLERANCE",
    "SQUARE_PIXELS",
    "TITLE_FADE_S",
    "TITLE_MAX_LINES",
    "TITLE_MAX_WIDTH",
    "TITLE_MIN_SIZE",
    "TITLE_SIZE",
    "VisualPlan",
    "blur_graph",
    "escape_filter_value",
    "even",
    "output_size",
    "plan_visual",
    "prepare_title",
    "wrap_title",
]

logger = logging.getLogger(__name__)

ASPECT_RATIOS: Mapping[str, tuple[int, int]] = {"9:16": (9, 16), "1:1": (1, 1), "16:9": (16, 9)}
MAX_SHORT_SIDE = 1080
MAX_LONG_SIDE = 1920
SAME_ASPECT_TOLERANCE = 0.01
"""Relative difference under which a clip already has the requested aspect (1280x720 is 16:9)."""
OUTPUT_LABEL = "vout"
SQUARE_PIXELS = "scale=w='trunc(iw*sar/2)*2':h=ih,setsar=1"
"""Widen non-square pixels (HDV's 1440x1080 shown as 16:9) to the picture as shown; a no-op on square ones."""

TITLE_SIZE = 0.07
"""Font size (px per em) as a fraction of the output's short side: 76 px at 1080p, 50 px at 720p."""
TITLE_MIN_SIZE = 0.04
TITLE_MAX_WIDTH = 0.86
"""Widest a title line may be, as a fraction of the output width."""
TITLE_MAX_LINES = 3
TITLE_FADE_S = 0.3
BLUR_DOWNSCALE = 8
"""The blurred background is blurred at 1/8 of the output size, then scaled up: cheap and smooth."""

# Characters only meaningful inside emoji sequences; dropped with the emoji they belong to.
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f\u20e3")


@dataclass(frozen=True)
class VisualPlan:
    """What the encoder must do: run ``filter_complex`` and encode ``[output_label]`` at width x height."""

    filter_complex: str
    width: int
    height: int
    output_label: str = OUTPUT_LABEL
    title_text: str | None = None
    """The title as drawn (possibly re-wrapped, characters the font lacks removed); None: no title drawn."""
    title_dropped: str = ""
    """Characters of the requested title that could not be drawn (e.g. emoji), for telling the user."""
    temp_dir: Path | None = None
    """Holds the title text file and the font config; remove it with ``cleanup()`` after FFmpeg ran."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment variables the FFmpeg process needs (fontconfig), empty when none."""

    @property
    def title_file(self) -> Path | None:
        return self.temp_dir / "title.txt" if self.temp_dir is not None and self.title_text else None

    def ffmpeg_env(self) -> dict[str, str] | None:
        """The environment for ``subprocess.run(env=...)``: None (inherit) when no extra variables."""
        return {**os.environ, **self.env} if self.env else None

    def cleanup(self) -> None:
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def even(x: float) -> int:
    """Nearest even integer, at least 2 (yuv420p needs even dimensions)."""
    return max(2, int(round(x / 2.0)) * 2)


def output_size(display_width: int, display_height: int, aspect: str | None, max_height: int | None) -> tuple[int, int]:
    """The output size for a displayed ``display_width`` x ``display_height`` clip (see module doc)."""
    short = min(display_width, display_height)
    long_ = max(display_width, display_height)
    p = min(short, MAX_SHORT_SIDE, max_height if max_height is not None else short)
    if aspect is None or _same_aspect(display_width, display_height, aspect):
        factor = min(1.0, p / short, MAX_LONG_SIDE / long_)
        # nearest even size, but never past the source's own (odd 321 -> 320, not 322)
        return (
            min(even(display_width * factor), max(2, display_width // 2 * 2)),
            min(even(display_height * factor), max(2, display_height // 2 * 2)),
        )
    a, b = ASPECT_RATIOS[aspect]
    p_even = max(2, p // 2 * 2)  # round the short side down so it never exceeds the source
    if a <= b:
        return p_even, even(p_even * b / a)
    return even(p_even * a / b), p_even


def _same_aspect(width: int, height: int, aspect: str) -> bool:
    a, b = ASPECT_RATIOS[aspect]
    return abs((width / height) / (a / b) - 1.0) <= SAME_ASPECT_TOLERANCE


def plan_visual(
    *,
    display_width: int,
    display_height: int,
    aspect: str | None,
    fit: str,
    max_height: int | None,
    title: TitleTrack | None,
    workdir: Path,
    input_label: str = "0:v",
    crop_position: tuple[str, str] | None = None,
    sample_aspect: float = 1.0,
) -> VisualPlan | None:
    """The filter graph for the requested edits, or None when the picture would not change.

    ``workdir`` receives a private temporary directory for the title (``VisualPlan.cleanup``).
    ``crop_position``: ``(axis, expression)`` moving a cropped window over time (``reframe``), else centred.
    ``sample_aspect``: the source's pixel aspect; non-square pixels are widened first, so every crop below
    works on the picture as shown (``display_width`` is already the shown width).
    """
    if display_width <= 0 or display_height <= 0:
        raise ValueError("display size must be positive")
    if aspect is not None and aspect not in ASPECT_RATIOS:
        raise ValueError(f"aspect must be one of {tuple(ASPECT_RATIOS)} or None")
    if fit not in ("crop", "blur"):
        raise ValueError("fit must be 'crop' or 'blur'")
    width, height = output_size(display_width, display_height, aspect, max_height)
    ratio = None
    if aspect is not None and not _same_aspect(display_width, display_height, aspect):
        ratio = ASPECT_RATIOS[aspect]
    reshape = ratio is not None
    resize = (width, height) != (display_width, display_height)
    wants_title = title is not None and bool(title.text.strip())
    if not (reshape or wants_title or (resize and max_height is not None)):
        return None

    parts: list[str] = []
    src = f"[{input_label}]"
    if sample_aspect != 1.0:
        parts.append(f"{src}{SQUARE_PIXELS}[square]")
        src = "[square]"
    if ratio is not None and fit == "blur":
        parts.append(blur_graph(src, width, height))
        chain = "[fitted]"
    elif ratio is not None:
        a, b = ratio
        parts.append(
            f"{src}crop=w='min(iw,ih*{a}/{b})':h='min(ih,iw*{b}/{a})'{_position(crop_position)},"
            f"scale={width}:{height}:flags=bicubic,setsar=1[fitted]"
        )
        chain = "[fitted]"
    elif resize:
        parts.append(f"{src}scale={width}:{height}:flags=bicubic,setsar=1[fitted]")
        chain = "[fitted]"
    else:
        chain = src

    drawn: str | None = None
    dropped = ""
    font = title_font() if wants_title else None
    if wants_title and font is None:
        logger.warning("title skipped: no title font is installed")
    if title is not None and font is not None:
        text, dropped = prepare_title(title.text, font)
        drawn = text or None
        if dropped:
            logger.info("title: %d character(s) the font cannot draw were left out", len(dropped))
    temp_dir: Path | None = None
    env: dict[str, str] = {}
    if title is not None and font is not None and drawn:
        workdir.mkdir(parents=True, exist_ok=True)
        temp_dir = Path(tempfile.mkdtemp(prefix="title-", dir=workdir))
        try:
            size = _fit_font_size(drawn, font, width, height)
            lines = wrap_title(drawn, font, TITLE_MAX_WIDTH * width / size)
            drawn = "\n".join(lines)
            (temp_dir / "title.txt").write_text(drawn, encoding="utf-8")  # no trailing newline: no empty line
            font_opt = _font_option(font, temp_dir, env)
            parts.append(f"{chain}{_drawtext(font_opt, temp_dir / 'title.txt', size, title)}[titled]")
        except BaseException:
            shutil.rmtree(temp_dir, ignore_errors=True)
            raise
        chain = "[titled]"
    elif not (reshape or (resize and max_height is not None)):
        return None  # only a title was asked for and it cannot be drawn: the copy path stays

    parts.append(f"{chain}format=yuv420p[{OUTPUT_LABEL}]")
    graph = ";".join(parts)
    logger.debug("visual plan %dx%d: %s", width, height, graph)
    return VisualPlan(
        filter_complex=graph,
        width=width,
        height=height,
        title_text=drawn,
        title_dropped=dropped,
        temp_dir=temp_dir,
        env=env,
    )


def _position(crop_position: tuple[str, str] | None) -> str:
    """``:x='…'`` (or ``:y``) for a crop that follows the subject; nothing for a centred crop.

    The expression is made of numbers and ``t`` only (``reframe.position_expression``): no user text."""
    if crop_position is None:
        return ""
    axis, expression = crop_position
    return f":{axis}='{expression}'"


def blur_graph(src: str, width: int, height: int, *, out: str = "fitted") -> str:
    """The whole picture, fitted inside the frame, over a blurred, darkened copy that fills it, as ``[out]``
    (whose name also keeps this graph's inner labels apart from another copy's)."""
    bw, bh = even(width / BLUR_DOWNSCALE), even(height / BLUR_DOWNSCALE)
    return (
        f"{src}split=2[{out}bg0][{out}fg0];"
        f"[{out}bg0]scale={bw}:{bh}:force_original_aspect_ratio=increase:flags=area,crop={bw}:{bh},"
        f"gblur=sigma=4,eq=brightness=-0.12:saturation=0.8,scale={width}:{height}:flags=bilinear,setsar=1[{out}bg];"
        f"[{out}fg0]scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2:flags=bicubic,"
        f"setsar=1[{out}fg];"
        f"[{out}bg][{out}fg]overlay=x=(W-w)/2:y=(H-h)/2:format=yuv420[{out}]"
    )


def escape_filter_value(value: str) -> str:
    """``value`` escaped for a filter option inside a filter graph (two levels of FFmpeg escaping).

    Level 1 (the option parser) treats ``\\``, ``'`` and ``:`` specially; level 2 (the graph parser)
    ``\\``, ``'``, ``[``, ``]``, ``,`` and ``;``. See FFmpeg's "Notes on filtergraph escaping".
    """
    level1 = "".join("\\" + ch if ch in "\\':" else ch for ch in value)
    return "".join("\\" + ch if ch in "\\'[],;" else ch for ch in level1)


def _font_option(font: TitleFont, temp_dir: Path, env: dict[str, str]) -> str:
    """drawtext's font option; a face other than the first of a collection is selected via fontconfig."""
    if font.face_index == 0:
        return f"fontfile={escape_filter_value(str(font.path))}"
    conf = temp_dir / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{xml_escape(str(font.path.parent))}</dir>\n"
        f"  <cachedir>{xml_escape(str(temp_dir / 'fc-cache'))}</cachedir>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    env["FONTCONFIG_FILE"] = str(conf)
    return f"font={escape_filter_value(font.family)}"


def _drawtext(font_opt: str, text_file: Path, size: int, title: TitleTrack) -> str:
    start = title.start_s
    end = title.start_s + title.duration_s
    fade = min(TITLE_FADE_S, title.duration_s / 4)
    opts = [
        font_opt,
        f"textfile={escape_filter_value(str(text_file))}",
        "expansion=none",
        f"fontsize={size}",
        "fontcolor=white",
        f"borderw={max(1, round(size / 36))}",  # same-colour outline: a little bolder than Regular
        "bordercolor=white",
        f"line_spacing={round(size * 0.2)}",
        "text_align=C",
        "box=1",
        "boxcolor=black@0.45",
        f"boxborderw={round(size * 0.35)}",
        "x=(w-text_w)/2",
        "y=(h-text_h)/2",
        f"enable='between(t,{start:.3f},{end:.3f})'",
        f"alpha='min(clip((t-{start:.3f})/{fade:.3f},0,1),clip(({end:.3f}-t)/{fade:.3f},0,1))'",
    ]
    return "drawtext=" + ":".join(opts)


def prepare_title(text: str, font: TitleFont) -> tuple[str, str]:
    """(what can be drawn, what was dropped): control characters and glyphs the font lacks removed.

    Emoji glue (ZWJ, variation selectors, keycap) goes with the emoji; whitespace is collapsed.
    """
    kept: list[str] = []
    dropped: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch.isspace():
            kept.append(" ")
        elif ch in _EMOJI_GLUE or cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue
        elif font.covers(ch):
            kept.append(ch)
        else:
            dropped.append(ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip(), "".join(dropped)


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(token, preceded by a space): words, with a break allowed around every wide (CJK) character."""
    out: list[tuple[str, bool]] = []
    for w, word in enumerate(text.split(" ")):
        if not word:
            continue
        current = ""
        first = True
        for ch in word:
            breakable = _is_wide(ch) or (bool(current) and _is_wide(current[-1]))
            # closing punctuation (、。，！) stays attached to what precedes it
            closing = unicodedata.category(ch) in ("Po", "Pe", "Pf") and _is_wide(ch)
            if breakable and current and not closing:
                out.append((current, first and w > 0))
                first = False
                current = ""
            current += ch
        if current:
            out.append((current, first and w > 0))
    return out


def wrap_title(text: str, font: TitleFont, max_width_em: float) -> list[str]:
    """Greedy line breaking to ``max_width_em``; words longer than a line are broken by character."""
    lines: list[str] = []
    line = ""
    for token, spaced in _tokens(text):
        pieces = [token]
        if font.width_em(token) > max_width_em:
            pieces = list(token)
        for k, piece in enumerate(pieces):
            joined = f"{line} {piece}" if line and spaced and k == 0 else line + piece
            if line and font.width_em(joined) > max_width_em:
                lines.append(line)
                line = piece
            else:
                line = joined
    if line:
        lines.append(line)
    return lines


def _fit_font_size(text: str, font: TitleFont, width: int, height: int) -> int:
    """Largest size from TITLE_SIZE down to TITLE_MIN_SIZE (of the short side) at which the title
    wraps into at most TITLE_MAX_LINES lines."""
    short = min(width, height)
    size = TITLE_SIZE * short
    while size > TITLE_MIN_SIZE * short:
        if len(wrap_title(text, font, TITLE_MAX_WIDTH * width / size)) <= TITLE_MAX_LINES:
            break
        size *= 0.9
    return max(8, round(max(size, TITLE_MIN_SIZE * short)))
