"""What the command line shows: a progress bar on a terminal, the summary of a render, where output goes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import InputRejected
from bot.language import LANGS
from bot.language.reasons import word_reason

if TYPE_CHECKING:
    from bot.media.pipeline import RenderOutcome

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_REJECTED",
    "add_language_option",
    "checked_input",
    "free_output",
    "print_summary",
    "progress",
    "reason_in",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REJECTED = 2


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str, float], None] | None]:
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


def add_language_option(parser: Any) -> None:
    """``--language en|zh``: the language the reason (and a refusal) is worded in; English by default."""
    parser.add_argument(
        "--language", choices=LANGS, default="en", help="words of the reason and of a refusal: en (default) or zh"
    )


def reason_in(outcome: RenderOutcome, lang: str) -> str:
    """Why the track fits, worded in ``lang`` from the render's values (a timeline saved without them: its
    English sentence)."""
    return word_reason(outcome.why, lang) if outcome.why is not None else outcome.reason


def print_summary(outcome: RenderOutcome, lang: str = "en") -> None:
    t = outcome.track
    print(f"Output:    {outcome.output_path}")
    print(f"Track:     {t.title} [{t.id}] — {', '.join(t.moods) or 'no mood'}, {t.bpm:.1f} BPM, {t.key} {t.mode}")
    print(f"Why:       {reason_in(outcome, lang)}")
    ratio = outcome.cuts_on_beat_ratio
    on_beat = f"{outcome.cuts_on_beat}/{outcome.cuts_total} cuts on beat ({ratio:.0%})" if ratio is not None else ""
    sync = on_beat or "no cuts to sync"
    looped = f", looped {outcome.loops}×" if outcome.loops else ""
    print(f"Sync:      {sync}, music from {outcome.music_offset_s:.2f} s{looped}")
    print(f"Loudness:  {outcome.loudness_lufs:.1f} LUFS, true peak {outcome.true_peak_dbtp:.1f} dBTP")
    video = "copied untouched" if outcome.video_copied else f"re-encoded to {outcome.width}x{outcome.height}"
    if outcome.video_reencoded_s is not None:
        video = f"copied, except {outcome.video_reencoded_s:.1f} s re-encoded for the title"
    print(f"Video:     {video}")
    print(f"Time:      {outcome.elapsed_s:.2f} s for a {outcome.duration_s:.1f} s clip")


def checked_input(path: Path) -> Path:
    """``path`` if it is a file; else ``InputRejected`` naming it (missing, or a folder)."""
    if path.is_dir():
        raise InputRejected("cli_is_directory", path=str(path))
    if not path.is_file():
        raise InputRejected("cli_no_such_file", path=str(path))
    return path


def free_output(wanted: Path, *, overwrite: bool) -> Path:
    """``wanted``, or (unless ``overwrite``) the first free ``name-2.mp4``, ``name-3.mp4``… beside it, said on
    stderr, so an earlier result is never replaced by accident."""
    if overwrite or not wanted.exists():
        return wanted
    for n in range(2, 10_000):
        candidate = wanted.with_name(f"{wanted.stem}-{n}{wanted.suffix}")
        if not candidate.exists():
            print(f"{wanted} exists; writing {candidate} (use --overwrite to replace it)", file=sys.stderr)
            return candidate
    raise InputRejected("cli_no_free_name", path=str(wanted))
