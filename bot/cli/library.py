"""``musiccog library``: list, scan or analyse music."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.cli.terminal import EXIT_OK
from bot.config import get_settings
from bot.errors import InputRejected
from bot.language import say

__all__ = ["add_parsers", "run"]


def add_parsers(sub: Any) -> None:
    """``library`` on the command line's sub-commands."""
    lib = sub.add_parser("library", help="list, scan or analyse music")
    lib_sub = lib.add_subparsers(dest="library_cmd", required=True)
    lib_sub.add_parser("list", help="print the library as a table")
    scan = lib_sub.add_parser("scan", help="index folders of music (folder names are moods)")
    scan.add_argument("dirs", nargs="+")
    analyze = lib_sub.add_parser("analyze", help="analyse audio files or folders")
    analyze.add_argument("paths", nargs="+")
    analyze.add_argument("--ignore-tags", action="store_true", help="ignore folder names and embedded tags")
    analyze.add_argument("--json", action="store_true", help="one JSON object per line per track")
    lib.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.media import library

    settings = get_settings()
    if args.library_cmd == "analyze":
        from bot.store import LibraryStore

        with LibraryStore(settings.library_db, analyses_url=settings.state_database_url) as store:
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

        with LibraryStore(settings.library_db, analyses_url=settings.state_database_url) as store:
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
