"""Fitting a render into a size limit: parsing sizes, planning bitrates, two-pass encoding, one retry."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from bot.errors import InputRejected, RenderFailed
from bot.media import fit_size
from bot.media.fit_size import SizePlan, encode_to_fit, fits, format_size, parse_size, plan_bitrates
from tests.mediagen import make_clip

SR = 48000


# ---- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10MB", 10_000_000),
        ("10MiB", 10_485_760),
        ("50MB", 50_000_000),
        ("1.5GB", 1_500_000_000),
        ("500KB", 500_000),
        ("500kb", 500_000),
        ("8 mib", 8_388_608),
        ("2048", 2048),
        ("1,000,000", 1_000_000),
        (".5MB", 500_000),
        ("25M", 25_000_000),
        ("100 bytes", 100),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "10XB", "-5MB", "10MBB", "1.2.3MB", "0", "MB", "1,00MB", "0.1B"])
def test_parse_size_rejects_garbage(text: str) -> None:
    with pytest.raises(InputRejected) as err:
        parse_size(text)
    assert err.value.reason.endswith(".")


def test_format_size() -> None:
    assert [format_size(n) for n in (1_000_000, 20_000, 1_500_000_000, 999)] == ["1 MB", "20 KB", "1.5 GB", "999 bytes"]


def test_fits(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"x" * 1000)
    assert fits(f, 1000) and not fits(f, 999)


# ---- planning -------------------------------------------------------------------------------


def test_plan_keeps_resolution_when_the_budget_allows() -> None:
    plan = plan_bitrates(duration_s=60, target_bytes=50_000_000, height=1080)
    assert plan.height == 1080 and plan.audio_kbps == 192
    assert 6000 < plan.video_kbps < 6400  # 50 MB * 0.98 * 0.97 * 8 / 60 s - 192
    assert (plan.video_kbps + plan.audio_kbps) * 1000 / 8 * 60 <= 50_000_000


@pytest.mark.parametrize(
    ("target", "height", "audio"),
    [(10_000_000, 720, 192), (5_000_000, 480, 192), (3_600_000, 480, 96), (2_500_000, 480, 64)],
)
def test_plan_steps_resolution_then_audio_down(target: int, height: int, audio: int) -> None:
    plan = plan_bitrates(duration_s=60, target_bytes=target, height=1080)
    assert (plan.height, plan.audio_kbps) == (height, audio)


def test_plan_never_goes_above_the_source() -> None:
    assert plan_bitrates(duration_s=10, target_bytes=50_000_000, height=360).height == 360
    assert plan_bitrates(duration_s=10, target_bytes=50_000_000, height=2160).height == 1080


def test_plan_rejects_an_impossible_target() -> None:
    with pytest.raises(InputRejected) as err:
        plan_bitrates(duration_s=10, target_bytes=20_000, height=720)
    reason = err.value.reason
    assert "can't fit in 20 KB" in reason and "480p" in reason and "larger size or a shorter clip" in reason


# ---- encoding -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 s of 1280x720 with temporal grain at CRF 23: about 7.8 Mbit/s, hard to compress."""
    path = tmp_path_factory.mktemp("fit") / "heavy.mp4"
    return make_clip(
        path,
        duration_s=10.0,
        video_source="testsrc2=s=1280x720:r=30:d=10,noise=alls=6:allf=t",
        video_args=("-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"),
    )


def mixed_audio(duration_s: float) -> bytes:
    """Stereo f32le as render.py pipes it."""
    t = np.arange(int(duration_s * SR)) / SR
    tone = (0.2 * np.sin(2 * np.pi * 330 * t)).astype("<f4")
    return np.ascontiguousarray(np.stack([tone, tone]).T).tobytes()


def fit(src: Path, out: Path, *, duration_s: float, target: int, size: tuple[int, int]) -> fit_size.FitResult:
    return encode_to_fit(
        output=out,
        input_args=["-f", "f32le", "-ar", str(SR), "-ac", "2", "-i", "pipe:0", "-i", str(src)],
        video="1:v:0",
        audio="0:a:0",
        width=size[0],
        height=size[1],
        duration_s=duration_s,
        target_bytes=target,
        stdin=mixed_audio(duration_s),
        audio_args=("-ar", str(SR), "-ac", "2"),
        output_args=("-map_metadata", "1"),
    )


def check_playable(path: Path, duration_s: float) -> tuple[int, int]:
    with av.open(str(path)) as c:
        assert c.streams.audio and c.streams.audio[0].codec_context.name == "aac"
        v = c.streams.video[0]
        assert v.codec_context.name == "h264"
        n = sum(1 for _ in c.decode(video=0))
        assert n >= int(duration_s * 30) - 2
        return v.codec_context.width, v.codec_context.height


def test_fit_heavy_clip_into_1_mb(heavy: Path, tmp_path: Path) -> None:
    assert heavy.stat().st_size > 8_000_000
    out = tmp_path / "small.mp4"
    result = fit(heavy, out, duration_s=10.0, target=1_000_000, size=(1280, 720))
    assert out.stat().st_size == result.size_bytes <= 1_000_000
    assert result.size_bytes > 500_000  # uses the budget, not a needlessly tiny file
    assert result.plan.height == 480 and (result.width, result.height) == (854, 480)  # 720p needs >= 800 kbit/s
    assert check_playable(out, 10.0) == (854, 480)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.mp4"]  # pass logs and temp file gone


def test_overshoot_is_retried_lower(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first plan asks for twice the budget; the retry takes the measured overshoot off."""
    real = fit_size.plan_bitrates
    calls: list[SizePlan] = []

    def greedy_first(**kwargs: object) -> SizePlan:
        plan = real(**kwargs)  # type: ignore[arg-type]
        if not calls:
            plan = SizePlan(plan.video_kbps * 2, plan.audio_kbps, plan.height, plan.budget_bytes)
        calls.append(plan)
        return plan

    src = make_clip(
        tmp_path / "grain.mp4",
        duration_s=4.0,
        video_source="testsrc2=s=640x360:r=30:d=4,noise=alls=6:allf=t",
        video_args=("-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"),
    )
    monkeypatch.setattr(fit_size, "plan_bitrates", greedy_first)
    out = tmp_path / "retry.mp4"
    result = fit(src, out, duration_s=4.0, target=400_000, size=(640, 360))
    assert result.attempts == 2 and len(calls) == 2
    assert calls[1].video_kbps < calls[0].video_kbps / 2
    assert out.stat().st_size <= 400_000
    check_playable(out, 4.0)


def test_impossible_target_leaves_nothing(heavy: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny.mp4"
    with pytest.raises(InputRejected, match="can't fit in 20 KB"):
        fit(heavy, out, duration_s=10.0, target=20_000, size=(1280, 720))
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_failure_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "broken.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"not a video")
    out_dir = tmp_path / "out"
    with pytest.raises(RenderFailed):
        fit(bad, out_dir / "x.mp4", duration_s=2.0, target=1_000_000, size=(320, 180))
    assert list(out_dir.iterdir()) == []


def test_fit_with_a_visual_plan(tmp_path: Path) -> None:
    """The visual graph's output label feeds the fit encode; a smaller rung scales after it."""
    src = make_clip(tmp_path / "src.mp4", duration_s=3.0, size=(640, 360))
    from bot.media.visual import plan_visual

    plan = plan_visual(
        display_width=640, display_height=360, aspect="9:16", fit="blur", max_height=None, title=None, workdir=tmp_path
    )
    assert plan is not None
    out = tmp_path / "vis.mp4"
    result = encode_to_fit(
        output=out,
        input_args=["-i", str(src)],
        video=plan.output_label,
        audio="0:a:0",
        width=plan.width,
        height=plan.height,
        duration_s=3.0,
        target_bytes=200_000,
        filter_complex=plan.filter_complex,
        env=plan.env,
    )
    assert out.stat().st_size <= 200_000
    assert (result.width, result.height) == (plan.width, plan.height) == (360, 640)
    check_playable(out, 3.0)


def test_a_cap_far_above_the_natural_size_changes_nothing(tmp_path: Path) -> None:
    """A size cap is a ceiling: a vertical re-encode under a roomy cap is the same file as without one."""
    from tests.media.rendering import render_file
    from tests.mediagen import make_clip, pan_source

    clip = make_clip(tmp_path / "pan.mp4", duration_s=4.0, video_source=pan_source(4.0, size=(640, 360)))
    free = render_file(clip, tmp_path / "free.mp4", instructions=("vertical with blurred background",))
    capped = render_file(clip, tmp_path / "capped.mp4", instructions=("vertical with blurred background, under 50MB",))
    assert not free.video_copied and not capped.video_copied
    assert capped.size_bytes == pytest.approx(free.size_bytes, rel=0.03)
