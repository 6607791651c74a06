"""``python -m bench.faults_big``: a 500 MB input through the CLI and through the bot (local backend).

The input is generated once and cached: 60 s of 640x360 with heavy film grain at about 6.7 Mbit/s, looped
ten times by stream copy into one 10 min file of about 500 MB (long enough to be the size a phone makes, within
the default ``max_duration_s`` of 10 min). Then, each as its own process tree measured by ``bench.measure``:

- the CLI: ``python -m bot.cli render big.mp4 -o out.mp4 --json``;
- the bot's local mode: the engine with the local backend (its own spawn pool) serving one chat that sends
  the file, handed over as a copy from disk (what Telegram's local Bot API mode does for a bot).

The table has the wall and CPU time, the peak RSS of the whole tree (against the issue's 600 MB) and checks
of the output (a video and an audio stream, the input's length). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.clips import CACHE
from bench.measure import Measured, measure
from bot.media.render import ffmpeg_exe

__all__ = ["big_input", "main"]

SEGMENT_S = 60.0
LOOPS = 10
LIMITS = {"max_input_mb": "600", "max_duration_s": "660"}
"""Just above the file: the defaults (500 MB, 10 min) are the file's own size and length, and a file exactly at
a limit is refused by rounding."""
SAMPLE_S = 0.05
"""How often the tree's memory is summed (a 0.1 s sampler missed peaks of ~25 MB)."""


def big_input(target_mb: float = 500.0) -> Path:
    """The cached ~500 MB input (made on first use: one minute encoded, then looped by stream copy)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"big-{int(target_mb)}mb.mp4"
    if path.exists():
        return path
    bitrate = target_mb * 8e6 / (SEGMENT_S * LOOPS)
    segment = CACHE / "big-segment.mp4"
    run = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(
        [
            *run,
            "-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30:d={SEGMENT_S},noise=alls=60:allf=t",
            "-f", "lavfi", "-i", f"sine=f=330:r=48000:d={SEGMENT_S}",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", f"{bitrate:.0f}", "-maxrate", f"{bitrate:.0f}",
            "-bufsize", f"{2 * bitrate:.0f}", "-g", "60", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", str(segment),
        ],
        check=True,
        timeout=3600,
    )  # fmt: skip
    tmp = path.with_name(f"{path.stem}.part.mp4")
    subprocess.run(
        [*run, "-stream_loop", str(LOOPS - 1), "-i", str(segment), "-c", "copy", "-movflags", "+faststart", str(tmp)],
        check=True,
        timeout=3600,
    )
    segment.unlink()
    tmp.rename(path)
    return path


def probe(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as container:
        return {
            "duration_s": (container.duration or 0) / 1e6,
            "video": len(container.streams.video),
            "audio": len(container.streams.audio),
        }


def _env(data: Path) -> dict[str, str]:
    env = {**os.environ, "MUSICCOG_DATA_DIR": str(data)}
    env.update({f"MUSICCOG_{name.upper()}": value for name, value in LIMITS.items()})
    return env


def run_cli(work: Path, clip: Path) -> tuple[Measured, Path]:
    output = work / "cli-out.mp4"
    args = [sys.executable, "-m", "bot.cli", "render", str(clip), "-o", str(output), "--json", "--overwrite"]
    measured = measure(args, timeout_s=7200, env=_env(work / "data"), sample_s=SAMPLE_S)
    if measured.returncode != 0:
        raise SystemExit(f"the CLI failed:\n{measured.stderr[-3000:]}")
    return measured, output


def run_bot(work: Path, clip: Path) -> tuple[Measured, dict[str, Any]]:
    spec = {
        "settings": {
            "data_dir": str(work / "data"),
            "engine_db_path": str(work / "sessions.sqlite3"),
            "temp_dir": str(work / "tmp"),
            **{name: float(value) for name, value in LIMITS.items()},
        },
        "chats": [{"chat": "1", "clip": str(clip)}],
    }
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec))
    measured = measure([sys.executable, "-m", "bench.faults_child", str(spec_path)], timeout_s=7200, sample_s=SAMPLE_S)
    if measured.returncode != 0:
        raise SystemExit(f"the bot failed:\n{measured.stderr[-3000:]}")
    return measured, json.loads(measured.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults_big", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON too")
    parser.add_argument("--only", choices=("cli", "bot"), help="measure one path only")
    args = parser.parse_args(argv)
    print("Preparing the ~500 MB input (cached after the first run)…", file=sys.stderr)
    clip = big_input()
    source = probe(clip)
    size_mb = clip.stat().st_size / 1e6
    rows: list[tuple[str, Measured, bool]] = []
    raw: dict[str, Any] = {"input_mb": size_mb, "source": source}
    with tempfile.TemporaryDirectory(prefix="musiccog-big-") as tmp:
        work = Path(tmp)
        if args.only in (None, "cli"):
            print("The CLI…", file=sys.stderr)
            cli, cli_out = run_cli(work, clip)
            cli_probe = raw["cli"] = probe(cli_out)
            cli_ok = cli_probe["video"] == 1 and cli_probe["audio"] == 1
            rows.append(("CLI render", cli, cli_ok and abs(cli_probe["duration_s"] - source["duration_s"]) < 1.0))
        if args.only in (None, "bot"):
            print("The bot (local backend)…", file=sys.stderr)
            bot, bot_result = run_bot(work, clip)
            raw["bot"] = bot_result
            row = bot_result["chats"][0]
            bot_ok = row.get("result") == "video" and abs(row.get("duration_s", 0) - source["duration_s"]) < 1.0
            rows.append(("bot, local backend", bot, bot_ok))
            if not bot_ok:
                print(f"bot result: {row}")
    print(f"input: {size_mb:.0f} MB, {source['duration_s']:.0f} s 640x360 H.264 + AAC")
    print("| path | wall | CPU | peak RSS, whole tree | largest process | output correct |")
    print("|------|------|-----|----------------------|-----------------|----------------|")
    for name, measured, ok in rows:
        print(
            f"| {name} | {measured.wall_s:.0f} s | {measured.cpu_s:.0f} s | {measured.peak_tree_rss_mb or 0:.0f} MB "
            f"| {measured.peak_rss_mb:.0f} MB | {'yes' if ok else 'NO'} |"
        )
    for name, measured, _ in rows:
        parts = ", ".join(f"{part} {mb:.0f}" for part, mb in sorted(measured.peak_tree_parts, key=lambda p: -p[1]))
        print(f"{name} at its peak (MB): {parts}")
    if args.json:
        print(json.dumps(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
