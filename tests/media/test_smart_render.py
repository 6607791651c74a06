"""Smart render: a title re-encodes only the GOPs it covers, the rest is the source's packets byte for byte."""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
from pathlib import Path

import av
import pytest

from bot.cli import main
from bot.media.probe import probe_media
from bot.media.render import ffmpeg_exe
from bot.media.smart_render import splice_title
from bot.media.timeline import TitleTrack
from tests.mediagen import make_clip

SOURCE = "testsrc2=s=320x180:r=30:d=6"
X264_SETTINGS = {
    "high-bframes": ("-profile:v", "high", "-bf", "3"),
    "main-bframes": ("-profile:v", "main", "-bf", "2"),
    "high-no-bframes": ("-profile:v", "high", "-bf", "0"),
    "baseline": ("-profile:v", "baseline",),
}  # fmt: skip
TITLE = TitleTrack("Day 1", start_s=2.2, duration_s=1.0)


def _h264(path: Path, *settings: str) -> Path:
    args = ("-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", *settings)
    return make_clip(path, duration_s=6.0, video_source=SOURCE, video_args=(*args, "-pix_fmt", "yuv420p"))


def _packets(path: Path) -> list[tuple[bytes, int, int | None, bool]]:
    """(bytes, pts, dts, keyframe) of every video packet in decode order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [
            (bytes(p), int(p.pts), p.dts, bool(p.is_keyframe))
            for p in container.demux(stream)
            if p.size and p.pts is not None
        ]


def _decode_errors(path: Path) -> str:
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, timeout=120, check=False
    )
    return done.stderr.decode(errors="replace") + ("" if done.returncode == 0 else f"exit {done.returncode}")


def _frames(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.time) for f in container.decode(container.streams.video[0]) if f.time is not None]


def _check_splice(source: Path, spliced: Path, section_s: tuple[float, float] | None) -> None:
    """Decodes cleanly, same frames and duration, monotonic timestamps, untouched GOPs byte-identical."""
    assert _decode_errors(spliced) == ""
    with av.open(str(spliced)) as container:
        header = bytes(container.streams.video[0].codec_context.extradata or b"")
    assert header[0] == 1 and header[5] & 0x1F == 2, "the avcC header lists the source's SPS and the section's"
    before, after = _packets(source), _packets(spliced)
    assert len(after) == len(before)
    dts = [d for _b, _p, d, _k in after]
    assert all(d is not None for d in dts) and all(a < b for a, b in itertools.pairwise(dts))
    assert all(d <= p for _b, p, d, _k in after if d is not None)
    assert len({p for _b, p, _d, _k in after}) == len(after)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a[0] != b[0]]
    assert changed, "the titled GOPs are re-encoded"
    assert changed == list(range(changed[0], changed[-1] + 1)), "one re-encoded stretch, the rest copied"
    assert after[changed[0]][3], "the re-encoded stretch starts on a keyframe"
    assert changed[-1] + 1 == len(after) or before[changed[-1] + 1][3], "and ends before one"
    frames_before, frames_after = _frames(source), _frames(spliced)
    assert len(frames_after) == len(frames_before)
    assert frames_after[-1] - frames_after[0] == pytest.approx(frames_before[-1] - frames_before[0], abs=1e-3)
    if section_s is None:
        return
    start, stop = section_s
    assert start <= TITLE.start_s and stop >= TITLE.start_s + TITLE.duration_s
    assert stop - start <= TITLE.duration_s + 2.0, "no more than the GOPs the title touches"


@pytest.mark.parametrize("setting", sorted(X264_SETTINGS))
def test_a_title_re_encodes_only_its_gops(tmp_path: Path, setting: str) -> None:
    source = _h264(tmp_path / f"{setting}.mp4", *X264_SETTINGS[setting])
    spliced = splice_title(probe_media(source), TITLE, tmp_path, timeout_s=120)
    assert spliced is not None
    assert spliced.reencoded_s == pytest.approx(2.0, abs=0.05), "GOPs at 2 s and 3 s: the title spans 2.2-3.2 s"
    _check_splice(source, spliced.path, spliced.section_s)


def test_the_cli_reports_a_partial_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _h264(tmp_path / "clip.mp4", *X264_SETTINGS["high-bframes"])
    out = tmp_path / "out.mp4"
    assert main(["render", str(source), "-o", str(out), "--title", "Day 1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["video_copy"] == "partial" and data["video_copied"] is False
    assert 0 < data["video_reencoded_s"] <= 4.0
    assert (data["width"], data["height"]) == (320, 180)
    _check_splice(source, out, None)  # the muxing with the sound copies the spliced video as it is
    assert abs(probe_media(out).duration_s - probe_media(source).duration_s) < 0.1


@pytest.mark.parametrize(
    ("name", "vcodec", "video_args", "reason"),
    [
        ("hevc", "libx265", ("-preset", "ultrafast", "-x265-params", "log-level=error"), "not H.264"),
        ("open-gop", "libx264", ("-preset", "veryfast", "-g", "30", "-x264-params", "open-gop=1"), "covers"),
        ("interlaced", "libx264", ("-preset", "veryfast", "-g", "30", "-flags", "+ildct+ilme"), "interlaced"),
    ],
)
def test_what_cannot_be_spliced_safely_is_re_encoded_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, vcodec: str, video_args: tuple[str, ...], reason: str
) -> None:
    source = make_clip(
        tmp_path / f"{name}.mp4",
        duration_s=6.0,
        video_source=SOURCE,
        vcodec=vcodec,
        video_args=(*video_args, "-pix_fmt", "yuv420p"),
    )
    with caplog.at_level(logging.INFO, logger="bot.media.smart_render"):
        assert splice_title(probe_media(source), TITLE, tmp_path, timeout_s=120) is None
    assert any("smart render not used" in r.getMessage() and reason in r.getMessage() for r in caplog.records)
