"""The timeline is the plan: the pick is ranked once and kept in the timeline; a render only looks it up."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import get_settings
from bot.errors import LibraryError
from bot.media.editing import apply_instruction, first_timeline
from bot.media.library import Library, loaded_library
from bot.media.matching import rank_tracks
from bot.media.pipeline import ClipAnalysis, analyse_clip, render_timeline
from bot.media.timeline import Timeline
from tests.media.rendering import render_file
from tests.mediagen import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("plan") / "clip.mp4", duration_s=6.0, cut_times_s=(2.0, 4.0), audio=None)


@pytest.fixture(scope="module")
def analysis(clip: Path) -> ClipAnalysis:
    return analyse_clip(str(clip), settings=get_settings())


def _first(clip: Path, analysis: ClipAnalysis, library: Library, prompt: str | None = None) -> Timeline:
    return first_timeline(
        input_path=str(clip), duration_s=analysis.info.duration_s, video=analysis.video, library=library, prompt=prompt
    )


def test_the_first_pick_keeps_its_reason_ranking_and_beat_grid(clip: Path, analysis: ClipAnalysis) -> None:
    library = loaded_library()
    timeline = _first(clip, analysis, library, prompt="calm")
    ranking = rank_tracks(video=analysis.video, tracks=library.tracks, prompt="calm")
    music = timeline.music
    assert music is not None
    assert music.track_id == ranking.best and music.reason == ranking.reason
    assert music.ranking == ranking.ranked and music.alternatives == ranking.ranked[1:]
    track = library.get(ranking.best)
    assert track is not None and music.grid is not None
    assert music.grid.bpm == pytest.approx(track.bpm, abs=1e-3)
    assert music.grid.beats_s == pytest.approx(track.features.beat_times_s, abs=1e-3)
    again = Timeline.from_json(timeline.to_json())
    assert again == timeline, "the pick survives saving and loading"


def test_a_render_needs_only_the_picked_track(clip: Path, analysis: ClipAnalysis, tmp_path: Path) -> None:
    """Nothing to rank in a library of one track: the render looks the pick up and uses the timeline's words."""
    library = loaded_library()
    timeline = _first(clip, analysis, library)
    assert timeline.music is not None and timeline.music.track_id is not None
    picked = library.get(timeline.music.track_id)
    assert picked is not None
    outcome = render_timeline(timeline, analysis, Library([picked]), output_path=str(tmp_path / "one.mp4"))
    assert outcome.track.id == picked.id
    assert outcome.reason == timeline.music.reason
    assert outcome.alternatives == timeline.music.alternatives
    with pytest.raises(LibraryError):
        render_timeline(timeline, analysis, Library([]), output_path=str(tmp_path / "none.mp4"))


def test_edits_that_keep_the_mood_keep_the_ranking(clip: Path, analysis: ClipAnalysis) -> None:
    library = loaded_library()
    timeline = _first(clip, analysis, library)
    assert timeline.music is not None
    stale = replace(timeline, music=replace(timeline.music, ranking=tuple(reversed(timeline.music.ranking))))
    titled, _ = apply_instruction(stale, "title 'Day 1'", video=analysis.video, library=library)
    assert titled.music == stale.music, "a title edit ranks nothing and changes no music"
    another, _ = apply_instruction(stale, "another track", video=analysis.video, library=library)
    assert another.music is not None and stale.music is not None
    assert another.music.track_id == stale.music.alternatives[0], "another track walks the stored ranking"
    assert another.music.reason and another.music.reason != stale.music.reason
    calmer, _ = apply_instruction(stale, "calmer", video=analysis.video, library=library)
    fresh = rank_tracks(video=analysis.video, tracks=library.tracks, prompt="calm")
    assert calmer.music is not None and calmer.music.ranking == fresh.ranked, "new words rank again"


def test_a_clip_without_cuts_reports_no_ratio(tmp_path: Path) -> None:
    """No cut to sync is not "100 % on beat": the ratio is None (null in JSON)."""
    one_shot = make_clip(tmp_path / "one.mp4", duration_s=3.0, audio=None)
    analysis = analyse_clip(str(one_shot), settings=get_settings())
    library = loaded_library()
    outcome = render_timeline(
        _first(one_shot, analysis, library), analysis, library, output_path=str(tmp_path / "o.mp4")
    )
    assert outcome.cuts_total == 0
    assert outcome.cuts_on_beat_ratio is None and outcome.to_json()["cuts_on_beat_ratio"] is None


def test_words_the_library_cannot_serve_are_said_with_the_pick(clip: Path, tmp_path: Path) -> None:
    outcome = render_file(clip, tmp_path / "epic.mp4", prompt="epic cinematic")
    assert outcome.unmatched_words == ("epic", "cinematic")
    assert outcome.used_moods and outcome.used_moods[0] in ("energetic", "nostalgic")
    assert "No epic, cinematic tracks here" in outcome.reason
    data = outcome.to_json()
    assert data["unmatched_words"] == ["epic", "cinematic"] and data["used_moods"] == list(outcome.used_moods)
    calm = render_file(clip, tmp_path / "calm.mp4", prompt="calm")
    assert calm.unmatched_words == () and "tracks here" not in calm.reason
