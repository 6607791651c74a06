"""``python -m bench montage``: a 60 s 1080p montage of 8 mixed videos and 4 photos, ours beside MoviePy 2.

Ours is the whole ``musiccog -v montage IN... --duration 60 --json`` process, timed from start to exit as a
user waits for it (interpreter start, imports, analysis, matching, planning, mixing, the one encode),
after a warm-up run that makes sure the music library is indexed (a one-time cost per install). Its
stage times come from its JSON; where its CPU went (the footage sampling; the render's piece decoders and
its encoder, counted by the kernel per process) from its log lines (``-v``). MoviePy 2 then makes the
same film from our plan — same sources, same stretches, same order, same frame size, 30 fps, libx264 at
our film's preset and CRF, the same music from the same start — in its own process
(``bench.montage_moviepy``), measured the same way. With ``--moviepy-defaults`` MoviePy also runs as a user
would write it, ``write_videofile(path, fps=30)`` with its own encoder defaults (libx264 ``medium``, CRF 23,
MP3 audio): a third column. MoviePy is a bench-only extra
(``pip install -e '.[bench]'``); without it the MoviePy column says so.

``python -m bench montage encoders`` measures the x264 setting instead (``bench/montage_encoder.py``), and
``python -m bench montage film-encoders DIR/timeline.json`` a film's setting on this benchmark's own film
(``bench/montage_film_encoder.py``).

Prints one table. Benchmarks are not tests: nothing here asserts a time. The machine is whatever runs
it; on a shared machine, say so next to the numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import Measured, measure
from bench.montage_inputs import PHOTOS, VIDEOS, make_montage_inputs
from bench.table import markdown_table

__all__ = ["MontageBench", "Run", "format_table", "main", "moviepy_plan", "parse_costs"]

logger = logging.getLogger(__name__)

TIMEOUT_S = 3600.0
Json = dict[str, Any]
COST_LINES = {
    "footage sampling (analysis)": re.compile(
        r"footage: (?P<clips>\d+) clip\(s\) sampled in (?P<wall>[0-9.]+) s, "
        r"(?P<cpu>[0-9.]+) CPU-s .*?(?P<at>\d+) at a time"
    ),
    "film render": re.compile(
        r"film render: pieces (?P<pieces>[0-9.]+) CPU-s \((?P<each>[0-9. ]*)\), encoder (?P<encoder>[0-9.]+) CPU-s; "
        r"wall (?P<wall>[0-9.]+) s"
    ),
}
"""Our process's INFO lines (it runs with ``-v``) that say where the CPU went: footage sampling and render."""


@dataclass(frozen=True)
class Run:
    """One measured process: how long the user waited and how much memory it took."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    peak_tree_rss_mb: float | None
    output_mb: float
    load_before: float | None = None
    """The machine's 1-minute load average when the run started: other work competing for the cores."""

    @classmethod
    def of(cls, measured: Measured, output: Path, load_before: float | None) -> Run:
        size = output.stat().st_size / 2**20 if output.exists() else 0.0
        return cls(measured.wall_s, measured.cpu_s, measured.peak_rss_mb, measured.peak_tree_rss_mb, size, load_before)


@dataclass(frozen=True)
class MontageBench:
    """Everything the table shows, from one run of both."""

    inputs: str
    film_s: float
    width: int
    height: int
    segments: int
    ours: Run
    stage_times_s: dict[str, float] = field(default_factory=dict)
    cuts_on_beat_ratio: float = 0.0
    loudness_lufs: float = 0.0
    moviepy: Run | None = None
    """MoviePy at our x264 preset and CRF (the encoder's cost alike: what the rest costs)."""
    moviepy_note: str = ""
    """Why there is no MoviePy run, when there is none."""
    moviepy_defaults: Run | None = None
    """MoviePy as a user writes it: ``write_videofile(path, fps=30)``, its own defaults (libx264 medium,
    CRF 23, MP3 audio)."""
    costs: dict[str, str] = field(default_factory=dict)
    """Where our CPU seconds went, from the process's own log lines (``COST_LINES``)."""


def format_table(bench: MontageBench) -> str:
    """One Markdown table: a row per measure, a column for ours and one per MoviePy run."""
    ours, mp, mpd = bench.ours, bench.moviepy, bench.moviepy_defaults
    absent = bench.moviepy_note or "not run"
    extra = mpd is not None

    def side_by_side(measure_name: str, show: Callable[[Run], str]) -> tuple[str, ...]:
        cells = (measure_name, show(ours), show(mp) if mp is not None else absent)
        return (*cells, show(mpd)) if mpd is not None else cells

    def same(measure_name: str, value: str, other: str) -> tuple[str, ...]:
        return (measure_name, value, other, other) if extra else (measure_name, value, other)

    film = f"{bench.film_s:.1f} s, {bench.width}x{bench.height}, 30 fps, {bench.segments} segments"
    rows: list[tuple[str, ...]] = [
        same("inputs", bench.inputs, "same"),
        same("film", film, "same"),
        side_by_side(f"load average at start ({os.cpu_count()} cores)", lambda run: _load(run.load_before)),
        *(same(f"stage: {stage}", f"{seconds:.2f} s", "") for stage, seconds in bench.stage_times_s.items()),
        *(same(name, value, "") for name, value in bench.costs.items()),
        side_by_side("end-to-end (whole process)", lambda run: f"{run.wall_s:.2f} s"),
        side_by_side("ratio to film length", lambda run: f"{run.wall_s / bench.film_s:.2f}x"),
        side_by_side("CPU time, user+sys (whole tree)", lambda run: f"{run.cpu_s:.1f} s"),
    ]
    if mp is not None:
        rows.append(same("speed-up vs MoviePy (wall)", f"{mp.wall_s / ours.wall_s:.1f}x", "1.0x"))
        rows.append(same("speed-up vs MoviePy (CPU time)", f"{mp.cpu_s / ours.cpu_s:.1f}x", "1.0x"))
    if mpd is not None:
        rows.append(same("speed-up vs MoviePy defaults (wall)", f"{mpd.wall_s / ours.wall_s:.1f}x", ""))
        rows.append(same("speed-up vs MoviePy defaults (CPU time)", f"{mpd.cpu_s / ours.cpu_s:.1f}x", ""))
    cuts = "same cuts" if mp is not None else absent
    loudness = "not normalised" if mp is not None else absent
    rows += [
        side_by_side("peak RSS, largest process", lambda run: f"{run.peak_rss_mb:.0f} MB"),
        side_by_side("peak RSS, process tree (sampled)", lambda run: _mb(run.peak_tree_rss_mb)),
        same("cuts on beat", f"{bench.cuts_on_beat_ratio:.0%}", cuts),
        same("loudness", f"{bench.loudness_lufs:.1f} LUFS", loudness),
        side_by_side("output file", lambda run: f"{run.output_mb:.1f} MB"),
    ]
    header: tuple[str, ...] = ("measure", "musiccog montage", "MoviePy 2 (same plan, our x264 setting)")
    if extra:
        header = (*header, "MoviePy 2 (same plan, its defaults)")
    return markdown_table(header, rows)


def _load(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _load_now() -> float | None:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MB"


def parse_costs(stderr: str) -> dict[str, str]:
    """The table's cost rows from our process's log (``COST_LINES``)."""
    costs: dict[str, str] = {}
    sampling = COST_LINES["footage sampling (analysis)"].search(stderr)
    if sampling:
        costs["footage sampling (analysis)"] = (
            f"{sampling['cpu']} CPU-s in {sampling['wall']} s ({sampling['clips']} clips, {sampling['at']} at a time)"
        )
    render = COST_LINES["film render"].search(stderr)
    if render:
        costs["render: decoding the pieces"] = f"{render['pieces']} CPU-s ({render['each'].replace(' ', ', ')})"
        costs["render: the encoder (x264 + AAC)"] = f"{render['encoder']} CPU-s, {render['wall']} s wall"
    return costs


def describe_inputs() -> str:
    return f"{len(VIDEOS)} videos (1080p30/60, 720p30/25, 4K60, vertical, rotated, VFR), {len(PHOTOS)} photos"


def moviepy_plan(ours: Json, timeline: Json, music_path: str, *, own_defaults: bool = False) -> Json:
    """What MoviePy is asked to make: our film's segments (with each photo's move), size, rate and music;
    encoded at our film's x264 setting (preset, CRF, x264 params), or (``own_defaults``) as
    ``write_videofile`` does by itself."""
    from bot.media.encoding import FILM_CRF, FILM_PARAMS, FILM_PRESET
    from bot.media.montage_render import FILM_FPS
    from bot.media.render import AUDIO_BITRATE

    moves = [segment.get("move", "zoom_in") for segment in timeline["segments"]]
    segments = [{**segment, "move": move} for segment, move in zip(ours["segments"], moves, strict=True)]
    return {
        "width": ours["width"],
        "height": ours["height"],
        "fps": FILM_FPS,
        "preset": None if own_defaults else FILM_PRESET,
        "crf": None if own_defaults else str(FILM_CRF),
        "x264_params": None if own_defaults else FILM_PARAMS,
        "audio_bitrate": AUDIO_BITRATE,
        "segments": segments,
        "music": {"path": music_path, "start_s": timeline["music"].get("start_offset_s") or 0.0},
    }


def _track_path(track_id: str) -> str:
    from bot.media.library import load_library

    return next(track.path for track in load_library() if track.id == track_id)


def _warm_up() -> None:
    """Index the music library (once per install) and fill the bytecode caches, outside the timing."""
    args = [sys.executable, "-m", "bot.cli", "library", "list"]
    subprocess.run(args, check=True, timeout=TIMEOUT_S, capture_output=True)


def run_ours(inputs: Sequence[Path], workdir: Path, duration_s: float) -> tuple[Measured, Json, Json]:
    """The whole ``musiccog montage`` process, measured; with its JSON and its timeline."""
    timeline_path = workdir / "timeline.json"
    args = [
        sys.executable, "-m", "bot.cli", "-v", "montage", *map(str, inputs), "-o", str(workdir / "ours.mp4"),
        "--duration", f"{duration_s:g}", "--json", "--timeline-out", str(timeline_path),
    ]  # fmt: skip
    measured = measure(args, timeout_s=TIMEOUT_S)
    if measured.returncode != 0:
        raise RuntimeError(f"musiccog montage failed ({measured.returncode}): {measured.stderr[-2000:]}")
    return measured, json.loads(measured.stdout), json.loads(timeline_path.read_text(encoding="utf-8"))


def run_moviepy(plan: Json, workdir: Path, name: str = "moviepy") -> Measured:
    plan_path = workdir / f"{name}-plan.json"
    plan_path.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    args = [sys.executable, "-m", "bench.montage_moviepy", str(plan_path), str(workdir / f"{name}.mp4")]
    measured = measure(args, timeout_s=TIMEOUT_S)
    if measured.returncode != 0:
        raise RuntimeError(f"MoviePy failed ({measured.returncode}): {measured.stderr[-2000:]}")
    return measured


def run(
    *,
    duration_s: float,
    scale: float,
    max_clip_s: float | None,
    with_moviepy: bool,
    keep: Path | None,
    with_defaults: bool = False,
) -> MontageBench:
    print("Preparing the inputs (cached in the user cache dir after the first run)…", file=sys.stderr)
    inputs = make_montage_inputs(scale=scale, max_duration_s=max_clip_s)
    print("Warming up (music library index)…", file=sys.stderr)
    _warm_up()
    with tempfile.TemporaryDirectory(prefix="musiccog-bench-montage-") as tmp:
        workdir = keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        print("Running musiccog montage…", file=sys.stderr)
        ours_load = _load_now()
        measured, ours, timeline = run_ours(inputs, workdir, duration_s)
        moviepy: Run | None = None
        defaults: Run | None = None
        note = ""
        if not with_moviepy:
            note = "skipped (--no-moviepy)"
        elif importlib.util.find_spec("moviepy") is None:
            note = "not installed: pip install -e '.[bench]'"
        else:
            print("Running MoviePy 2 on the same plan (slow)…", file=sys.stderr)
            plan = moviepy_plan(ours, timeline, _track_path(ours["track"]["id"]))
            moviepy_load = _load_now()
            moviepy = Run.of(run_moviepy(plan, workdir), workdir / "moviepy.mp4", moviepy_load)
            if with_defaults:
                print("Running MoviePy 2 with its own encoder defaults (slower)…", file=sys.stderr)
                plan = moviepy_plan(ours, timeline, _track_path(ours["track"]["id"]), own_defaults=True)
                load = _load_now()
                measured_defaults = run_moviepy(plan, workdir, "moviepy-defaults")
                defaults = Run.of(measured_defaults, workdir / "moviepy-defaults.mp4", load)
        return MontageBench(
            inputs=describe_inputs(),
            film_s=float(ours["duration_s"]),
            width=int(ours["width"]),
            height=int(ours["height"]),
            segments=len(ours["segments"]),
            ours=Run.of(measured, workdir / "ours.mp4", ours_load),
            stage_times_s=dict(ours["stage_times_s"]),
            cuts_on_beat_ratio=float(ours["cuts_on_beat_ratio"]),
            loudness_lufs=float(ours["loudness_lufs"]),
            costs=parse_costs(measured.stderr),
            moviepy=moviepy,
            moviepy_note=note,
            moviepy_defaults=defaults,
        )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["encoders"]:
        from bench import montage_encoder

        return montage_encoder.main(argv[1:])
    if argv[:1] == ["film-encoders"]:
        from bench import montage_film_encoder

        return montage_film_encoder.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench montage", description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0, metavar="S", help="the film's length (default 60)")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every input (a quick look, e.g. 0.25)")
    parser.add_argument("--max-clip-s", type=float, metavar="S", help="cap each input clip's length")
    parser.add_argument("--no-moviepy", action="store_true", help="skip the slow MoviePy run")
    parser.add_argument(
        "--moviepy-defaults", action="store_true", help="also run MoviePy with its own encoder defaults (slow)"
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep both films and the plan in DIR")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON too")
    args = parser.parse_args(argv)
    bench = run(
        duration_s=args.duration,
        scale=args.scale,
        max_clip_s=args.max_clip_s,
        with_moviepy=not args.no_moviepy,
        with_defaults=args.moviepy_defaults,
        keep=args.keep,
    )
    print(format_table(bench))
    if args.json:
        print(json.dumps(asdict(bench)))
    return 0
