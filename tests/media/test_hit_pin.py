"""A pinned big moment in words ("drop at 4 s", "高潮在4秒"): kept in the timeline, laid by the render, said as
values the reader's language words; a film starts its music so that the moment lands there."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import get_settings
from bot.language.reasons import word_reason
from bot.media.editing import apply_instruction, first_timeline
from bot.media.library import loaded_library
from bot.media.montage import analyse_items, first_montage
from bot.media.pipeline import analyse_clip, render_timeline
from bot.media.sync import track_peak_s
from tests.mediagen import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hit")
    return make_clip(root / "eight.mp4", duration_s=8.0, size=(160, 90), cut_times_s=(2.0, 4.0, 6.0), audio=None)


@pytest.mark.parametrize("words", ["drop at 4 s", "高潮在4秒"])
def test_a_pinned_moment_is_laid_and_said(clip: Path, tmp_path: Path, words: str) -> None:
    analysis = analyse_clip(str(clip), settings=get_settings())
    library = loaded_library()
    timeline = first_timeline(
        input_path=str(clip), duration_s=analysis.info.duration_s, video=analysis.video, library=library, prompt="calm"
    )
    pinned, report = apply_instruction(timeline, words, video=analysis.video, library=library)
    assert report.understood and pinned.music is not None and pinned.music.hit_at_s == 4.0
    assert timeline.music is not None and pinned.music.track_id == timeline.music.track_id, "a pin keeps the track"
    outcome = render_timeline(pinned, analysis, library, output_path=str(tmp_path / "pinned.mp4"))
    assert outcome.hit_at_s is not None and outcome.track_peak_s is not None
    beat_s = 60.0 / outcome.track.bpm
    assert abs(outcome.hit_at_s - 4.0) <= beat_s + 1e-3
    assert outcome.why is not None and outcome.why.hit_at_s == outcome.hit_at_s
    assert outcome.why.hit_pinned and outcome.reason == word_reason(outcome.why, "en")
    assert outcome.reason.endswith(f"lands at 0:0{round(outcome.hit_at_s)}, as you asked.")
    assert "按你的要求落在视频的" in word_reason(outcome.why, "zh")


def test_a_film_starts_its_music_so_the_moment_lands_where_pinned(tmp_path: Path) -> None:
    items = [
        make_clip(tmp_path / f"c{n}.mp4", duration_s=5.0, size=(160, 90), cut_times_s=(2.5,), audio=None)
        for n in range(3)
    ]
    analysis = analyse_items(items, get_settings())
    library = loaded_library()
    film = first_montage(analysis, library, prompt="calm", duration_s=12.0, aspect="16:9")
    assert film.music is not None and film.music.track_id is not None
    track = library.get(film.music.track_id)
    assert track is not None
    peak = track_peak_s(track.features)
    if peak is None or peak < 6.0:
        pytest.skip("the calm pick has no big moment late enough to pin at 6 s")
    pinned, report = apply_instruction(film, "drop at 6 s", video=analysis, library=library)
    assert report.understood and pinned.music is not None and pinned.music.hit_at_s == 6.0
    assert pinned.music.start_offset_s is not None
    beat_s = 60.0 / track.bpm
    assert abs((peak - pinned.music.start_offset_s) - 6.0) <= beat_s + 1e-3, "the moment lands within a beat"
    outcome = render_timeline(pinned, analysis, library, output_path=str(tmp_path / "film.mp4"))
    assert outcome.hit_at_s is not None and abs(outcome.hit_at_s - 6.0) <= beat_s + 1e-3
    assert outcome.track_peak_s == pytest.approx(peak, abs=1e-3)
    assert outcome.reason.endswith(", as you asked.")
