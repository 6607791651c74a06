"""Visual edits: aspect change by crop or blurred background, size caps, and safely drawn titles."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from bot.media.fonts import title_font
from bot.media.timeline import TitleTrack
from bot.media.visual import (
    VisualPlan,
    escape_filter_value,
    output_size,
    plan_visual,
    prepare_title,
    wrap_title,
)
from tests.mediagen import FFMPEG, make_clip

needs_font = pytest.mark.skipif(title_font() is None, reason="no title font installed (noto-cjk-sans-otc)")

HOSTILE = "'; rm -rf / ; drawtext=text=%{pts}: \\ %{localtime} [x],y;z"


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("vis") / "land.mp4", duration_s=2.0, size=(320, 180), cut_times_s=(1.0,))


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("vis") / "port.mp4", duration_s=2.0, size=(180, 320))


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A flat grey picture: any change between frames in the title area comes from the title."""
    path = tmp_path_factory.mktemp("vis") / "still.mp4"
    return make_clip(path, duration_s=2.0, video_source="color=c=0x406080:s=640x360:r=30:d=2", audio=None)


def render(src: Path, plan: VisualPlan, out: Path) -> Path:
    """What render.py does with a plan: the graph, libx264, the original audio if any."""
    args = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(src)]
    args += ["-filter_complex", plan.filter_complex, "-map", f"[{plan.output_label}]", "-map", "0:a?"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-c:a", "copy", str(out)]
    proc = subprocess.run(args, capture_output=True, text=True, env=plan.ffmpeg_env(), timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return out


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="gray").astype(np.int16) for f in c.decode(video=0)]


def probe(path: Path) -> tuple[str, int, int, str, int]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(video=0))
        return s.codec_context.name, s.codec_context.width, s.codec_context.height, s.codec_context.pix_fmt, n


# ---- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "aspect", "max_height", "expected"),
    [
        ((1920, 1080), "9:16", None, (1080, 1920)),
        ((1280, 720), "9:16", None, (720, 1280)),  # no upscaling to 1080x1920
        ((854, 480), "9:16", None, (480, 854)),
        ((3840, 2160), "9:16", None, (1080, 1920)),
        ((1920, 1080), "9:16", 720, (720, 1280)),
        ((1920, 1080), "1:1", None, (1080, 1080)),
        ((1280, 720), "1:1", 480, (480, 480)),
        ((1080, 1920), "16:9", None, (1920, 1080)),
        ((720, 1280), "16:9", None, (1280, 720)),
        ((1920, 1080), "16:9", 480, (854, 480)),
        ((3840, 2160), None, None, (1920, 1080)),
        ((1080, 1920), None, 720, (720, 1280)),
        ((640, 360), None, 1080, (640, 360)),
        ((321, 181), "9:16", None, (180, 320)),  # odd sizes become even, never larger than the source
        ((321, 181), None, None, (320, 180)),
    ],
)
def test_output_size(
    src: tuple[int, int], aspect: str | None, max_height: int | None, expected: tuple[int, int]
) -> None:
    assert output_size(*src, aspect, max_height) == expected


def test_no_visual_change_keeps_the_copy_path(tmp_path: Path) -> None:
    common = {"fit": "crop", "title": None, "workdir": tmp_path}
    assert plan_visual(display_width=1280, display_height=720, aspect=None, max_height=None, **common) is None
    assert plan_visual(display_width=1280, display_height=720, aspect="16:9", max_height=None, **common) is None
    assert plan_visual(display_width=1280, display_height=720, aspect=None, max_height=1080, **common) is None
    assert plan_visual(display_width=3840, display_height=2160, aspect="16:9", max_height=None, **common) is None
    plan = plan_visual(display_width=1920, display_height=1080, aspect=None, max_height=720, **common)
    assert plan is not None and (plan.width, plan.height) == (1280, 720)
    assert list(tmp_path.iterdir()) == []  # no title: nothing written


# ---- aspect x fit, encoded ------------------------------------------------------------------


@pytest.mark.parametrize("fit", ["crop", "blur"])
@pytest.mark.parametrize(
    ("clip", "aspect", "expected"),
    [("landscape", "9:16", (180, 320)), ("landscape", "1:1", (180, 180)), ("portrait", "16:9", (320, 180))],
)
def test_aspect_and_fit_render(
    clip: str, aspect: str, expected: tuple[int, int], fit: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    src: Path = request.getfixturevalue(clip)
    w, h = (320, 180) if clip == "landscape" else (180, 320)
    plan = plan_visual(
        display_width=w, display_height=h, aspect=aspect, fit=fit, max_height=None, title=None, workdir=tmp_path
    )
    assert plan is not None and (plan.width, plan.height) == expected
    out = render(src, plan, tmp_path / "out.mp4")
    codec, ow, oh, pix_fmt, n = probe(out)
    assert (codec, (ow, oh), pix_fmt) == ("h264", expected, "yuv420p")
    assert n >= 59  # 2 s at 30 fps, all decodable
    picture = frames(out)[15]
    band = picture[: oh // 8] if oh >= ow else picture[:, : ow // 8]  # where blur shows the background
    if fit == "blur":
        assert 8 < band.mean() < 200  # a darkened copy, not black bars
        assert np.abs(np.diff(band, axis=1)).mean() < np.abs(np.diff(picture, axis=1)).mean()  # smoother: blurred
    else:
        assert band.std() > 5  # the picture itself fills the frame


# ---- titles ---------------------------------------------------------------------------------


def title_plan(w: int, h: int, text: str, workdir: Path, start: float = 0.5, duration: float = 1.5) -> VisualPlan:
    plan = plan_visual(
        display_width=w,
        display_height=h,
        aspect=None,
        fit="crop",
        max_height=None,
        title=TitleTrack(text, start_s=start, duration_s=duration),
        workdir=workdir,
    )
    assert plan is not None
    return plan


def title_area_change(with_title: np.ndarray, without: np.ndarray) -> int:
    h, w = without.shape
    area = (slice(h // 4, 3 * h // 4), slice(w // 8, 7 * w // 8))
    return int((np.abs(with_title[area] - without[area]) > 40).sum())


@needs_font
@pytest.mark.parametrize(
    ("text", "drawn", "dropped"),
    [
        ("Day 1", "Day 1", ""),
        ("第一天", "第一天", ""),
        ("🎉 Day 1", "Day 1", "🎉"),
        ("👨\u200d👩\u200d👧 家族 1️⃣", "家族 1", "👨👩👧"),
        (HOSTILE, HOSTILE, ""),
    ],
)
def test_title_renders(text: str, drawn: str, dropped: str, still: Path, tmp_path: Path) -> None:
    plan = title_plan(640, 360, text, tmp_path / "work")
    assert plan.title_text is not None
    assert plan.title_text.replace("\n", " ") == drawn
    assert plan.title_dropped == dropped
    assert plan.title_file is not None and plan.title_file.read_text(encoding="utf-8") == plan.title_text
    assert drawn not in plan.filter_complex  # user text never enters the graph
    assert "rm -rf" not in plan.filter_complex and "localtime" not in plan.filter_complex
    out = render(still, plan, tmp_path / "titled.mp4")
    assert plan.temp_dir is not None
    plan.cleanup()
    assert not plan.temp_dir.exists()
    titled, plain = frames(out), frames(still)
    assert title_area_change(titled[30], plain[30]) > 50  # shown at 1.0 s
    assert title_area_change(titled[3], plain[3]) == 0  # not yet at 0.1 s (starts at 0.5 s)


@needs_font
def test_title_text_is_not_expanded(still: Path, tmp_path: Path) -> None:
    """``%{pts}``/``%{n}`` drawn literally: the title is identical on two frames 0.7 s apart."""
    plan = title_plan(640, 360, "%{pts} %{n} %{localtime}", tmp_path / "work", start=0.0, duration=2.0)
    pictures = frames(render(still, plan, tmp_path / "lit.mp4"))
    plan.cleanup()
    assert title_area_change(pictures[20], frames(still)[20]) > 50
    assert title_area_change(pictures[20], pictures[41]) == 0


@needs_font
def test_title_path_with_filter_syntax_characters(still: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "we'ird:[dir],x;y\\z %{n} d"
    plan = title_plan(640, 360, "Escaped path", workdir)
    assert plan.temp_dir is not None and plan.temp_dir.parent == workdir
    pictures = frames(render(still, plan, tmp_path / "esc.mp4"))
    plan.cleanup()
    assert title_area_change(pictures[30], frames(still)[30]) > 50


@needs_font
def test_title_with_aspect_change(landscape: Path, tmp_path: Path) -> None:
    plan = plan_visual(
        display_width=320,
        display_height=180,
        aspect="9:16",
        fit="blur",
        max_height=None,
        title=TitleTrack("第一天 Day 1", start_s=0.0, duration_s=2.0),
        workdir=tmp_path,
    )
    assert plan is not None and plan.title_text
    codec, w, h, _, _ = probe(render(landscape, plan, tmp_path / "both.mp4"))
    assert (codec, w, h) == ("h264", 180, 320)
    plan.cleanup()


@needs_font
def test_undrawable_title_alone_keeps_the_copy_path(tmp_path: Path) -> None:
    title = TitleTrack("🎉🎉", start_s=0.0, duration_s=2.0)
    kwargs = {"display_width": 640, "display_height": 360, "fit": "crop", "max_height": None, "workdir": tmp_path}
    assert plan_visual(aspect=None, title=title, **kwargs) is None
    plan = plan_visual(aspect="9:16", title=title, **kwargs)
    assert plan is not None and plan.title_text is None and plan.title_dropped == "🎉🎉"
    assert "drawtext" not in plan.filter_complex and plan.temp_dir is None


@needs_font
def test_prepare_and_wrap() -> None:
    font = title_font()
    assert font is not None
    assert prepare_title("  \t ", font) == ("", "")
    assert prepare_title("a\u0000b\u202ec  d", font) == ("abc d", "")
    lines = wrap_title("我们今天去了很多很多地方，看了很多风景。" * 3, font, 10.0)
    assert len(lines) >= 6 and all(font.width_em(line) <= 10.0 for line in lines)
    assert not any(line.startswith(("，", "。")) for line in lines)
    words = wrap_title("Tokyo Kyoto Osaka Nara Kobe Hiroshima", font, 8.0)
    assert " ".join(words) == "Tokyo Kyoto Osaka Nara Kobe Hiroshima"
    assert all(font.width_em(line) <= 8.0 for line in words)


def test_escape_filter_value() -> None:
    assert escape_filter_value("/tmp/a b/t.txt") == "/tmp/a b/t.txt"
    assert escape_filter_value("a:b") == "a\\\\:b"  # graph level: \\ -> \; option level: \: -> :
    assert escape_filter_value("it's") == "it\\\\\\'s"
    assert escape_filter_value("[x],y;z") == "\\[x\\]\\,y\\;z"


@needs_font
def test_single_face_font_is_used_by_file(still: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Face 0 of a file (e.g. the DejaVu fallback) goes through ``fontfile=``, no fontconfig needed."""
    from bot.media import visual
    from bot.media.fonts import load_font

    installed = title_font()
    assert installed is not None
    monkeypatch.setattr(visual, "title_font", lambda: load_font(installed.path, 0, "first face"))
    plan = title_plan(640, 360, "Fallback 第一天", tmp_path / "work")
    assert plan.env == {} and plan.ffmpeg_env() is None and "fontfile=" in plan.filter_complex
    pictures = frames(render(still, plan, tmp_path / "ff.mp4"))
    plan.cleanup()
    assert title_area_change(pictures[30], frames(still)[30]) > 50
