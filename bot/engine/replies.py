"""Building the replies the engine sends: words from :mod:`bot.language`, values from the backend's events.

Pure functions of their arguments (no store, no backend, no clock), so the conversation and the job
runner word things the same way and a test can check a caption without running a job. Every reply
carries the language it is worded in (``lang``), so an adapter that adds words of its own (a "still
working" line, an apology) uses the same language instead of guessing one from the platform.

The one side effect is in :func:`failure_reply`: the failure's trace is logged once, under the same
short id the user reads, because the id is made here.
"""

from __future__ import annotations

import errno
import logging
import math

from bot.backends.base import Rendered, Stage
from bot.engine.messages import Error, ErrorKind, Fact, Progress, Text, Video, new_error_id, result_buttons
from bot.errors import BackendRefused, BackendUnavailable, InputRejected, LibraryError, RenderFailed
from bot.language import has_phrase, say
from bot.language.reasons import word_reason

__all__ = [
    "DISK_FULL_ERRNOS",
    "busy_reply",
    "caption_for",
    "disk_full",
    "error_reply",
    "export_video",
    "failure_reply",
    "notes_text",
    "reason_text",
    "restarted_reply",
    "result_facts",
    "result_video",
    "stage_progress",
    "still_working",
    "text_reply",
]

logger = logging.getLogger(__name__)

MAX_CAPTION_CHARS = 1000
"""Telegram's caption limit (1024) with room to spare; Discord's message limit is larger."""


def text_reply(key: str, lang: str, /, **values: object) -> Text:
    """The phrase ``key`` as a plain message in ``lang``."""
    return Text(say(key, lang, **values), lang=lang)


def error_reply(kind: ErrorKind, key: str, lang: str, /, **values: object) -> Error:
    """The phrase ``key`` as a failure the user can act on, with a fresh error id."""
    return Error(kind, say(key, lang, **values), new_error_id(), lang=lang)


def busy_reply(lang: str) -> Error:
    """The chat already has a job: one at a time."""
    return error_reply("busy", "engine_busy", lang)


def restarted_reply(lang: str, error_id: str) -> Error:
    """A job given up after the bot restarted under it twice."""
    return Error("internal", say("engine_restarted_gave_up", lang, error_id=error_id), error_id, lang=lang)


# ----- progress -----------------------------------------------------------------------------------------


def stage_progress(event: Stage, lang: str) -> Progress:
    """A backend's stage as a status line with its percentage ("Choosing the music… 40%")."""
    key = f"engine_stage_{event.stage}"
    if event.ahead:  # a place in the render workers' queue (scale-out)
        key = f"{key}_ahead"
    words = say(key, lang, ahead=event.ahead) if has_phrase(key) else event.stage
    fraction = min(1.0, max(0.0, event.fraction))
    return Progress(event.stage, fraction, f"{words} {round(fraction * 100)}%", lang=lang)


def still_working(progress: Progress) -> Progress:
    """The last status line again with "still working" under it, in that line's language."""
    line = say("engine_still_working", progress.lang)
    return Progress(progress.stage, progress.fraction, f"{progress.text}\n{line}", lang=progress.lang)


# ----- the result ---------------------------------------------------------------------------------------


def result_facts(rendered: Rendered, lang: str = "en") -> tuple[Fact, ...]:
    """Tempo, cuts on beat and loudness, leaving out what the backend does not know (a cloud backend gives
    no tempo, cuts or loudness)."""
    facts = []
    if rendered.bpm > 0:
        facts.append(Fact("BPM", f"{rendered.bpm:.0f}", f"{rendered.bpm:.0f} BPM"))
        cuts = (
            say("engine_fact_cuts", lang, on_beat=rendered.cuts_on_beat, total=rendered.cuts_total)
            if rendered.cuts_total
            else say("engine_fact_no_cuts", lang)
        )
        facts.append(Fact(say("engine_fact_cuts_label", lang), cuts))
    if math.isfinite(rendered.loudness_lufs):
        facts.append(Fact(say("engine_fact_loudness_label", lang), f"{rendered.loudness_lufs:.1f} LUFS"))
    return tuple(facts)


def reason_text(rendered: Rendered, lang: str = "en") -> str:
    """Why the track fits (with what the library could not serve and where its big moment lands), worded in
    ``lang`` from the render's values; a backend that sent only a sentence has it shown as it is."""
    return word_reason(rendered.why, lang) if rendered.why is not None else rendered.reason


def notes_text(rendered: Rendered, lang: str = "en") -> str:
    """What the instruction changed, in the chat's language when the backend worded it in that one (the words
    of the message may be another: "music quieter" typed in a chat set to Chinese gets a Chinese note)."""
    return rendered.notes_in.get(lang, rendered.notes)


def caption_for(rendered: Rendered, lang: str = "en") -> str:
    """The result caption: what just changed, the track, why it fits, then its facts on one line."""
    facts = " · ".join(fact.text for fact in result_facts(rendered, lang))
    lines = [notes_text(rendered, lang), f"🎵 {rendered.track_title}", reason_text(rendered, lang), facts]
    return "\n".join(line for line in lines if line)[:MAX_CAPTION_CHARS]


def result_video(rendered: Rendered, lang: str) -> Video:
    """A render to refine: the caption, its parts for platforms that lay them out, and the buttons."""
    return Video(
        path=rendered.path,
        caption=caption_for(rendered, lang),
        buttons=result_buttons(lang, original_muted=rendered.original_muted),
        width=rendered.width,
        height=rendered.height,
        duration_s=rendered.duration_s,
        title=rendered.track_title,
        description="\n".join(line for line in (notes_text(rendered, lang), reason_text(rendered, lang)) if line),
        facts=result_facts(rendered, lang),
        lang=lang,
    )


def export_video(rendered: Rendered, lang: str) -> Video:
    """The final file: named as such, no facts and no buttons (there is nothing left to refine)."""
    final = say("engine_final_video", lang)
    return Video(
        path=rendered.path,
        caption=f"{final} — 🎵 {rendered.track_title}",
        width=rendered.width,
        height=rendered.height,
        duration_s=rendered.duration_s,
        title=rendered.track_title,
        description=final,
        lang=lang,
    )


# ----- failures -----------------------------------------------------------------------------------------


def failure_reply(exc: Exception, lang: str, *, what: str) -> Error:
    """A user-facing sentence for ``exc`` with a short id; the trace is logged once under the same id.

    ``InputRejected`` and ``BackendRefused`` word themselves (the user can act on them); anything else
    gets a sentence naming who must act, never the exception's own text.
    """
    error_id = new_error_id()
    kind: ErrorKind
    full = disk_full(exc)
    if full is not None:  # the operator's to mend: one clear line, no trace; the user is told to try later
        logger.error("%s failed: out of disk space (%s) (error %s)", what, full, error_id)
        text = say("engine_disk_full", lang)
        return Error("backend", f"{text} {say('engine_error_id', lang, error_id=error_id)}", error_id, lang=lang)
    if isinstance(exc, InputRejected):
        kind, text = "input", exc.in_language(lang)
        logger.info("%s rejected the input (error %s): %s", what, error_id, exc.reason)
    elif isinstance(exc, BackendRefused):
        kind, text = "quota", exc.in_language(lang)
        logger.info("%s was refused by the backend (error %s)", what, error_id)
    else:
        if isinstance(exc, LibraryError | BackendUnavailable):
            kind, text = "backend", say("engine_music_unavailable", lang)
        elif isinstance(exc, RenderFailed):
            kind, text = "render", say("engine_render_failed", lang)
        else:
            kind, text = "internal", say("engine_internal_error", lang)
        logger.error("%s failed (error %s)", what, error_id, exc_info=exc)
    return Error(kind, f"{text} {say('engine_error_id', lang, error_id=error_id)}", error_id, lang=lang)


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""No space left, a quota reached, a file-size limit reached: the disk is full as far as a job can tell."""


def disk_full(exc: BaseException) -> str | None:
    """What the system said if ``exc`` (or what caused it) is a full disk, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return current.strerror or str(current)
        current = current.__cause__ or current.__context__
    return None
