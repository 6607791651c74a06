"""The block-wise mix (``mix_stream``) is ``mix`` sample for sample, and its loudness meter is BS.1770's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from bot.media.audio_io import decode_audio, iter_audio
from bot.media.loudness import LoudnessMeter, integrated_loudness
from bot.media.mix import SAMPLE_RATE, build_music_bed, mix
from bot.media.mix_stream import BLOCK, RawAudio, mix_to_file
from bot.media.models import MixOptions, MusicSegment, SyncPlan
from bot.media.render import ffmpeg_exe

SR = SAMPLE_RATE
DURATION_S = 31.3
"""Three blocks, the last one partial: every block edge is crossed by a crossfade, a duck or a fade."""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "clip.m4a"
    noise = f"anoisesrc=d={DURATION_S + 1}:a=0.3,volume='if(lt(mod(t,3),1.5),1,0.05)':eval=frame"
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", noise, "-ac", "2", "-c:a", "aac", str(path)],
        check=True,
        timeout=120,
    )
    return path


def _music() -> np.ndarray:
    rng = np.random.default_rng(3)
    t = np.arange(int(25 * SR)) / SR
    left = np.sin(2 * np.pi * 220 * t) * 0.5 + rng.standard_normal(t.size) * 0.2
    return np.stack([left, np.sin(2 * np.pi * 330 * t) * 0.6]).astype(np.float32)


PLAN = SyncPlan(
    segments=(
        MusicSegment(source_start_s=0.0, timeline_start_s=0.0, duration_s=12.9, crossfade_in_s=0.0),
        MusicSegment(source_start_s=3.0, timeline_start_s=12.6, duration_s=19.0, crossfade_in_s=0.5),
    ),
    video_duration_s=DURATION_S,
    fade_in_s=0.3,
    fade_out_s=6.0,
    music_beats_on_timeline_s=(),
    cuts_on_beat=0,
    cuts_total=0,
)
SPEECH = ((1.0, 2.5), (2.7, 4.0), (12.0, 15.0), (24.0, 27.0))


@pytest.mark.parametrize(
    "options",
    [
        MixOptions(),
        MixOptions(music_volume_pct=300),
        MixOptions(keep_original=False, music_volume_pct=50),
        MixOptions(duck=False),
        MixOptions(target_lufs=-6.0),  # loud enough for the limiter: three master passes
    ],
    ids=["default", "loud-music", "music-alone", "no-duck", "limited"],
)
def test_block_mix_is_the_whole_mix(clip: Path, tmp_path: Path, options: MixOptions) -> None:
    assert BLOCK < DURATION_S * SR / 2
    music = _music()
    original = decode_audio(clip) if options.keep_original else None
    whole = mix(music_bed=build_music_bed(music, PLAN), original=original, speech_intervals=SPEECH, options=options)
    streamed = mix_to_file(
        music=music,
        plan=PLAN,
        original_path=str(clip) if options.keep_original else None,
        speech_intervals=SPEECH,
        options=options,
        workdir=tmp_path,
    )
    n = whole.samples.shape[1]
    assert streamed.path.stat().st_size == n * 2 * 4
    np.testing.assert_array_equal(RawAudio(streamed.path, n).read(0, n), whole.samples)
    assert streamed.loudness_lufs == whole.loudness_lufs
    assert streamed.true_peak_dbtp == whole.true_peak_dbtp
    assert [p.name for p in tmp_path.iterdir()] == [streamed.path.name], "the passes before the last are removed"


def test_meter_fed_in_pieces_measures_the_whole(clip: Path) -> None:
    samples = decode_audio(clip)
    meter = LoudnessMeter(SR, 2)
    for chunk in iter_audio(clip):
        meter.feed(chunk)
    assert meter.n == samples.shape[1]
    assert meter.integrated() == integrated_loudness(samples, SR)
