"""``musiccog``: the pipeline on files, the library tools, the demo, the benchmark and the chat bots.

Exit codes: 0 done, 2 the input was rejected (the reason is the last line of stderr), 1 anything else.
Logging is configured here and only here; it goes to stderr so ``--json`` output stays clean. Each
command lives in its own module (``render``, ``montage``, ``library``, ``serve``) with its arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from collections.abc import Sequence

from bot import __version__
from bot.cli import library, montage, render, serve, worker
from bot.cli.terminal import EXIT_FAILED, EXIT_REJECTED
from bot.errors import InputRejected, MusicCogError
from bot.language import say

__all__ = ["build_parser", "main"]

logger = logging.getLogger("bot.cli")


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("numba").setLevel(logging.WARNING)


def _run_bench(args: argparse.Namespace) -> int:
    from bench.__main__ import main as bench_main

    return bench_main(["--quick"] if args.quick else [])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musiccog", description="Put the right music under your videos.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    render.add_parsers(sub)
    montage.add_parsers(sub)
    library.add_parsers(sub)
    serve.add_parsers(sub)
    worker.add_parsers(sub)
    bench = sub.add_parser("bench", help="run the benchmark and print a table")
    bench.add_argument("--quick", action="store_true", help="a shorter clip")
    bench.set_defaults(func=_run_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code = int(args.func(args))
    except InputRejected as exc:
        print(exc.in_language(getattr(args, "language", "en")), file=sys.stderr)
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
