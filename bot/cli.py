"""``musiccog``: the pipeline on files, the library tools, the demo and the benchmark.

Exit codes: 0 done, 2 the input was rejected (the reason is the last line of stderr), 1 anything else.
Logging is configured here and only here; it goes to stderr so ``--json`` output stays clean.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.config import Settings, get_settings
from bot.errors import InputRejected, LibraryError, MusicCogError
from bot.language import say

if TYPE_CHECKING:
    from bot.media.editing import InstructionReport
    from bot.media.library import Library
    from bot.media.models import Track
    from bot.media.pipeline import RenderOutcome, Stopwatch
    from bot.media.timeline import Timeline

logger = logging.getLogger("bot.cli")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REJECTED = 2


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("numba").setLevel(logging.WARNING)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, float], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.media.pipeline import STAGES

    with Progress(
        TextColumn("{task.description:<16}"), BarColumn(), TimeElapsedColumn(), transient=True, console=None
    ) as bar:
        task = bar.add_task("starting", total=len(STAGES))

        def update(stage: str, fraction: float) -> None:
            done = STAGES.index(stage) + fraction if stage in STAGES else 0
            bar.update(task, description=stage, completed=done)

        yield update


def _print_summary(outcome: RenderOutcome) -> None:
    t = outcome.track
    print(f"Output:    {outcome.output_path}")
    print(f"Track:     {t.title} [{t.id}] — {', '.join(t.moods) or 'no mood'}, {t.bpm:.1f} BPM, {t.key} {t.mode}")
    print(f"Why:       {outcome.reason}")
    ratio = outcome.cuts_on_beat_ratio
    on_beat = f"{outcome.cuts_on_beat}/{outcome.cuts_total} cuts on beat ({ratio:.0%})" if ratio is not None else ""
    sync = on_beat or "no cuts to sync"
    looped = f", looped {outcome.loops}×" if outcome.loops else ""
    print(f"Sync:      {sync}, music from {outcome.music_offset_s:.2f} s{looped}")
    print(f"Loudness:  {outcome.loudness_lufs:.1f} LUFS, true peak {outcome.true_peak_dbtp:.1f} dBTP")
    video = "copied untouched" if outcome.video_copied else f"re-encoded to {outcome.width}x{outcome.height}"
    print(f"Video:     {video}")
    print(f"Time:      {outcome.elapsed_s:.2f} s for a {outcome.duration_s:.1f} s clip")


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


def _cmd_render(args: argparse.Namespace) -> int:
    source = Path(args.input)
    output = Path(args.output) if args.output else Path.cwd() / f"{source.stem}-music.mp4"
    with _progress(not args.json) as on_progress:
        outcome, timeline, reports = _render(source, output, args, on_progress)
    if args.timeline_out:
        Path(args.timeline_out).write_text(timeline.to_json() + "\n", encoding="utf-8")
    if args.json:
        data = outcome.to_json()
        data.update(
            timeline_summary=timeline.summary(),
            timeline=timeline.to_dict(),
            output_size_bytes=outcome.size_bytes,
            instructions=[r.to_json() for r in reports],
        )
        print(json.dumps(data, ensure_ascii=False))
    else:
        _print_summary(outcome)
        print(f"Timeline:  {timeline.summary()}")
    return EXIT_OK


def _render(
    source: Path, output: Path, args: argparse.Namespace, on_progress: Callable[[str, float], None] | None
) -> tuple[RenderOutcome, Timeline, list[InstructionReport]]:
    """Analyse, pick (or load the saved timeline), apply the flags and words, render: one timed job."""
    from bot.media.editing import apply_instruction, first_timeline
    from bot.media.pipeline import Stopwatch, analyse_clip, render_timeline

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
        timeline = _timeline_with_flags(timeline, args)
        reports = []
        for text in args.instruction:
            timeline, report = apply_instruction(timeline, text, video=analysis.video, library=library)
            reports.append(report)
            if not args.json:
                print(f"{text!r}: {report.reply}", file=sys.stderr)
    outcome = render_timeline(
        timeline, analysis, library, output_path=str(output), ffmpeg_timeout_s=settings.ffmpeg_timeout_s, clock=clock
    )
    return outcome, timeline, reports


def _render_photo(
    source: Path, output: Path, args: argparse.Namespace, clock: Stopwatch
) -> tuple[RenderOutcome, Timeline, list[InstructionReport]]:
    """A still picture: a short film of it (a slow Ken Burns move, ``--duration`` or the prompt's length, else
    8 s) with music picked for it, made as a film of one item; the flags and words apply as to a clip."""
    from bot.media.editing import apply_instruction
    from bot.media.montage import analyse_items, first_montage
    from bot.media.pipeline import render_timeline

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
        timeline = _timeline_with_flags(timeline, args)
        reports = []
        for text in args.instruction:
            timeline, report = apply_instruction(timeline, text, video=analysis, library=library)
            reports.append(report)
            if not args.json:
                print(f"{text!r}: {report.reply}", file=sys.stderr)
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


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import make_demo_clip

    workdir = Path(args.dir) if args.dir else Path(tempfile.gettempdir()) / "musiccog-demo"
    workdir.mkdir(parents=True, exist_ok=True)
    clip = make_demo_clip(workdir / "demo-input.mp4")
    print(f"Sample clip: {clip}", file=sys.stderr)
    render_args = build_parser().parse_args(["render", str(clip), *(["--prompt", args.prompt] if args.prompt else [])])
    with _progress(True) as on_progress:
        outcome, _timeline, _reports = _render(clip, workdir / "demo-music.mp4", render_args, on_progress)
    _print_summary(outcome)
    return EXIT_OK


def _cmd_montage(args: argparse.Namespace) -> int:
    from bot.media.fit_size import parse_size
    from bot.media.library import Library, load_library
    from bot.media.montage import analyse_items, first_montage
    from bot.media.pipeline import Stopwatch, render_timeline
    from bot.media.timeline import TitleTrack, clean_text

    settings = get_settings()
    output = Path(args.output) if args.output else Path.cwd() / "montage.mp4"
    with _progress(not args.json) as on_progress:
        clock = Stopwatch(on_progress)
        with clock.stage("video analysis"):
            analysis = analyse_items([Path(p) for p in args.inputs], settings, order=args.order)
        for skipped in analysis.skipped:
            print(say("cli_skipped", name=Path(skipped.source).name, reason=skipped.reason), file=sys.stderr)
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
        "reason": outcome.reason,
        "segments": segments,
        "cut_times": [round(t, 4) for t in outcome.cut_times_s],
        "cuts_on_beat_ratio": outcome.to_json()["cuts_on_beat_ratio"],
        "skipped": [{"source": k.source, "reason": k.reason} for k in analysis.skipped],
        "unmatched_words": list(outcome.unmatched_words),
        "used_moods": list(outcome.used_moods),
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
        _print_summary(outcome)
        print(f"Timeline:  {timeline.summary()}")
    return EXIT_OK


def _cmd_library(args: argparse.Namespace) -> int:
    from bot.media import library

    settings = get_settings()
    if args.library_cmd == "analyze":
        from bot.store import LibraryStore

        with LibraryStore(settings.library_db) as store:
            for raw in args.paths:
                root = Path(raw)
                if not root.exists():
                    raise InputRejected("cli_no_such_path", path=raw)
                files = library.iter_audio_files(root)
                base = root if root.is_dir() else None
                for path in files:
                    track = library.analyse_track_file(
                        path, store=None if args.ignore_tags else store, root=base, ignore_tags=args.ignore_tags
                    )
                    row = library.track_report(track)
                    print(json.dumps(row, ensure_ascii=False) if args.json else library.format_report(row), flush=True)
        return EXIT_OK
    if args.library_cmd == "scan":
        from bot.store import LibraryStore

        with LibraryStore(settings.library_db) as store:
            tracks = library.scan([Path(p) for p in args.dirs], store=store)
        print(say("cli_indexed", count=len(tracks)))
        print(say("cli_add_library_dirs"), file=sys.stderr)
        return EXIT_OK
    tracks = library.load_library(settings)
    _print_library_table(tracks)
    return EXIT_OK


def _print_library_table(tracks: Sequence[object]) -> None:
    from rich.console import Console
    from rich.table import Table

    from bot.media.matching import track_moods
    from bot.media.models import Track

    table = Table(title=f"Music library ({len(tracks)} tracks)")
    for column in ("id", "title", "moods", "BPM", "key", "length", "LUFS"):
        table.add_column(column)
    for track in tracks:
        assert isinstance(track, Track)
        f = track.features
        table.add_row(
            track.id,
            track.title,
            ", ".join(track_moods(track)),
            f"{f.bpm:.1f}",
            f"{f.key} {f.mode}",
            f"{f.duration_s:.1f} s",
            f"{f.loudness_lufs:.1f}",
        )
    Console(width=120).print(table)


def _cmd_bench(args: argparse.Namespace) -> int:
    from bench.__main__ import main as bench_main

    return bench_main(["--quick"] if args.quick else [])


def _serve_logging(tokens: Sequence[str], verbose: bool) -> None:
    """Bots log their life at INFO; httpx stays at WARNING (its INFO lines carry the token in the URL)
    and every handler redacts the tokens from messages and tracebacks."""
    from bot.redact import RedactToken

    root = logging.getLogger()
    if not verbose:
        root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in root.handlers:
        for token in tokens:
            handler.addFilter(RedactToken(token))


def _tokens(settings: Settings) -> list[str]:
    secrets = (settings.telegram_bot_token, settings.discord_bot_token, settings.nemo_token)
    return [secret.get_secret_value() for secret in secrets if secret is not None]


def _cmd_telegram(args: argparse.Namespace) -> int:
    from adapters.telegram import run_polling

    settings = get_settings()
    if settings.telegram_bot_token is None:
        raise InputRejected("cli_telegram_token_missing")
    _serve_logging(_tokens(settings), args.verbose)
    run_polling(settings)
    return EXIT_OK


def _cmd_discord(args: argparse.Namespace) -> int:
    from adapters.discord import run_discord

    settings = get_settings()
    if settings.discord_bot_token is None:
        raise InputRejected("cli_discord_token_missing")
    _serve_logging(_tokens(settings), args.verbose)
    asyncio.run(run_discord(settings))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    """Every platform whose token is set, in one process on one engine (one worker pool, one queue)."""
    settings = get_settings()
    if settings.telegram_bot_token is None and settings.discord_bot_token is None:
        raise InputRejected("cli_no_platform_token")
    _serve_logging(_tokens(settings), args.verbose)
    try:
        asyncio.run(_serve_all(settings))
    except ExceptionGroup as group:  # the first platform that failed says why (a bad token, say)
        raise group.exceptions[0] from group
    return EXIT_OK


async def _serve_all(settings: Settings) -> None:
    from bot.services import Services

    services = await Services.open(settings)
    try:
        async with asyncio.TaskGroup() as group:  # one platform failing stops the others before the close
            if settings.telegram_bot_token is not None:
                from adapters.telegram import serve

                group.create_task(serve(settings, services=services))
            if settings.discord_bot_token is not None:
                from adapters.discord import run_discord

                group.create_task(run_discord(settings, services=services))
    finally:
        await services.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musiccog", description="Put the right music under your videos.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

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
    render.add_argument("--duration", type=float, metavar="S", help="for a photo: the film's length (default 8 s)")
    render.set_defaults(func=_cmd_render)

    montage = sub.add_parser("montage", help="make one film of several clips and photos, cut on the beats")
    montage.add_argument("inputs", nargs="+", metavar="IN", help="video clips and photos, in film order")
    montage.add_argument("-o", "--output", help="where to write the MP4 (default: ./montage.mp4)")
    montage.add_argument("--duration", type=float, metavar="S", help="the film's length (default: the footage, ≤ 60 s)")
    montage.add_argument("--aspect", choices=("16:9", "9:16", "1:1"), help="the film's shape (default: the majority's)")
    montage.add_argument("--fit", choices=("crop", "blur"), default="crop", help="fill the frame, or fit on a blur")
    montage.add_argument("--order", choices=("given", "time"), default="given", help="as given, or by capture time")
    montage.add_argument("--prompt", help='what you want, e.g. "epic travel montage"')
    montage.add_argument("--keep-original-sound", action="store_true", help="keep the clips' sound under the music")
    montage.add_argument("--title", metavar="TEXT", help="a title shown at the start")
    montage.add_argument("--max-size", metavar="SIZE", help="at most this big, e.g. 50MB")
    montage.add_argument("--timeline-out", metavar="FILE", help="save the film's timeline (JSON)")
    montage.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    montage.set_defaults(func=_cmd_montage)

    demo = sub.add_parser("demo", help="make a sample clip, render it, print the result")
    demo.add_argument("--dir", help="where to put the sample and the result")
    demo.add_argument("--prompt", default=None)
    demo.set_defaults(func=_cmd_demo)

    lib = sub.add_parser("library", help="list, scan or analyse music")
    lib_sub = lib.add_subparsers(dest="library_cmd", required=True)
    lib_sub.add_parser("list", help="print the library as a table")
    scan = lib_sub.add_parser("scan", help="index folders of music (folder names are moods)")
    scan.add_argument("dirs", nargs="+")
    analyze = lib_sub.add_parser("analyze", help="analyse audio files or folders")
    analyze.add_argument("paths", nargs="+")
    analyze.add_argument("--ignore-tags", action="store_true", help="ignore folder names and embedded tags")
    analyze.add_argument("--json", action="store_true", help="one JSON object per line per track")
    lib.set_defaults(func=_cmd_library)

    telegram = sub.add_parser("telegram", help="run the Telegram bot (TELEGRAM_BOT_TOKEN)")
    telegram.set_defaults(func=_cmd_telegram)
    discord_cmd = sub.add_parser("discord", help="run the Discord bot (DISCORD_BOT_TOKEN)")
    discord_cmd.set_defaults(func=_cmd_discord)
    run = sub.add_parser("run", help="run every chat platform whose token is set")
    run.set_defaults(func=_cmd_run)

    bench = sub.add_parser("bench", help="run the benchmark and print a table")
    bench.add_argument("--quick", action="store_true", help="a shorter clip")
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code = int(args.func(args))
    except InputRejected as exc:
        print(exc.reason, file=sys.stderr)
        return EXIT_REJECTED
    except MusicCogError as exc:
        print(say("cli_failed", error=exc), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(say("cli_interrupted"), file=sys.stderr)
        return 130
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        logger.debug("unexpected error %s", error_id, exc_info=True)
        print(say("cli_unexpected", error_id=error_id), file=sys.stderr)
        return EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
