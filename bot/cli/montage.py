"""``musiccog montage``: several clips and photos, one film cut on the music's beats."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.cli.terminal import EXIT_OK, add_language_option, free_output, print_summary, progress, reason_in
from bot.config import get_settings
from bot.errors import InputRejected
from bot.language import say

__all__ = ["add_parsers", "run"]


def add_parsers(sub: Any) -> None:
    """``montage`` on the command line's sub-commands."""
    montage = sub.add_parser("montage", help="make one film of several clips and photos, cut on the beats")
    montage.add_argument("inputs", nargs="+", metavar="IN", help="video clips and photos, in film order")
    montage.add_argument("-o", "--output", help="where to write the MP4 (default: ./montage.mp4)")
    montage.add_argument("--duration", type=float, metavar="S", help="the film's length (default: the footage, ≤ 60 s)")
    montage.add_argument("--aspect", choices=("16:9", "9:16", "1:1"), help="the film's shape (default: the majority's)")
    montage.add_argument("--fit", choices=("crop", "blur"), default="crop", help="fill the frame, or fit on a blur")
    montage.add_argument("--order", choices=("given", "time"), default="given", help="as given, or by capture time")
    montage.add_argument("--prompt", help='what you want, e.g. "epic travel montage"')
    montage.add_argument("--keep-original-sound", action="store_true", help="keep the clips' sound under the music")
    montage.add_argument(
        "--reframe",
        choices=("subject", "centre"),
        help="clips cropped to the film's shape: follow the subject or centre",
    )
    montage.add_argument("--title", metavar="TEXT", help="a title shown at the start")
    montage.add_argument("--max-size", metavar="SIZE", help="at most this big, e.g. 50MB")
    montage.add_argument("--timeline-out", metavar="FILE", help="save the film's timeline (JSON)")
    montage.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    montage.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    add_language_option(montage)
    montage.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.media.fit_size import parse_size
    from bot.media.library import Library, load_library
    from bot.media.montage import analyse_items, first_montage
    from bot.media.pipeline import Stopwatch, render_timeline
    from bot.media.timeline import TitleTrack, clean_text

    settings = get_settings()
    output = free_output(Path(args.output) if args.output else Path.cwd() / "montage.mp4", overwrite=args.overwrite)
    with progress(not args.json) as on_progress:
        clock = Stopwatch(on_progress)
        with clock.stage("video analysis"):
            analysis = analyse_items([Path(p) for p in args.inputs], settings, order=args.order)
        for skipped in analysis.skipped:
            reason = skipped.in_language(args.language)
            print(say("cli_skipped", args.language, name=Path(skipped.source).name, reason=reason), file=sys.stderr)
        with clock.stage("library load"):
            library = Library(load_library(settings))
        with clock.stage("match"):
            timeline = first_montage(
                analysis, library, prompt=args.prompt, duration_s=args.duration, aspect=args.aspect, fit=args.fit
            )
        title = None
        if args.title is not None:
            if not clean_text(args.title, 100).strip():
                raise InputRejected("cli_title_empty")
            title = TitleTrack(text=args.title, duration_s=min(3.0, timeline.duration_s))
        output_settings = replace(
            timeline.output, target_size_bytes=parse_size(args.max_size) if args.max_size else None
        )
        if args.reframe:
            output_settings = replace(output_settings, reframe=args.reframe)
        original = replace(timeline.original, keep=args.keep_original_sound)
        timeline = replace(timeline, title=title, output=output_settings, original=original)
        outcome = render_timeline(
            timeline,
            analysis,
            library,
            output_path=str(output),
            ffmpeg_timeout_s=settings.ffmpeg_timeout_s,
            clock=clock,
        )
    if args.timeline_out:
        Path(args.timeline_out).write_text(timeline.to_json() + "\n", encoding="utf-8")
    segments = [
        {
            "source": s.source,
            "source_start_s": s.source_start_s,
            "source_end_s": s.source_end_s,
            "start_s": s.start_s,
            "end_s": s.end_s,
            "kind": s.kind,
        }
        for s in timeline.segments
    ]
    data = {
        "output": outcome.output_path,
        "duration_s": round(outcome.duration_s, 3),
        "width": outcome.width,
        "height": outcome.height,
        "track": {"id": outcome.track.id, "title": outcome.track.title, "bpm": outcome.track.bpm,
                  "moods": list(outcome.track.moods)},
        "reason": reason_in(outcome, args.language),
        "segments": segments,
        "cut_times": [round(t, 4) for t in outcome.cut_times_s],
        "cuts_on_beat_ratio": outcome.to_json()["cuts_on_beat_ratio"],
        "skipped": [{"source": k.source, "reason": k.reason} for k in analysis.skipped],
        "unmatched_words": list(outcome.unmatched_words),
        "enlarged": list(outcome.enlarged),
        "used_moods": list(outcome.used_moods),
        "ending": outcome.ending,
        "hit_at_s": outcome.hit_at_s,
        "track_peak_s": outcome.track_peak_s,
        "loudness_lufs": round(outcome.loudness_lufs, 2),
        "true_peak_dbtp": round(outcome.true_peak_dbtp, 2),
        "size_bytes": outcome.size_bytes,
        "timeline_summary": timeline.summary(),
        "stage_times_s": {k: round(v, 4) for k, v in outcome.stage_times_s.items()},
        "elapsed_s": round(outcome.elapsed_s, 3),
    }  # fmt: skip
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print_summary(outcome, args.language)
        print(f"Timeline:  {timeline.summary(args.language)}")
    return EXIT_OK
