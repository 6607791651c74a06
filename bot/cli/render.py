"""``musiccog render`` (one clip, or a photo made a short film) and ``musiccog demo``."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.terminal import (
    EXIT_OK,
    add_language_option,
    checked_input,
    free_output,
    print_summary,
    progress,
    reason_in,
)
from bot.config import Settings, get_settings
from bot.errors import InputRejected, LibraryError

if TYPE_CHECKING:
    from bot.media.editing import InstructionReport
    from bot.media.library import Library
    from bot.media.models import Track
    from bot.media.montage import MontageAnalysis
    from bot.media.pipeline import ClipAnalysis, RenderOutcome, Stopwatch
    from bot.media.timeline import Timeline

__all__ = ["add_parsers", "run", "run_demo"]


def add_parsers(sub: Any) -> None:
    """``render`` and ``demo`` on the command line's sub-commands."""
    render = sub.add_parser("render", help="add music to a video file")
    render.add_argument("input", help="the video file (or a photo: a short film of it)")
    render.add_argument("-o", "--output", help="where to write the MP4 (default: ./<name>-music.mp4)")
    render.add_argument("--prompt", help='what you want, e.g. "upbeat travel" or "平静"')
    render.add_argument("--music-volume", type=float, default=None, metavar="PCT", help="music level, percent")
    render.add_argument("--mute-original", action="store_true", help="drop the original sound (and the ducking)")
    render.add_argument("--no-duck", action="store_true", help="do not lower the music under speech")
    render.add_argument("--track", metavar="ID|PATH", help="use this library track or audio file")
    render.add_argument("--song", metavar="PATH", help="use your own song (any audio file) as the music")
    render.add_argument(
        "--instruction", action="append", default=[], metavar="TEXT", help='an edit in words, e.g. "calmer"'
    )
    render.add_argument("--title", metavar="TEXT", help="a title shown at the start")
    render.add_argument("--title-duration", type=float, default=3.0, metavar="S", help="how long the title shows")
    render.add_argument("--aspect", choices=("9:16", "1:1", "16:9"), help="change the shape (crop to fill)")
    render.add_argument("--fit", choices=("crop", "blur"), help="with --aspect: crop, or fit on a blurred background")
    render.add_argument("--max-height", type=int, metavar="N", help="at most this many lines, e.g. 720")
    render.add_argument("--hit-at", type=float, metavar="S", help="land the track's big moment at this second")
    render.add_argument(
        "--reframe", choices=("subject", "centre"), help="with --aspect, crop: follow the subject (default) or centre"
    )
    render.add_argument("--max-size", metavar="SIZE", help="at most this big, e.g. 10MB (10,000,000 bytes) or 10MiB")
    render.add_argument("--timeline-in", metavar="FILE", help="start from a saved timeline (JSON)")
    render.add_argument("--timeline-out", metavar="FILE", help="save the timeline that was rendered (JSON)")
    render.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    render.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    render.add_argument("--duration", type=float, metavar="S", help="for a photo: the film's length (default 8 s)")
    add_language_option(render)
    render.set_defaults(func=run)

    demo = sub.add_parser("demo", help="make a sample clip, render it, print the result")
    demo.add_argument("--dir", help="where to put the sample and the result")
    demo.add_argument("--prompt", default=None)
    add_language_option(demo)
    demo.set_defaults(func=run_demo)


def _timeline_with_flags(timeline: Timeline, args: argparse.Namespace) -> Timeline:
    """The command line's direct settings, applied over the first pick (or a saved timeline)."""
    from bot.media.fit_size import parse_size
    from bot.media.timeline import TitleTrack, clean_text

    music = timeline.music
    if music is not None and args.music_volume is not None:
        music = replace(music, volume_pct=max(0.0, min(400.0, args.music_volume)))
    original = timeline.original
    if args.mute_original:
        original = replace(original, keep=False)
    if args.no_duck:
        original = replace(original, duck=False)
    title = timeline.title
    if args.title is not None:
        if not clean_text(args.title, 100).strip():
            raise InputRejected("cli_title_empty")
        title = TitleTrack(text=args.title, start_s=0.0, duration_s=args.title_duration)
    output = timeline.output
    if args.aspect:
        output = replace(output, aspect=args.aspect)
    if args.fit:
        output = replace(output, fit=args.fit)
    if args.max_height:
        output = replace(output, max_height=args.max_height)
    if args.max_size:
        output = replace(output, target_size_bytes=parse_size(args.max_size))
    if args.reframe:
        output = replace(output, reframe=args.reframe)
    if music is not None and args.hit_at is not None:
        music = replace(music, hit_at_s=max(0.0, args.hit_at))
    return replace(timeline, music=music, original=original, title=title, output=output)


def _load_timeline(path: str, source: str) -> Timeline:
    from bot.media.editing import with_source
    from bot.media.timeline import Timeline

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputRejected("cli_timeline_unreadable", path=path) from exc
    return with_source(Timeline.from_json(text), source)


def run(args: argparse.Namespace) -> int:
    source = checked_input(Path(args.input))
    wanted = Path(args.output) if args.output else Path.cwd() / f"{source.stem}-music.mp4"
    output = free_output(wanted, overwrite=args.overwrite)
    with progress(not args.json) as on_progress:
        outcome, timeline, reports = _render(source, output, args, on_progress)
    if args.timeline_out:
        Path(args.timeline_out).write_text(timeline.to_json() + "\n", encoding="utf-8")
    if args.json:
        data = outcome.to_json()
        data["reason"] = reason_in(outcome, args.language)
        data.update(
            timeline_summary=timeline.summary(),
            timeline=timeline.to_dict(),
            output_size_bytes=outcome.size_bytes,
            instructions=[r.to_json() for r in reports],
        )
        print(json.dumps(data, ensure_ascii=False))
    else:
        print_summary(outcome, args.language)
        print(f"Timeline:  {timeline.summary(args.language)}")
    return EXIT_OK


def _render(
    source: Path, output: Path, args: argparse.Namespace, on_progress: Callable[[str, float], None] | None
) -> tuple[RenderOutcome, Timeline, list[InstructionReport]]:
    """Analyse, pick (or load the saved timeline), apply the flags and words, render: one timed job."""
    from bot.media.editing import first_timeline
    from bot.media.pipeline import Stopwatch, analyse_clip

    settings = get_settings()
    clock = Stopwatch(on_progress)
    try:
        analysis = analyse_clip(str(source), settings=settings, clock=clock)
    except InputRejected as exc:
        if exc.key != "still_image":
            raise
        return _render_photo(source, output, args, clock)
    with clock.stage("library load"):
        library = _library(settings, needed=not (args.song or args.track or args.timeline_in))
    with clock.stage("match"):
        if args.timeline_in:
            timeline = _load_timeline(args.timeline_in, str(source))
        else:
            chosen = library.find(args.track) if args.track else None
            song = args.song or (args.track if args.track and chosen is None else None)
            if song is not None and not Path(song).is_file():
                raise InputRejected("no_such_track", name=song)
            timeline = first_timeline(
                input_path=str(source),
                duration_s=analysis.info.duration_s,
                video=analysis.video,
                library=library,
                prompt=args.prompt,
                song=_song(Path(song), settings) if song else None,
                track=chosen,
            )
        library = _with_song_of(library, timeline, settings)
    return _finish(timeline, analysis, library, args, output, clock)


def _render_photo(
    source: Path, output: Path, args: argparse.Namespace, clock: Stopwatch
) -> tuple[RenderOutcome, Timeline, list[InstructionReport]]:
    """A still picture: a short film of it (a slow Ken Burns move, ``--duration`` or the prompt's length, else
    8 s) with music picked for it, made as a film of one item; the flags and words apply as to a clip."""
    from bot.media.montage import analyse_items, first_montage

    settings = get_settings()
    with clock.stage("video analysis"):
        analysis = analyse_items([source], settings)
    if not analysis.items:
        problem = analysis.skipped[0] if analysis.skipped else None
        if problem is not None and problem.key:
            raise InputRejected(problem.key, **problem.values)
        raise InputRejected("montage_nothing_usable")
    with clock.stage("library load"):
        library = _library(settings, needed=True)
    with clock.stage("match"):
        timeline = first_montage(analysis, library, prompt=args.prompt, duration_s=args.duration)
    return _finish(timeline, analysis, library, args, output, clock)


def _finish(
    timeline: Timeline,
    analysis: ClipAnalysis | MontageAnalysis,
    library: Library,
    args: argparse.Namespace,
    output: Path,
    clock: Stopwatch,
) -> tuple[RenderOutcome, Timeline, list[InstructionReport]]:
    """The command line's flags and words over the first pick, then the render: the same for a clip and a photo."""
    from bot.media.editing import apply_instruction
    from bot.media.pipeline import ClipAnalysis, render_timeline

    timeline = _timeline_with_flags(timeline, args)
    reports = []
    video = analysis.video if isinstance(analysis, ClipAnalysis) else analysis
    for text in args.instruction:
        timeline, report = apply_instruction(timeline, text, video=video, library=library)
        reports.append(report)
        if not args.json:
            print(f"{text!r}: {report.reply}", file=sys.stderr)
    settings = get_settings()
    outcome = render_timeline(
        timeline, analysis, library, output_path=str(output), ffmpeg_timeout_s=settings.ffmpeg_timeout_s, clock=clock
    )
    return outcome, timeline, reports


def _library(settings: Settings, *, needed: bool) -> Library:
    """The music library; an empty one is an error only when no song of the user's will be used."""
    from bot.media.library import Library, load_library

    try:
        return Library(load_library(settings))
    except LibraryError:
        if needed:
            raise
        return Library(())


def _song(path: Path, settings: Settings) -> Track:
    from bot.media.library import analyse_song

    return analyse_song(path.resolve(), settings)


def _with_song_of(library: Library, timeline: Timeline, settings: Settings) -> Library:
    """The library plus the user's song the timeline names (a saved timeline's, or the one just chosen)."""
    music = timeline.music
    if music is None or music.user_path is None:
        return library
    return library.with_user_song(_song(Path(music.user_path), settings))


def run_demo(args: argparse.Namespace) -> int:
    """A sample clip made, rendered and summarised, in a folder of its own (printed first)."""
    from bot.demo import make_demo_clip

    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="musiccog-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"Demo folder: {workdir}", file=sys.stderr)
    clip = make_demo_clip(workdir / "demo-input.mp4")
    print(f"Sample clip: {clip}", file=sys.stderr)
    parser = argparse.ArgumentParser(prog="musiccog")
    add_parsers(parser.add_subparsers())
    render_args = parser.parse_args(["render", str(clip), *(["--prompt", args.prompt] if args.prompt else [])])
    output = free_output(workdir / "demo-music.mp4", overwrite=False)
    with progress(True) as on_progress:
        outcome, _timeline, _reports = _render(clip, output, render_args, on_progress)
    print_summary(outcome, args.language)
    return EXIT_OK
