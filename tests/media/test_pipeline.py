"""The whole local pipeline on generated clips: the output is checked by decoding it back."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from bot.media.audio_io import decode_audio
from bot.media.library import load_library
from tests.media.audio_checks import (
    band_level_db,
    output_audio_facts,
    top_level_boxes,
    video_duration_s,
    video_packets,
)
from tests.media.rendering import render_file
from tests.mediagen import make_clip, speech_like, write_wav

TALK = ((2.0, 4.5), (6.0, 8.5))


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    wav = write_wav(root / "voice.wav", speech_like(10.0, talk=TALK))
    return make_clip(root / "speech.mp4", duration_s=10.0, cut_times_s=(2.0, 4.0, 6.0, 8.0), audio_wav=wav)


@pytest.fixture(scope="module")
def tone_song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 'song' at 7 kHz (clear of the voice's harmonics) with 120 BPM pulses, so ducking can be measured."""
    sr = 48000
    t = np.arange(20 * sr) / sr
    pulse = 0.6 + 0.4 * (np.mod(t, 0.5) < 0.08)
    song = (0.3 * np.sin(2 * np.pi * 7000 * t) * pulse).astype(np.float32)
    return write_wav(tmp_path_factory.mktemp("song") / "tone_song.wav", song, sr)


def test_render_copies_video_and_masters_audio(speech_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    outcome = render_file(speech_clip, out, prompt="calm")
    assert outcome.video_copied
    assert video_packets(out) == video_packets(speech_clip), "video packets are byte-identical"
    assert abs(video_duration_s(out) - video_duration_s(speech_clip)) <= 1 / 30 + 1e-6
    facts = output_audio_facts(out)
    assert facts["codec_is_aac"] == 1.0
    assert facts["sample_rate"] == 48000 and facts["channels"] == 2
    assert facts["loudness_lufs"] == pytest.approx(-14.0, abs=1.0)
    assert facts["true_peak_dbtp"] <= -1.0
    assert outcome.track.moods and outcome.reason.endswith(".")
    assert len(outcome.alternatives) >= 27
    assert outcome.cuts_total == 4
    with av.open(str(out)) as container:
        assert container.format.name.startswith("mov")
    assert top_level_boxes(out).index(b"moov") < top_level_boxes(out).index(b"mdat"), "faststart: index first"


def test_music_is_ducked_under_speech_in_the_output(speech_clip: Path, tone_song: Path, tmp_path: Path) -> None:
    out = tmp_path / "ducked.mp4"
    render_file(speech_clip, out, song=tone_song)
    samples = decode_audio(out, sample_rate=48000, channels=2)
    inside = band_level_db(samples, 7000, 2.6, 4.2)
    outside = band_level_db(samples, 7000, 0.4, 1.6)
    assert outside - inside >= 8.0


def test_mute_original_removes_the_voice(speech_clip: Path, tone_song: Path, tmp_path: Path) -> None:
    out = tmp_path / "muted.mp4"
    render_file(speech_clip, out, song=tone_song, keep_original=False)
    samples = decode_audio(out, sample_rate=48000, channels=2)
    assert band_level_db(samples, 7000, 2.6, 4.2) == pytest.approx(band_level_db(samples, 7000, 0.4, 1.6), abs=1.5)
    voice_band = samples[0, int(2.6 * 48000) : int(4.2 * 48000)]
    spectrum = np.abs(np.fft.rfft(voice_band))
    freqs = np.fft.rfftfreq(len(voice_band), 1 / 48000)
    assert spectrum[(freqs > 200) & (freqs < 2500)].max() < 0.01 * spectrum.max()


@pytest.mark.parametrize("channels", [1, 6])
def test_mono_and_surround_sources_become_stereo(tmp_path: Path, channels: int) -> None:
    clip = make_clip(tmp_path / f"in{channels}.mp4", duration_s=4.0, audio="noise", audio_channels=channels)
    out = tmp_path / "out.mp4"
    render_file(clip, out)
    facts = output_audio_facts(out)
    assert facts["channels"] == 2 and facts["sample_rate"] == 48000
    assert facts["loudness_lufs"] == pytest.approx(-14.0, abs=1.0)


def test_clip_without_audio_gets_music(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "silent.mp4", duration_s=4.0, audio=None)
    out = tmp_path / "out.mp4"
    outcome = render_file(clip, out)
    assert outcome.video_copied
    assert output_audio_facts(out)["loudness_lufs"] == pytest.approx(-14.0, abs=1.0)


def test_rotation_is_kept(tmp_path: Path) -> None:
    plain = make_clip(tmp_path / "plain.mp4", duration_s=3.0)
    rotated = tmp_path / "rotated.mp4"
    from tests.mediagen import run_ffmpeg

    run_ffmpeg(["-display_rotation", "90", "-i", str(plain), "-c", "copy", str(rotated)])
    out = tmp_path / "out.mp4"
    outcome = render_file(rotated, out)
    from bot.media.probe import probe_media

    assert probe_media(out).rotation_deg == probe_media(rotated).rotation_deg != 0
    assert (outcome.width, outcome.height) == (180, 320)


def test_other_codecs_are_reencoded_to_h264_within_1080p(tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "big.mkv", duration_s=2.0, size=(2560, 1440), vcodec="mpeg4", video_args=("-q:v", "10"), audio="sine"
    )
    out = tmp_path / "out.mp4"
    outcome = render_file(clip, out)
    assert not outcome.video_copied
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (1920, 1080)
    assert abs(video_duration_s(out) - 2.0) <= 1 / 30 + 1e-6


def test_hevc_is_copied(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "hevc.mp4", duration_s=2.0, vcodec="libx265",
                     video_args=("-preset", "ultrafast", "-x265-params", "log-level=error"))  # fmt: skip
    out = tmp_path / "out.mp4"
    outcome = render_file(clip, out)
    assert outcome.video_copied
    assert video_packets(out) == video_packets(clip)


def test_cuts_on_a_library_tempo_land_on_beats(tmp_path: Path) -> None:
    """Cuts made from a pack track's measured beats: the planner must land ≥ 80 % of them."""
    track = next(t for t in load_library() if "happy_electronic_2" in t.path)
    beats = np.array(track.features.beat_times_s)
    start = beats[4]
    cuts = [float(b - start) for b in beats[6:60:4] if b - start < 24.0]
    clip = make_clip(tmp_path / "tempo.mp4", duration_s=24.0, cut_times_s=cuts, audio=None)
    forced = render_file(clip, tmp_path / "a.mp4", track=track.id)
    assert forced.cuts_on_beat_ratio >= 0.8
    chosen = render_file(clip, tmp_path / "b.mp4")
    assert chosen.cuts_on_beat_ratio >= 0.8


def test_a_clip_longer_than_the_track_loops_cleanly(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "long.mp4", duration_s=62.0, size=(160, 90), cut_times_s=(10.0, 30.0, 50.0),
                     audio=None)  # fmt: skip
    out = tmp_path / "out.mp4"
    outcome = render_file(clip, out, prompt="happy")
    assert outcome.loops >= 1
    samples = decode_audio(out, sample_rate=48000, channels=2)
    window = 4800
    body = samples[0, 48000 : 60 * 48000]
    rms = np.sqrt(np.mean(body[: len(body) // window * window].reshape(-1, window) ** 2, axis=1))
    assert rms.min() > 0.05 * np.median(rms), "no silent gap at the loop joins"
    assert abs(video_duration_s(out) - 62.0) <= 1 / 30 + 1e-6


def test_another_track_is_the_next_of_the_ranking(speech_clip: Path, tmp_path: Path) -> None:
    first = render_file(speech_clip, tmp_path / "1.mp4")
    second = render_file(speech_clip, tmp_path / "2.mp4", instructions=("another track",))
    assert second.track.id != first.track.id
    assert second.track.id == first.alternatives[0]


def test_runs_in_a_worker_process_with_plain_data(speech_clip: Path, tmp_path: Path) -> None:
    """The engine calls the pipeline from a process pool: timeline, analysis and outcome must cross by pickle."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcome = pool.submit(render_file, speech_clip, tmp_path / "w.mp4", prompt="happy").result(timeout=300)
    assert Path(outcome.output_path).exists()
    assert outcome.track.moods
