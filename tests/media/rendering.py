"""One render of a file the way the command line makes it: analyse, pick, render the timeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import get_settings
from bot.media.editing import apply_instruction, first_timeline
from bot.media.library import Library, analyse_song, loaded_library
from bot.media.pipeline import RenderOutcome, analyse_clip, render_timeline


def render_file(
    source: str | Path,
    output: str | Path,
    *,
    prompt: str | None = None,
    track: str | None = None,
    song: str | Path | None = None,
    keep_original: bool = True,
    instructions: tuple[str, ...] = (),
    reframe: str | None = None,
) -> RenderOutcome:
    """``track`` is a library id; ``song`` a path to any audio file (the user's song)."""
    settings = get_settings()
    analysis = analyse_clip(str(source), settings=settings)
    library: Library = loaded_library(settings)
    user_song = analyse_song(Path(song).resolve(), settings) if song is not None else None
    if user_song is not None:
        library = library.with_user_song(user_song)
    timeline = first_timeline(
        input_path=str(source),
        duration_s=analysis.info.duration_s,
        video=analysis.video,
        library=library,
        prompt=prompt,
        song=user_song,
        track=library.find(track) if track else None,
    )
    timeline = replace(timeline, original=replace(timeline.original, keep=keep_original))
    for text in instructions:
        timeline, _report = apply_instruction(timeline, text, video=analysis.video, library=library)
    if reframe is not None:
        timeline = replace(timeline, output=replace(timeline.output, reframe=reframe))
    return render_timeline(timeline, analysis, library, output_path=str(output))
