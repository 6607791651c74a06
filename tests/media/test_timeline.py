"""The timeline model: labels, the one-line summary, deterministic JSON and strict loading."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.errors import InputRejected
from bot.media.timeline import (
    MusicTrack,
    OriginalAudio,
    OutputSettings,
    Timeline,
    TimelineError,
    TitleTrack,
    VideoTrack,
    clean_text,
    format_seconds,
    label_from_path,
)


def full_timeline() -> Timeline:
    music = replace(MusicTrack.from_library("lofi-01", "Lo-fi", moods=("calm",)), volume_pct=35.0)
    return replace(
        Timeline.for_video("/clips/city_timelapse.mp4", 10.0, music=music),
        title=TitleTrack("Urban Dreams", start_s=0.0, duration_s=3.0),
    )


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("city_timelapse.mp4", "city timelapse"),
        ("/home/u/My-Trip_2024.final.mov", "My Trip 2024 final"),
        ("C:\\videos\\beach__day.MP4", "beach day"),
        ("旅行_第一天.mp4", "旅行 第一天"),
        ("___.mp4", "video"),
    ],
)
def test_label_from_path(path: str, label: str) -> None:
    assert label_from_path(path) == label


@pytest.mark.parametrize(
    ("value", "text"),
    [(10, "10"), (10.0, "10"), (2.5, "2.5"), (0, "0"), (3.333333, "3.33"), (0.05, "0.05"), (59.9999999, "60")],
)
def test_format_seconds(value: float, text: str) -> None:
    assert format_seconds(value) == text


def test_summary_exact_format() -> None:
    assert full_timeline().summary() == (
        "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
        '3. Title: "Urban Dreams" (0-3s)'
    )


def test_summary_counts_only_present_tracks() -> None:
    bare = Timeline.for_video("city_timelapse.mp4", 10.0)
    assert bare.summary() == "Timeline (1 track): 1. Video: city timelapse (0-10s)"
    titled = replace(bare, title=TitleTrack("Day 1", duration_s=2.5))
    assert titled.summary() == 'Timeline (2 tracks): 1. Video: city timelapse (0-10s) 2. Title: "Day 1" (0-2.5s)'


def test_summary_mentions_muted_original_and_compact_seconds() -> None:
    timeline = replace(full_timeline(), original=OriginalAudio(keep=False))
    timeline = replace(timeline, video=replace(timeline.video, end_s=12.5))
    assert timeline.summary().startswith("Timeline (3 tracks): 1. Video: city timelapse (0-12.5s, original muted) ")
    assert "2. BGM: Lo-fi (0-12.5s, 35%)" in timeline.summary()


def test_summary_rounds_volume_and_clips_title_to_video() -> None:
    timeline = replace(full_timeline(), title=TitleTrack("Long", start_s=8.0, duration_s=5.0))
    timeline = replace(timeline, music=replace(timeline.music, volume_pct=70.7946))
    assert "BGM: Lo-fi (0-10s, 71%)" in timeline.summary()
    assert 'Title: "Long" (8-10s)' in timeline.summary()


def test_json_round_trip_is_exact() -> None:
    timeline = replace(
        full_timeline(),
        original=OriginalAudio(keep=False, duck=False),
        output=OutputSettings(aspect="9:16", fit="blur", max_height=720, target_size_bytes=10_485_760),
    )
    assert Timeline.from_json(timeline.to_json()) == timeline
    assert Timeline.from_dict(timeline.to_dict()) == timeline
    assert Timeline.from_json(timeline.to_json()).to_json() == timeline.to_json()


def test_json_is_deterministic_sorted_and_rounded() -> None:
    a = replace(full_timeline(), music=replace(full_timeline().music, volume_pct=100 * 10 ** (-3 / 20)))
    b = replace(full_timeline(), music=replace(full_timeline().music, volume_pct=70.79457843841379))
    assert a.to_json() == b.to_json()
    data = json.loads(a.to_json())
    assert data["music"]["volume_pct"] == 70.795
    assert list(data) == sorted(data)
    assert list(data["music"]) == sorted(data["music"])
    assert a.to_json().isascii()
    assert full_timeline().to_json() == full_timeline().to_json()


def test_cjk_and_emoji_survive_json() -> None:
    timeline = replace(full_timeline(), title=TitleTrack("第一天 🎉 👨\u200d👩\u200d👧"))
    loaded = Timeline.from_json(timeline.to_json())
    assert loaded.title is not None
    assert loaded.title.text == "第一天 🎉 👨\u200d👩\u200d👧"


def test_user_song_round_trip() -> None:
    timeline = Timeline.for_video("a.mp4", 5.0, music=MusicTrack.from_user_song("/up/my_song.mp3"))
    assert timeline.music is not None
    assert timeline.music.title == "my song"
    assert timeline.music.current == -1
    assert Timeline.from_json(timeline.to_json()) == timeline


def _with(path: tuple[str, ...], value: object) -> dict[str, object]:
    data = full_timeline().to_dict()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (_with(("version",), 99), "version"),
        (_with(("music", "volume_pct"), "loud"), "music.volume_pct"),
        (_with(("music", "volume_pct"), 500), "music.volume_pct"),
        (_with(("music", "volume_pct"), True), "music.volume_pct"),
        (_with(("music", "current"), 5), "music.current"),
        (_with(("music", "offered"), "lofi-01"), "music.offered"),
        (_with(("music", "track_id"), None), "exactly one"),
        (_with(("original", "keep"), "yes"), "original.keep"),
        (_with(("output", "aspect"), "4:3"), "output.aspect"),
        (_with(("output", "fit"), "stretch"), "output.fit"),
        (_with(("output", "max_height"), 720.5), "output.max_height"),
        (_with(("title", "text"), "   "), "title.text"),
        (_with(("title", "duration_s"), -1), "title.duration_s"),
        (_with(("video", "start_s"), 20.0), "video.start_s"),
        (_with(("video", "surprise"), 1), "unknown field"),
        ({k: v for k, v in full_timeline().to_dict().items() if k != "video"}, "video"),
        ([1, 2, 3], "timeline must be an object"),
    ],
)
def test_from_dict_rejects_bad_data(data: object, fragment: str) -> None:
    with pytest.raises(InputRejected) as info:
        Timeline.from_dict(data)
    assert fragment in info.value.reason
    assert info.value.reason.startswith("That saved timeline can't be used")


@pytest.mark.parametrize("text", ["", "{", "not json", '{"version": 1', b"\xff\xfe"])
def test_from_json_rejects_invalid_json(text: str | bytes) -> None:
    with pytest.raises(InputRejected, match="not valid JSON"):
        Timeline.from_json(text)


def test_from_json_rejects_nan() -> None:
    text = full_timeline().to_json().replace('"volume_pct":35.0', '"volume_pct":NaN')
    with pytest.raises(InputRejected, match="finite"):
        Timeline.from_json(text)


def test_constructors_validate() -> None:
    with pytest.raises(TimelineError):
        TitleTrack("\x00\x01")
    with pytest.raises(TimelineError):
        MusicTrack(title="x")
    with pytest.raises(TimelineError):
        VideoTrack(path="a.mp4", label="a", start_s=5, end_s=1)
    with pytest.raises(TimelineError):
        MusicTrack(title="x", track_id="b", offered=("a",), current=0)


def test_clean_text_strips_controls_keeps_cjk_and_emoji() -> None:
    assert clean_text("Day\x001\n\tgo\u202e!", 100) == "Day1 go!"
    assert clean_text("第一天 🎉", 100) == "第一天 🎉"
    assert clean_text("x" * 300, 100) == "x" * 100
    assert TitleTrack("a" * 150).text == "a" * 100
