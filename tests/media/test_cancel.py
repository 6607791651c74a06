"""bot/media/cancel.py: work in a worker stops once its job's cancel marker exists."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from bot.media import cancel
from bot.media.music_analysis import analyse_samples
from bot.media.render import ffmpeg_exe

ENDLESS = ["-nostdin", "-re", "-f", "lavfi", "-i", "testsrc2=size=64x36:rate=10", "-f", "null", "-"]


def _ffmpeg(*args: str) -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", *args]


def test_check_only_inside_watching_and_only_once_the_marker_exists(tmp_path: Path) -> None:
    marker = tmp_path / "stop"
    cancel.check()  # nothing watched: never cancelled
    with cancel.watching(marker):
        cancel.check()
        marker.touch()
        assert cancel.requested()
        with pytest.raises(cancel.Cancelled):
            cancel.check()
    assert not cancel.requested()


def test_run_process_feeds_stdin_and_returns_stderr(tmp_path: Path) -> None:
    out = tmp_path / "tone.wav"
    pcm = bytes(48000 * 2)  # half a second of silence, s16le mono
    code, _ = cancel.run_process(
        _ffmpeg("-f", "s16le", "-ar", "48000", "-ac", "1", "-i", "pipe:0", "-c:a", "pcm_s16le", str(out)),
        stdin=pcm,
        timeout_s=60,
    )
    assert code == 0 and len(pcm) < out.stat().st_size < len(pcm) + 200
    code, stderr = cancel.run_process(_ffmpeg("-i", str(tmp_path / "missing.mp4")), stdin=None, timeout_s=60)
    assert code != 0 and b"missing.mp4" in stderr


def test_a_slow_reader_gets_all_of_its_input() -> None:
    """More input than a pipe holds, read only after several polls: none of it may be lost or stall."""
    reader = "import sys, time; time.sleep(1); sys.stderr.write(str(len(sys.stdin.buffer.read())))"
    code, stderr = cancel.run_process([sys.executable, "-c", reader], stdin=bytes(1 << 20), timeout_s=60)
    assert (code, stderr) == (0, str(1 << 20).encode())


def test_a_cancelled_ffmpeg_is_killed(tmp_path: Path) -> None:
    marker = tmp_path / "stop"
    threading.Timer(0.5, marker.touch).start()
    with cancel.watching(marker), pytest.raises(cancel.Cancelled):
        cancel.run_process(_ffmpeg(*ENDLESS), stdin=None, timeout_s=120)  # 120 s would be TimeoutExpired


def test_a_process_past_its_time_limit_is_killed() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        cancel.run_process(_ffmpeg(*ENDLESS), stdin=None, timeout_s=0.5)


def test_song_analysis_stops_between_its_steps(tmp_path: Path) -> None:
    marker = tmp_path / "stop"
    marker.touch()
    song = np.random.default_rng(1).normal(0, 0.1, (2, 48000 * 3)).astype(np.float32)
    with cancel.watching(marker), pytest.raises(cancel.Cancelled):
        analyse_samples(song, 48000)
