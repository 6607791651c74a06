"""analyse_video: exact hard cuts, no false ones, ordered picture features, speech, damage.

Every cut and no-cut case runs with both strategies: "full" decodes every frame, "sparse" (what
a long phone clip gets) decodes GOP heads and only the stretches packet sizes can't explain.
Clips are 320x180 at 30 fps, a few seconds long.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bot.errors import InputRejected
from bot.language import say
from bot.media.models import MediaInfo, VideoAnalysis
from bot.media.probe import probe_media
from bot.media.video_analysis import Strategy, analyse_video
from tests.mediagen import (
    crossfade_source,
    cuts_source,
    fade_through_black_source,
    flash_source,
    make_clip,
    mixed_cuts_source,
    pan_source,
    remux,
    scroll_source,
    shaky_source,
    speech_like,
    tinted_source,
    truncate_copy,
    with_grain,
    write_wav,
    zoom_source,
)

FPS = 30
SIZE = (320, 180)
FRAME_S = 1.0 / FPS
STRATEGIES: tuple[Strategy, ...] = ("full", "sparse")

X264_FAST = ("-preset", "ultrafast", "-pix_fmt", "yuv420p")
ENCODINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    # P-frames only, one GOP for the whole clip
    "x264-p-only": ("libx264", X264_FAST),
    # 1 s GOPs: cuts mid-GOP and one exactly on a keyframe (3.0 s = frame 90)
    "x264-gop30": ("libx264", (*X264_FAST, "-g", "30")),
    # B-frames, no scene-cut keyframes, GOP (250) far longer than any shot
    "x264-bframes-long-gop": (
        "libx264",
        ("-preset", "veryfast", "-pix_fmt", "yuv420p", "-bf", "3", "-x264-params", "keyint=250:scenecut=0"),
    ),
    # phone-like: 2 s GOP, B-frames, x264's scene-cut keyframes
    "x264-phone-like": ("libx264", ("-preset", "veryfast", "-pix_fmt", "yuv420p", "-bf", "2", "-g", "60")),
    # HEVC with B-frames and open GOPs (CRA keyframes with leading pictures)
    "hevc": ("libx265", ("-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "keyint=60:log-level=error")),
}
CUTS_S = (1.5, 3.0, 4.2)
AWKWARD_CUTS_S = (0.5, 2.0, 2.1, 5.8)  # right after the start, a 3-frame shot, in the last GOP


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Make (once) and return a clip: ``clips(name, source=lavfi graph, encoding=key, ...)``."""
    root = tmp_path_factory.mktemp("analysis")
    made: dict[str, Path] = {}

    def get(
        name: str, *, source: str | None = None, encoding: str = "x264-gop30", duration_s: float = 6.0, **kw: object
    ) -> Path:
        if name not in made:
            vcodec, args = ENCODINGS[encoding]
            made[name] = make_clip(
                root / f"{name}.mp4",
                duration_s=duration_s,
                size=SIZE,
                fps=FPS,
                video_source=source,
                vcodec=vcodec,
                video_args=args,
                **kw,  # type: ignore[arg-type]
            )
        return made[name]

    return get


def analyse(path: Path, strategy: Strategy = "auto", **kw: object) -> VideoAnalysis:
    return analyse_video(probe_media(path), strategy=strategy, **kw)  # type: ignore[arg-type]


def assert_cuts(found: Sequence[float], expected: Sequence[float]) -> None:
    assert len(found) == len(expected), f"found {found}, expected {expected}"
    for f, e in zip(found, expected, strict=True):
        assert abs(f - e) <= FRAME_S + 1e-6, f"cut at {f:.4f} s, expected {e:.4f} s (one frame = {FRAME_S:.4f})"


# ---- hard cuts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_cuts_exact_to_one_frame(clips: Callable[..., Path], encoding: str, strategy: Strategy) -> None:
    clip = clips(f"cuts-{encoding}", source=cuts_source(6.0, CUTS_S, size=SIZE, fps=FPS), encoding=encoding)
    assert_cuts(analyse(clip, strategy).cut_times_s, CUTS_S)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("encoding", ["x264-gop30", "x264-phone-like", "hevc"])
def test_cuts_between_unrelated_scenes(clips: Callable[..., Path], encoding: str, strategy: Strategy) -> None:
    """Fractal zoom, gradients, cellular automata...: what cuts between real scenes look like."""
    cuts = (1.5, 3.0, 4.2, 5.5, 6.9)
    clip = clips(
        f"mixed-{encoding}",
        source=mixed_cuts_source(8.0, cuts, size=SIZE, fps=FPS),
        encoding=encoding,
        duration_s=8.0,
    )
    assert_cuts(analyse(clip, strategy).cut_times_s, cuts)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cuts_between_frame_boundaries_land_on_the_nearest_frame(
    clips: Callable[..., Path], strategy: Strategy
) -> None:
    cuts = (0.981, 2.914, 4.849, 6.787)  # a 124 bpm beat grid, not on 30 fps frames
    clip = clips("beat-grid", source=mixed_cuts_source(8.0, cuts, size=SIZE, fps=FPS), duration_s=8.0)
    assert_cuts(analyse(clip, strategy).cut_times_s, cuts)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_awkward_cut_positions(clips: Callable[..., Path], strategy: Strategy) -> None:
    clip = clips("awkward", source=cuts_source(6.0, AWKWARD_CUTS_S, size=SIZE, fps=FPS))
    assert_cuts(analyse(clip, strategy).cut_times_s, AWKWARD_CUTS_S)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cuts_found_through_heavy_grain(clips: Callable[..., Path], strategy: Strategy) -> None:
    clip = clips("grain-cuts", source=with_grain(cuts_source(6.0, CUTS_S, size=SIZE, fps=FPS), 40))
    assert_cuts(analyse(clip, strategy).cut_times_s, CUTS_S)


def test_cut_times_count_from_the_stream_start(clips: Callable[..., Path], tmp_path: Path) -> None:
    """A stream that starts at 10 s (as after a trim, or with an edit list) still reports 1.5 s."""
    clip = clips("cuts-x264-gop30", source=cuts_source(6.0, CUTS_S, size=SIZE, fps=FPS))
    shifted = remux(clip, tmp_path / "shifted.mp4", input_args=("-itsoffset", "10"))
    assert_cuts(analyse(shifted, "full").cut_times_s, CUTS_S)
    assert_cuts(analyse(shifted, "sparse").cut_times_s, CUTS_S)


# ---- no false cuts -----------------------------------------------------------------------------

NO_CUT_SOURCES: dict[str, Callable[[], str]] = {
    "pan": lambda: pan_source(6.0, size=SIZE, fps=FPS),
    "fast-pan": lambda: pan_source(6.0, size=SIZE, fps=FPS, speed=2.5),
    "scroll": lambda: scroll_source(6.0, size=SIZE, fps=FPS),
    "zoom": lambda: zoom_source(6.0, size=SIZE, fps=FPS),
    "fade-through-black": lambda: fade_through_black_source(6.0, at_s=3.0, fade_s=1.0, size=SIZE, fps=FPS),
    "quick-fade-through-black": lambda: fade_through_black_source(6.0, at_s=3.0, fade_s=0.3, size=SIZE, fps=FPS),
    "crossfade": lambda: crossfade_source(6.0, at_s=2.5, fade_s=1.0, size=SIZE, fps=FPS),
    "quick-crossfade": lambda: crossfade_source(6.0, at_s=2.5, fade_s=0.3, size=SIZE, fps=FPS),
    "heavy-grain": lambda: with_grain(f"testsrc2=s={SIZE[0]}x{SIZE[1]}:r={FPS}:d=6", 40),
    "grainy-pan": lambda: with_grain(pan_source(6.0, size=SIZE, fps=FPS), 40),
    "flash": lambda: flash_source(6.0, at_s=3.3, size=SIZE, fps=FPS),
    "hand-held": lambda: shaky_source(6.0, size=SIZE, fps=FPS),
    "grainy-hand-held": lambda: with_grain(shaky_source(6.0, size=SIZE, fps=FPS), 20),
}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("encoding", ["x264-gop30", "x264-phone-like"])
@pytest.mark.parametrize("kind", list(NO_CUT_SOURCES))
def test_no_false_cuts(clips: Callable[..., Path], kind: str, encoding: str, strategy: Strategy) -> None:
    name = f"nocut-{kind}" if encoding == "x264-gop30" else f"nocut-{kind}-{encoding}"
    clip = clips(name, source=NO_CUT_SOURCES[kind](), encoding=encoding)
    assert analyse(clip, strategy).cut_times_s == ()


# ---- picture features --------------------------------------------------------------------------


def test_features_are_ordered_and_in_range(clips: Callable[..., Path]) -> None:
    warm = analyse(clips("warm", source=tinted_source(4.0, size=SIZE, fps=FPS, look="warm"), duration_s=4.0))
    grey = analyse(clips("grey", source=tinted_source(4.0, size=SIZE, fps=FPS, look="grey"), duration_s=4.0))
    assert warm.brightness > grey.brightness + 0.2
    assert warm.saturation > grey.saturation + 0.3
    cold = analyse(clips("cold", source=tinted_source(4.0, size=SIZE, fps=FPS, look="cold"), duration_s=4.0))
    assert warm.warmth > 0.1 > abs(grey.warmth) and cold.warmth < -0.1
    assert warm.motion > grey.motion + 0.3 and grey.motion < 0.05
    for a in (warm, grey, cold):
        assert 0 <= a.motion <= 1 and 0 <= a.brightness <= 1 and 0 <= a.saturation <= 1 and -1 <= a.warmth <= 1


def test_motion_orders_static_pan_and_scroll(clips: Callable[..., Path]) -> None:
    still = analyse(clips("still", source=f"color=c=0x808080:s={SIZE[0]}x{SIZE[1]}:r={FPS}:d=6")).motion
    pan = analyse(clips("nocut-pan", source=NO_CUT_SOURCES["pan"]())).motion
    scroll = analyse(clips("nocut-scroll", source=NO_CUT_SOURCES["scroll"]())).motion
    assert still < pan < scroll


def test_vertical_and_rotated_clips(tmp_path: Path) -> None:
    vertical = make_clip(tmp_path / "vertical.mp4", duration_s=3.0, size=(180, 320), cut_times_s=(1.0, 2.0))
    assert_cuts(analyse(vertical).cut_times_s, (1.0, 2.0))
    rotated = remux(vertical, tmp_path / "rotated.mp4", input_args=("-display_rotation", "90"))
    assert_cuts(analyse(rotated, "sparse").cut_times_s, (1.0, 2.0))


# ---- strategy and bookkeeping ------------------------------------------------------------------


def test_sparse_decodes_far_fewer_frames_for_the_same_cuts(tmp_path: Path) -> None:
    cuts = (1.7, 4.4, 6.1, 8.3)
    clip = make_clip(
        tmp_path / "long.mp4",
        duration_s=10.0,
        size=(640, 360),
        cut_times_s=cuts,
        video_args=(*X264_FAST, "-g", "60"),
        audio=None,
    )
    full, sparse = analyse(clip, "full"), analyse(clip, "sparse")
    assert full.frames_decoded == 300
    assert sparse.frames_decoded < 0.4 * full.frames_decoded
    assert_cuts(full.cut_times_s, cuts)
    assert_cuts(sparse.cut_times_s, cuts)
    assert sparse.brightness == pytest.approx(full.brightness, abs=0.05)
    assert sparse.saturation == pytest.approx(full.saturation, abs=0.05)


def test_auto_decodes_small_clips_fully(clips: Callable[..., Path]) -> None:
    clip = clips("cuts-x264-gop30", source=cuts_source(6.0, CUTS_S, size=SIZE, fps=FPS))
    result = analyse(clip)
    assert result.frames_decoded == 180
    assert result.duration_s == pytest.approx(6.0, abs=0.05)
    assert result.cuts_per_minute == pytest.approx(30.0, abs=0.5)


def test_progress_is_reported_monotonically(clips: Callable[..., Path]) -> None:
    clip = clips("cuts-x264-gop30", source=cuts_source(6.0, CUTS_S, size=SIZE, fps=FPS))
    for strategy in STRATEGIES:
        seen: list[float] = []
        analyse(clip, strategy, on_progress=seen.append)
        assert seen and seen[-1] == 1.0
        assert all(0 <= a <= b <= 1 for a, b in itertools.pairwise(seen))


# ---- speech --------------------------------------------------------------------------------------

TALK = ((1.0, 2.6), (3.5, 5.2))


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_speech_in_the_original_sound(tmp_path: Path, channels: int) -> None:
    wav = write_wav(tmp_path / "voice.wav", speech_like(6.0, talk=TALK))
    clip = make_clip(tmp_path / f"talk{channels}.mp4", duration_s=6.0, audio_wav=wav, audio_channels=channels)
    assert probe_media(clip).audio_channels == channels
    found = analyse(clip).speech_intervals
    assert len(found) == len(TALK), found
    for (a, b), (ta, tb) in zip(found, TALK, strict=True):
        assert abs(a - ta) <= 0.1 and abs(b - tb) <= 0.1, (found, TALK)


@pytest.mark.parametrize("audio", ["sine", "noise", None])
def test_no_speech_in_tones_noise_or_silence(tmp_path: Path, audio: str | None) -> None:
    clip = make_clip(tmp_path / f"{audio}.mp4", duration_s=4.0, audio=audio, cut_times_s=(2.0,))
    result = analyse(clip)
    assert result.speech_intervals == ()
    assert_cuts(result.cut_times_s, (2.0,))


# ---- damage ------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_file_cut_short_behind_a_front_index_is_rejected(tmp_path: Path, strategy: Strategy) -> None:
    """faststart + truncated: it opens fine and only fails (or ends) during decoding."""
    whole = make_clip(
        tmp_path / "whole.mp4", duration_s=4.0, cut_times_s=(2.0,), extra_args=("-movflags", "+faststart")
    )
    info = probe_media(whole)
    cut = truncate_copy(whole, tmp_path / "cut.mp4", 0.6)
    with pytest.raises(InputRejected, match="damaged or incomplete"):
        analyse_video(dataclasses.replace(info, path=str(cut)), strategy=strategy)


def test_file_replaced_by_garbage_is_rejected(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "ok.mp4", duration_s=2.0)
    info: MediaInfo = probe_media(clip)
    clip.write_bytes(b"\0" * 1000)
    with pytest.raises(InputRejected):
        analyse_video(info)


def test_damage_is_a_phrase_the_user_reads_in_their_language(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "ok.mp4", duration_s=2.0)
    info: MediaInfo = probe_media(clip)
    clip.write_bytes(b"\0" * 1000)
    with pytest.raises(InputRejected) as caught:
        analyse_video(info)
    assert caught.value.key == "video_damaged"
    assert caught.value.in_language("zh") == say("video_damaged", "zh") != caught.value.reason
