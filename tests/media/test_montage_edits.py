"""Chat edits of a film of several items: the parser's new phrases (English and Chinese), the words of a
request that shape the first film, and re-planning the cut on the beats from the stored analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.config import get_settings
from bot.media.editing import apply_instruction
from bot.media.edits import (
    ChangeLength,
    DropItem,
    Edit,
    NextTrack,
    SetAspect,
    SetLength,
    SetMaxHeight,
    SetOriginalAudio,
    SetTitle,
    ShiftMood,
    SwapItems,
    apply_edits_explained,
)
from bot.media.instructions import parse_instruction
from bot.media.library import Library, loaded_library
from bot.media.montage import FilmWishes, MontageAnalysis, analyse_items, film_wishes, first_montage
from bot.media.montage_render import FILM_FPS
from bot.media.pipeline import analyse_clip
from bot.media.timeline import Timeline
from tests.mediagen import make_clip, make_photo, pan_source

SIZE = (160, 90)

PHRASES: list[tuple[str, tuple[Edit, ...]]] = [
    ("shorter, 30 s", (SetLength(30.0),)),
    ("30秒", (SetLength(30.0),)),
    ("make it 45 seconds long", (SetLength(45.0),)),
    ("1分钟", (SetLength(60.0),)),
    ("缩短到20秒", (SetLength(20.0),)),
    ("shorter", (ChangeLength("shorter"),)),
    ("a bit longer", (ChangeLength("longer"),)),
    ("短一点", (ChangeLength("shorter"),)),
    ("再长一些", (ChangeLength("longer"),)),
    ("更短", (ChangeLength("shorter"),)),
    ("swap 2 and 3", (SwapItems(2, 3),)),
    ("swap the first and last clips", (SwapItems(1, -1),)),
    ("switch clips 1 and 4", (SwapItems(1, 4),)),
    ("交换2和3", (SwapItems(2, 3),)),
    ("交换第一个和第三个", (SwapItems(1, 3),)),
    ("把第2个和第4个调换一下", (SwapItems(2, 4),)),
    ("drop the third clip", (DropItem(3),)),
    ("remove clip 2", (DropItem(2),)),
    ("drop the last photo", (DropItem(-1),)),
    ("删掉第三个", (DropItem(3),)),
    ("去掉第二段", (DropItem(2),)),
    ("删掉最后一张照片", (DropItem(-1),)),
    ("keep the sound", (SetOriginalAudio(True),)),
    ("保留原声", (SetOriginalAudio(True),)),
    ("drop the third clip and keep the sound", (DropItem(3), SetOriginalAudio(True))),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES)
def test_film_phrases(text: str, expected: tuple[Edit, ...]) -> None:
    result = parse_instruction(text)
    assert result.edits == expected, text
    assert result.ignored == (), text


@pytest.mark.parametrize(
    "text",
    ["swap back", "switch to the previous track", "skip the intro", "start at 0:45", "title 'x' for 4s", "4:3"],
)
def test_film_rules_leave_other_phrases_alone(text: str) -> None:
    assert not any(
        isinstance(e, SetLength | ChangeLength | SwapItems | DropItem) for e in parse_instruction(text).edits
    )


def test_the_words_of_a_request_shape_the_film() -> None:
    assert film_wishes("a 60-second travel montage in 1080p") == FilmWishes(duration_s=60.0, max_height=1080)
    assert film_wishes("竖屏 30秒 保留原声") == FilmWishes(duration_s=30.0, aspect="9:16", keep_sound=True)
    assert film_wishes("9:16, 45 s, keep the sound") == FilmWishes(duration_s=45.0, aspect="9:16", keep_sound=True)
    assert film_wishes("happy") == FilmWishes() == film_wishes(None)


def test_film_edits_on_one_clip_change_nothing_and_say_so() -> None:
    timeline = Timeline.for_video("clip.mp4", 10.0)
    new, notes = apply_edits_explained(timeline, (SwapItems(1, 2), DropItem(1), SetLength(5.0)), ranked_track_ids=())
    assert new == timeline
    assert all("single clip" in note for note in notes)


# ----- re-planning a film ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> tuple[MontageAnalysis, Library, Timeline]:
    root = tmp_path_factory.mktemp("film-edits")
    paths = [
        make_clip(root / "a.mp4", duration_s=6.0, size=SIZE, cut_times_s=(3.0,), audio="sine"),
        make_photo(root / "b.jpg", size=(320, 180)),
        make_clip(root / "c.mp4", duration_s=6.0, video_source=pan_source(6.0, size=SIZE), audio=None),
        make_photo(root / "d.png", size=(320, 180), source="mandelbrot"),
    ]
    analysis = analyse_items(paths, get_settings())
    library = loaded_library()
    return analysis, library, first_montage(analysis, library, prompt="happy 16 s")


def _sources(timeline: Timeline) -> list[str]:
    return [Path(segment.source).name for segment in timeline.segments]


def _on_beats(timeline: Timeline) -> None:
    music = timeline.music
    assert music is not None and music.grid is not None and music.start_offset_s is not None
    beats = np.asarray(music.grid.beats_s) - music.start_offset_s
    for cut in timeline.cut_times_s:
        assert np.min(np.abs(beats - cut)) <= 0.5 / FILM_FPS + 2e-3, f"cut at {cut} is off the beat"
    assert timeline.segments[0].start_s == 0.0
    for before, after in zip(timeline.segments, timeline.segments[1:], strict=False):
        assert before.end_s == after.start_s


def test_the_first_film_follows_the_words(film: tuple[MontageAnalysis, Library, Timeline]) -> None:
    _analysis, _library, timeline = film
    assert _sources(timeline) == ["a.mp4", "b.jpg", "c.mp4", "d.png"]
    assert abs(timeline.duration_s - 16.0) <= 3.0
    assert not timeline.original.keep, "a film's own sound is off unless asked"
    _on_beats(timeline)


def test_order_items_and_length_edits_re_plan_on_the_beats(film: tuple[MontageAnalysis, Library, Timeline]) -> None:
    analysis, library, timeline = film
    swapped, report = apply_instruction(timeline, "swap 2 and 3", video=analysis, library=library)
    assert report.understood and _sources(swapped) == ["a.mp4", "c.mp4", "b.jpg", "d.png"]
    _on_beats(swapped)

    dropped, report = apply_instruction(swapped, "删掉第三个", video=analysis, library=library)
    assert report.reply.startswith("去掉了") and _sources(dropped) == ["a.mp4", "c.mp4", "d.png"]
    _on_beats(dropped)

    short, _ = apply_instruction(dropped, "shorter, 8 s", video=analysis, library=library)
    assert abs(short.duration_s - 8.0) <= 2.5 and len(short.segments) == 3
    _on_beats(short)

    longer, _ = apply_instruction(short, "longer", video=analysis, library=library)
    assert longer.duration_s > short.duration_s
    _on_beats(longer)

    too_long, report = apply_instruction(longer, "10 minutes", video=analysis, library=library)
    assert too_long.duration_s < 60.0 and "usable footage" in report.reply


def test_track_and_mood_edits_re_plan_on_the_new_beats(film: tuple[MontageAnalysis, Library, Timeline]) -> None:
    analysis, library, timeline = film
    for text in ("another track", "more energetic", "换一首"):
        new, report = apply_instruction(timeline, text, video=analysis, library=library)
        assert report.understood
        assert new.music is not None and timeline.music is not None
        if new.music.track_id != timeline.music.track_id:
            assert new.music.grid != timeline.music.grid
        _on_beats(new)
        assert _sources(new) == _sources(timeline)


def test_title_shape_and_sound_keep_the_cut(film: tuple[MontageAnalysis, Library, Timeline]) -> None:
    analysis, library, timeline = film
    new, report = apply_instruction(
        timeline, "title 'Day 1', vertical, keep the sound", video=analysis, library=library
    )
    assert report.understood
    assert new.segments == timeline.segments
    assert new.title is not None and new.title.text == "Day 1"
    assert new.output.aspect == "9:16" and new.original.keep
    assert parse_instruction("1080p").edits == (SetMaxHeight(1080),)
    kept, _ = apply_instruction(timeline, "保留原声", video=analysis, library=library)
    assert kept.original.keep


def test_film_edits_on_a_single_clip_are_answered(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "one.mp4", duration_s=3.0, size=SIZE)
    analysis = analyse_clip(str(clip), settings=get_settings())
    library = loaded_library()
    from bot.media.editing import first_timeline

    timeline = first_timeline(input_path=str(clip), duration_s=3.0, video=analysis.video, library=library, prompt=None)
    same, report = apply_instruction(timeline, "drop the third clip", video=analysis.video, library=library)
    assert same == timeline and not report.understood and "single clip" in report.reply
    mixed, report = apply_instruction(timeline, "swap 1 and 2, quieter", video=analysis.video, library=library)
    assert report.understood and "single clip" in report.reply
    assert mixed.music is not None and mixed.music.volume_pct < 100.0


def test_unused_edit_types_are_what_the_parser_makes() -> None:
    """Mood and track edits keep their old meaning next to the film edits."""
    assert parse_instruction("more energetic, 20 s").edits == (ShiftMood("energetic"), SetLength(20.0))
    assert parse_instruction("another track").edits == (NextTrack(),)
    assert parse_instruction("vertical").edits == (SetAspect("9:16"),)
    assert parse_instruction("title 'Day 1'").edits == (SetTitle("Day 1"),)
