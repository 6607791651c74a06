"""``python -m bench.faults_chats``: 20 chats sending clips within one second, with and without a slow download.

Two rounds on the same warm bot (its own process, measured as a whole tree with ``bench.measure``): every
chat sends a 6 s 640x360 clip, the sends spread evenly over one second; in the second round one chat's
download takes ``--slow-download-s`` (a slow link or platform). The table says, per round: how long the
first reply took (the chat's "one or several clips?" quiet wait, ``collect_quiet_s``, comes first by design)
and whether every first reply was a queue position or the job starting; whether results came in order of
arrival (the share of chat pairs whose results came in the order they were sent); when the last result came;
the peak RSS of the whole process tree (bot + workers + FFmpeg). "No chat waits on another's slow download"
reads as: the other chats' last result comes about as soon in the second round as in the first.

A benchmark, not a test: one run, numbers as measured; nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from bench.clips import CACHE
from bench.measure import Measured, measure
from bot.demo import make_demo_clip

__all__ = ["in_order_share", "main"]


def bench_chat_clip() -> Path:
    """The 6 s 640x360 clip each chat sends (made once, cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "chats-640x360-6s.mp4"
    if not path.exists():
        tmp = path.with_name(f"{path.stem}.part.mp4")
        make_demo_clip(tmp, duration_s=6.0, size=(640, 360), cut_times_s=[2.0, 4.0], talk=[(1.0, 3.0)], grain=8)
        tmp.rename(path)
    return path


def in_order_share(rows: Sequence[dict[str, Any]]) -> float:
    """The share of chat pairs whose results came in the order the chats sent (1.0: exactly in order)."""
    done = sorted((row for row in rows if "result_s" in row), key=lambda row: row["sent_s"])
    pairs = list(combinations(done, 2))
    if not pairs:
        return 1.0
    return sum(1 for a, b in pairs if a["result_s"] <= b["result_s"]) / len(pairs)


def run_round(
    work: Path, clip: Path, chats: int, slow_chat: int | None, slow_s: float
) -> tuple[Measured, dict[str, Any]]:
    spec = {
        "settings": {
            "data_dir": str(work / "data"),
            "engine_db_path": str(work / f"sessions-{slow_chat}.sqlite3"),
            "temp_dir": str(work / "tmp"),
            "daily_renders": 0,
            "rate_limit_jobs": 0,
        },
        "chats": [
            {
                "chat": str(n),
                "clip": str(clip),
                "send_at_s": n / chats,
                "download_s": slow_s if n == slow_chat else 0.0,
            }
            for n in range(chats)
        ],
    }
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec))
    measured = measure([sys.executable, "-m", "bench.faults_child", str(spec_path)], timeout_s=3600)
    if measured.returncode != 0:
        raise SystemExit(f"the bot failed:\n{measured.stderr[-3000:]}")
    return measured, json.loads(measured.stdout.strip().splitlines()[-1])


def summary(measured: Measured, result: dict[str, Any], slow_chat: int | None) -> dict[str, str]:
    rows: list[dict[str, Any]] = result["chats"]
    others = [row for row in rows if row["chat"] != str(slow_chat)]
    firsts = [row["first_s"] - row["sent_s"] for row in rows]
    first_kinds = sorted({row["first"] for row in rows})
    videos = sum(1 for row in rows if row.get("result") == "video")
    slow = next((row for row in rows if row["chat"] == str(slow_chat)), None)
    return {
        "results": f"{videos}/{len(rows)} videos",
        "first reply after sending (max)": f"{max(firsts):.1f} s",
        "first replies were": ", ".join(first_kinds),
        "results in order of arrival (pairs)": f"{in_order_share(others):.0%}",
        "last result (other chats)": f"{max(row['result_s'] for row in others):.1f} s",
        "slow chat's result": f"{slow['result_s']:.1f} s" if slow else "-",
        "peak RSS, whole tree": f"{measured.peak_tree_rss_mb or 0:.0f} MB",
        "CPU (whole tree)": f"{measured.cpu_s:.0f} s",
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults_chats", description=__doc__)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--slow-download-s", type=float, default=20.0, help="the slow chat's download time")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON too")
    args = parser.parse_args(argv)
    clip = bench_chat_clip()
    slow_chat = 2
    with tempfile.TemporaryDirectory(prefix="musiccog-chats-") as tmp:
        work = Path(tmp)
        print("Round 1: every download instant…", file=sys.stderr)
        plain = run_round(work, clip, args.chats, None, 0.0)
        print(f"Round 2: chat {slow_chat}'s download takes {args.slow_download_s:.0f} s…", file=sys.stderr)
        slowed = run_round(work, clip, args.chats, slow_chat, args.slow_download_s)
    first, second = summary(*plain, None), summary(*slowed, slow_chat)
    width = max(len(key) for key in first)
    print(f"| {'measure':<{width}} | all downloads instant | one {args.slow_download_s:.0f} s download |")
    print(f"|{'-' * (width + 2)}|----------------------|--------------------|")
    for key in first:
        print(f"| {key:<{width}} | {first[key]} | {second[key]} |")
    if args.json:
        print(json.dumps({"instant": plain[1], "slow": slowed[1]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
