"""The chat-instruction parser (every phrase family, English and Chinese) and applying edits to a timeline."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.media.edits import (
    ChangeVolume,
    Edit,
    NextTrack,
    PreviousTrack,
    RemoveTitle,
    SetAspect,
    SetDucking,
    SetFit,
    SetMaxHeight,
    SetMood,
    SetOriginalAudio,
    SetTargetSize,
    SetTitle,
    SetVolume,
    ShiftMood,
    StartMusic,
    apply_edits,
    apply_edits_explained,
    describe_edit,
    format_size,
    merge_mood_words,
    moods_after,
)
from bot.media.instructions import help_text, parse_instruction
from bot.media.timeline import MusicTrack, Timeline, TitleTrack
from bot.platforms import DISCORD_BYTES, TELEGRAM_BYTES

RANKING = ("t1", "t2", "t3", "t4")
TITLES = {"t1": "Lo-fi", "t2": "Sunny", "t3": "Rain", "t4": "Drive"}


def timeline(duration_s: float = 10.0, *, volume_pct: float = 100.0) -> Timeline:
    music = replace(MusicTrack.from_library("t1", "Lo-fi", moods=("calm",)), volume_pct=volume_pct)
    return Timeline.for_video("/clips/city_timelapse.mp4", duration_s, music=music)


def edits_of(text: str) -> tuple[Edit, ...]:
    return parse_instruction(text).edits


def run(tl: Timeline, text: str, ranking: tuple[str, ...] = RANKING) -> Timeline:
    return apply_edits(tl, edits_of(text), ranked_track_ids=ranking, titles=TITLES)


# ----- every phrase family, both languages -------------------------------------------------------

PHRASES: list[tuple[str, tuple[Edit, ...]]] = [
    # another / next track
    ("another track", (NextTrack(),)),
    ("different song please", (NextTrack(),)),
    ("next track", (NextTrack(),)),
    ("Another", (NextTrack(),)),
    ("change the music", (NextTrack(),)),
    ("something else", (NextTrack(),)),
    ("换一首", (NextTrack(),)),
    ("换首歌", (NextTrack(),)),
    ("下一首", (NextTrack(),)),
    ("换个音乐吧", (NextTrack(),)),
    # previous track
    ("back to the previous track", (PreviousTrack(),)),
    ("go back", (PreviousTrack(),)),
    ("previous one", (PreviousTrack(),)),
    ("back", (PreviousTrack(),)),
    ("上一首", (PreviousTrack(),)),
    ("换回来", (PreviousTrack(),)),
    ("还是之前那首", (PreviousTrack(),)),
    # relative mood
    ("more energetic", (ShiftMood("energetic"),)),
    ("livelier", (ShiftMood("energetic"),)),
    ("calmer", (ShiftMood("calm"),)),
    ("a bit calmer", (ShiftMood("calm"),)),
    ("happier", (ShiftMood("happy"),)),
    ("sadder", (ShiftMood("sad"),)),
    ("more epic", (ShiftMood("epic"),)),
    ("更欢快", (ShiftMood("happy"),)),
    ("欢快一点", (ShiftMood("happy"),)),
    ("更安静", (ShiftMood("calm"),)),
    ("更平静", (ShiftMood("calm"),)),
    ("更伤感", (ShiftMood("sad"),)),
    ("更燃", (ShiftMood("energetic"),)),
    ("更激昂", (ShiftMood("epic"),)),
    ("快一点", (ShiftMood("energetic"),)),
    # named mood or genre
    ("make it lo-fi", (SetMood(("lo-fi",)),)),
    ("something romantic", (SetMood(("romantic",)),)),
    ("piano please", (SetMood(("piano",)),)),
    ("浪漫一点", (SetMood(("浪漫",)),)),
    ("换成钢琴的", (SetMood(("钢琴",)),)),
    # volume steps and levels
    ("louder", (ChangeVolume(1),)),
    ("turn the music up", (ChangeVolume(1),)),
    ("much louder", (ChangeVolume(2),)),
    ("quieter", (ChangeVolume(-1),)),
    ("a bit quieter", (ChangeVolume(-1),)),
    ("much quieter", (ChangeVolume(-2),)),
    ("the music is too loud", (ChangeVolume(-1),)),
    ("make the music lower", (ChangeVolume(-1),)),
    ("大声点", (ChangeVolume(1),)),
    ("大点声", (ChangeVolume(1),)),
    ("音乐大一点", (ChangeVolume(1),)),
    ("小声点", (ChangeVolume(-1),)),
    ("小点声", (ChangeVolume(-1),)),
    ("小声很多", (ChangeVolume(-2),)),
    ("音量小一点", (ChangeVolume(-1),)),
    ("music at 30%", (SetVolume(30),)),
    ("volume 30%", (SetVolume(30),)),
    ("set the music to 45 percent", (SetVolume(45),)),
    ("music at 900%", (SetVolume(400),)),
    ("音量 30%", (SetVolume(30),)),
    ("音量30％", (SetVolume(30),)),
    ("音量百分之三十", (SetVolume(30),)),
    ("mute the music", (SetVolume(0),)),
    ("静音音乐", (SetVolume(0),)),
    # original audio
    ("mute original", (SetOriginalAudio(False),)),
    ("remove original sound", (SetOriginalAudio(False),)),
    ("no original audio", (SetOriginalAudio(False),)),
    ("music only", (SetOriginalAudio(False),)),
    ("静音原声", (SetOriginalAudio(False),)),
    ("去掉原声", (SetOriginalAudio(False),)),
    ("不要原声", (SetOriginalAudio(False),)),
    ("keep original", (SetOriginalAudio(True),)),
    ("keep the original audio", (SetOriginalAudio(True),)),
    ("保留原声", (SetOriginalAudio(True),)),
    # ducking
    ("don't duck", (SetDucking(False),)),
    ("don’t duck", (SetDucking(False),)),
    ("no ducking", (SetDucking(False),)),
    ("don't lower the music when people talk", (SetDucking(False),)),
    ("不要压低音乐", (SetDucking(False),)),
    ("关闭闪避", (SetDucking(False),)),
    ("turn ducking back on", (SetDucking(True),)),
    ("duck the music", (SetDucking(True),)),
    ("说话时压低音乐", (SetDucking(True),)),
    # where the music starts
    ("start the music at 12s", (StartMusic(12.0),)),
    ("start at 12", (StartMusic(12.0),)),
    ("from 0:45", (StartMusic(45.0),)),
    ("music from 1m 30s", (StartMusic(90.0),)),
    ("skip the first 5 seconds", (StartMusic(5.0),)),
    ("skip the intro", (StartMusic(None, skip_intro=True),)),
    ("from the beginning", (StartMusic(0.0),)),
    ("从第12秒开始", (StartMusic(12.0),)),
    ("从第十二秒开始", (StartMusic(12.0),)),
    ("从1分30秒开始", (StartMusic(90.0),)),
    ("从0:45开始", (StartMusic(45.0),)),
    ("跳过前奏", (StartMusic(None, skip_intro=True),)),
    ("跳过前12秒", (StartMusic(12.0),)),
    ("从头开始", (StartMusic(0.0),)),
    # titles, quotes of all kinds
    ('title "Day 1"', (SetTitle("Day 1"),)),
    ("title 'Day 1'", (SetTitle("Day 1"),)),
    ("title “Day 1”", (SetTitle("Day 1"),)),
    ("title ‘Day 1’", (SetTitle("Day 1"),)),
    ("add title 'Urban Dreams' for 4s", (SetTitle("Urban Dreams", 4.0),)),
    ('title "Day 1" for 2.5 seconds', (SetTitle("Day 1", 2.5),)),
    ("Title: Summer Trip", (SetTitle("Summer Trip"),)),
    ("title 'Bob's day'", (SetTitle("Bob's day"),)),
    ('标题 "第一天"', (SetTitle("第一天"),)),
    ("标题「第一天」", (SetTitle("第一天"),)),
    ("标题『第一天』", (SetTitle("第一天"),)),
    ("标题“第一天”显示5秒", (SetTitle("第一天", 5.0),)),
    ("加标题「第一天」", (SetTitle("第一天"),)),
    ("标题：第一天", (SetTitle("第一天"),)),
    ("remove title", (RemoveTitle(),)),
    ("no title", (RemoveTitle(),)),
    ("去掉标题", (RemoveTitle(),)),
    # aspect and fit
    ("vertical", (SetAspect("9:16"),)),
    ("9:16", (SetAspect("9:16"),)),
    ("portrait", (SetAspect("9:16"),)),
    ("square", (SetAspect("1:1"),)),
    ("1:1", (SetAspect("1:1"),)),
    ("landscape", (SetAspect("16:9"),)),
    ("horizontal", (SetAspect("16:9"),)),
    ("16:9", (SetAspect("16:9"),)),
    ("keep the original aspect", (SetAspect(None),)),
    ("竖屏", (SetAspect("9:16"),)),
    ("方形", (SetAspect("1:1"),)),
    ("横屏", (SetAspect("16:9"),)),
    ("vertical with blurred background", (SetAspect("9:16"), SetFit("blur"))),
    ("fit", (SetFit("blur"),)),
    ("模糊背景", (SetFit("blur"),)),
    ("竖屏，模糊背景", (SetAspect("9:16"), SetFit("blur"))),
    ("crop", (SetFit("crop"),)),
    ("fill", (SetFit("crop"),)),
    ("裁剪", (SetFit("crop"),)),
    # resolution
    ("720p", (SetMaxHeight(720),)),
    ("1080p", (SetMaxHeight(1080),)),
    ("480p", (SetMaxHeight(480),)),
    ("转成720p", (SetMaxHeight(720),)),
    ("original resolution", (SetMaxHeight(None),)),
    # target size
    ("under 10MB", (SetTargetSize(10_000_000),)),
    ("under 10 MiB", (SetTargetSize(10_485_760),)),
    ("less than 8 mb", (SetTargetSize(8_000_000),)),
    ("for discord", (SetTargetSize(DISCORD_BYTES, "Discord"),)),
    ("for telegram", (SetTargetSize(TELEGRAM_BYTES, "Telegram"),)),
    ("小于10MB", (SetTargetSize(10_000_000),)),
    ("10MB以内", (SetTargetSize(10_000_000),)),
    ("发到discord", (SetTargetSize(DISCORD_BYTES, "Discord"),)),
    # several at once, in the order written
    ("calmer and quieter, title 'Day 1'", (ShiftMood("calm"), ChangeVolume(-1), SetTitle("Day 1"))),
    (
        "更安静，小声点、标题「第一天」和竖屏",
        (ShiftMood("calm"), ChangeVolume(-1), SetTitle("第一天"), SetAspect("9:16")),
    ),
    ("静音原声和横屏", (SetOriginalAudio(False), SetAspect("16:9"))),
    ("title 'Day 1', don't duck and 720p", (SetTitle("Day 1"), SetDucking(False), SetMaxHeight(720))),
    ("mute original, music at 80%, square", (SetOriginalAudio(False), SetVolume(80), SetAspect("1:1"))),
    # a mood change already picks a new track: "another" is folded into it
    ("another, calmer track", (ShiftMood("calm"),)),
    ("换个浪漫的", (SetMood(("浪漫",)),)),
    ("calmer and romantic", (SetMood(("calm", "romantic")),)),
    # praise is not the mood word "love"
    ("I love it, but louder", (ChangeVolume(1),)),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES)
def test_phrases(text: str, expected: tuple[Edit, ...]) -> None:
    result = parse_instruction(text)
    assert result.edits == expected
    assert result.understood
    assert result.errors == ()


@pytest.mark.parametrize(
    ("text", "language"),
    [("calmer", "en"), ("更安静", "zh"), ("title '第一天'", "en"), ("标题「Day 1」", "zh"), ("make it lo-fi", "en")],
)
def test_language(text: str, language: str) -> None:
    assert parse_instruction(text).language == language


def test_quoted_text_is_not_read_as_commands() -> None:
    assert edits_of("title 'calmer, louder, vertical'") == (SetTitle("calmer, louder, vertical"),)
    assert edits_of("标题「静音原声 更燃」") == (SetTitle("静音原声 更燃"),)


def test_static_words_in_another_category_are_not_moods() -> None:
    # "原声" is the style word "acoustic" in the vocabulary; here it is the original audio.
    assert edits_of("保留原声") == (SetOriginalAudio(True),)


# ----- understood / errors / help -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["make it black and white", "hello", "", "   ", "把视频调亮", "🙂"])
def test_unknown_text_is_not_understood(text: str) -> None:
    result = parse_instruction(text)
    assert not result.understood
    assert result.edits == ()
    assert not result.needs_rerank
    assert result.reply() == help_text(result.language)
    tl = timeline()
    assert apply_edits(tl, result.edits, ranked_track_ids=RANKING) == tl


def test_help_text_in_both_languages() -> None:
    assert "another track" in help_text("en")
    assert "换一首" in help_text("zh")
    assert parse_instruction("把视频调亮").reply() == help_text("zh")


@pytest.mark.parametrize("text", ['title ""', "title '   '", "标题「」", "add a title", "加个标题"])
def test_empty_title_is_an_error_not_an_exception(text: str) -> None:
    result = parse_instruction(text)
    assert result.understood
    assert result.edits == ()
    assert len(result.errors) == 1
    assert "title" in result.errors[0] or "标题" in result.errors[0]


def test_empty_title_error_is_in_the_users_language() -> None:
    assert parse_instruction("标题「」").errors[0].startswith("标题是空的")


def test_partly_understood_reports_ignored_words() -> None:
    result = parse_instruction("calmer and make it black and white")
    assert result.edits == (ShiftMood("calm"),)
    assert result.ignored == ("black", "white")
    assert "black" in result.reply()


def test_parser_never_raises_on_odd_input() -> None:
    for text in [
        "'",
        '"',
        "「",
        "title '",
        "9:16:16",
        "%",
        "百分之",
        "从第秒开始",
        "\x00\x01",
        "a" * 10_000,
        "🎉" * 500,
    ]:
        parse_instruction(text)


def test_needs_rerank_and_needs_intro() -> None:
    assert parse_instruction("calmer").needs_rerank
    assert parse_instruction("make it lo-fi").needs_rerank
    assert not parse_instruction("another track").needs_rerank
    assert parse_instruction("skip the intro").needs_intro
    assert not parse_instruction("start at 12s").needs_intro


# ----- title text is data ---------------------------------------------------------------------------


def test_title_is_cleaned_and_capped() -> None:
    (edit,) = edits_of("title 'Day\x07 1\n\u202eevil'")
    assert isinstance(edit, SetTitle)
    assert edit.text == "Day 1 evil"
    (long_edit,) = edits_of("title '" + "长" * 300 + "'")
    assert isinstance(long_edit, SetTitle)
    assert len(long_edit.text) == 100


def test_title_keeps_cjk_emoji_and_filter_syntax_verbatim() -> None:
    (edit,) = edits_of("title '🎉 第一天 👨\u200d👩\u200d👧 [v]drawtext=x:y;'")
    assert isinstance(edit, SetTitle)
    assert edit.text == "🎉 第一天 👨\u200d👩\u200d👧 [v]drawtext=x:y;"


# ----- applying: tracks -----------------------------------------------------------------------------


def test_another_track_never_repeats_until_exhausted_then_wraps() -> None:
    tl = timeline()
    seen = [tl.music.track_id]
    for _ in range(3):
        tl = run(tl, "another track")
        seen.append(tl.music.track_id)
    assert seen == ["t1", "t2", "t3", "t4"]
    tl = run(tl, "换一首")
    assert tl.music.track_id == "t1"  # exhausted: start over
    tl = run(tl, "下一首")
    assert tl.music.track_id == "t2"
    assert tl.music.title == "Sunny"
    assert tl.music.offered == ("t1", "t2", "t3", "t4", "t1", "t2")


def test_another_track_skips_tracks_offered_under_an_earlier_ranking() -> None:
    tl = run(timeline(), "another track", ranking=("t1", "t2", "t3"))
    tl = run(tl, "another track", ranking=("t2", "t1", "t4", "t3"))
    assert tl.music.track_id == "t4"


def test_another_track_with_a_single_track_library_stays() -> None:
    tl = timeline()
    new, notes = apply_edits_explained(tl, [NextTrack()], ranked_track_ids=["t1"])
    assert new == tl
    assert notes == ("no other track to offer",)


def test_another_track_from_a_user_song_or_no_music() -> None:
    user = Timeline.for_video("a.mp4", 8.0, music=MusicTrack.from_user_song("/up/mine.mp3"))
    tl = apply_edits(user, [NextTrack()], ranked_track_ids=RANKING, titles=TITLES)
    assert (tl.music.track_id, tl.music.user_path, tl.music.title) == ("t1", None, "Lo-fi")
    empty = apply_edits(Timeline.for_video("a.mp4", 8.0), [NextTrack()], ranked_track_ids=RANKING)
    assert empty.music is not None and empty.music.track_id == "t1"


def test_back_to_previous_track() -> None:
    tl = run(run(timeline(), "another track"), "another track")
    assert tl.music.track_id == "t3"
    tl = run(tl, "上一首")
    assert (tl.music.track_id, tl.music.title) == ("t2", "Sunny")
    tl = run(tl, "back to the previous track")
    assert tl.music.track_id == "t1"
    unchanged, notes = apply_edits_explained(tl, [PreviousTrack()], ranked_track_ids=RANKING)
    assert unchanged == tl
    assert notes == ("there is no previous track",)
    tl = run(tl, "another track")
    assert tl.music.track_id == "t4"  # t2 and t3 were already offered in this round


def test_track_change_resets_start_offset() -> None:
    tl = run(timeline(), "start the music at 12s")
    assert tl.music.start_offset_s == 12.0
    assert run(tl, "another track").music.start_offset_s is None


def test_mood_shift_records_words_and_takes_the_best_of_the_new_ranking() -> None:
    tl = timeline()
    result = parse_instruction("更燃")
    assert result.needs_rerank
    assert moods_after(tl, result.edits) == ("energetic",)
    new_ranking = ("t4", "t2", "t1")  # what the matcher returns for ("energetic",)
    tl, notes = apply_edits_explained(tl, result.edits, ranked_track_ids=new_ranking, titles=TITLES)
    assert tl.music.moods == ("energetic",)
    assert tl.music.track_id == "t4"
    assert notes == ("more energetic → Drive",)
    tl = run(tl, "calmer", ranking=("t1", "t3"))
    assert (tl.music.moods, tl.music.track_id) == (("calm",), "t1")
    assert tl.music.previous_id == "t4"


def test_mood_keeps_the_track_when_it_is_already_the_best() -> None:
    tl = run(timeline(), "calmer", ranking=("t1", "t2"))
    assert tl.music.track_id == "t1"
    assert tl.music.offered == ("t1",)


@pytest.mark.parametrize(
    ("old", "new", "merged"),
    [
        (("calm",), ("energetic",), ("energetic",)),
        (("piano", "happy"), ("calm",), ("piano", "calm")),
        (("piano", "happy"), ("lo-fi",), ("lo-fi",)),
        (("calm",), ("guitar",), ("calm", "guitar")),
        (("浪漫",), ("sad",), ("sad",)),
        ((), ("romantic",), ("romantic",)),
    ],
)
def test_merge_mood_words(old: tuple[str, ...], new: tuple[str, ...], merged: tuple[str, ...]) -> None:
    assert merge_mood_words(old, new) == merged


# ----- applying: volume -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        (100.0, "quieter", 70.795),
        (100.0, "louder", 141.254),
        (100.0, "much quieter", 50.119),
        (100.0, "小声点", 70.795),
        (100.0, "大点声", 141.254),
        (35.0, "louder", 49.439),
        (380.0, "much louder", 400.0),
        (0.0, "louder", 25.0),
        (0.0, "quieter", 0.0),
        (100.0, "music at 30%", 30.0),
        (100.0, "音量 250%", 250.0),
        (100.0, "volume 1000%", 400.0),
    ],
)
def test_volume(start: float, text: str, expected: float) -> None:
    assert run(timeline(volume_pct=start), text).music.volume_pct == pytest.approx(expected, abs=1e-3)


def test_volume_steps_never_leave_the_range() -> None:
    tl = timeline()
    for _ in range(20):
        tl = run(tl, "much louder")
    assert tl.music.volume_pct == 400.0
    for _ in range(200):
        tl = run(tl, "much quieter")
    assert 0.0 <= tl.music.volume_pct < 0.01


def test_volume_notes_read_like_the_bot_reply() -> None:
    _, notes = apply_edits_explained(timeline(), edits_of("quieter"), ranked_track_ids=RANKING)
    assert notes == ("music −3 dB (71%)",)
    _, notes = apply_edits_explained(timeline(), edits_of("小声点"), ranked_track_ids=RANKING, lang="zh")
    assert notes == ("音乐 −3 dB (71%)",)
    assert describe_edit(ChangeVolume(2)) == "music +6 dB"


def test_volume_without_music_leaves_timeline_unchanged() -> None:
    bare = Timeline.for_video("a.mp4", 5.0)
    assert run(bare, "quieter, music at 30%, start at 3s") == bare


# ----- applying: original audio, ducking, start -------------------------------------------------------


def test_original_audio_and_ducking() -> None:
    tl = run(timeline(), "mute original, no ducking")
    assert (tl.original.keep, tl.original.duck) == (False, False)
    assert "original muted" in tl.summary()
    tl = run(tl, "保留原声，说话时压低音乐")
    assert (tl.original.keep, tl.original.duck) == (True, True)


def test_start_music_and_skip_intro() -> None:
    tl = run(timeline(), "from 0:45")
    assert (tl.music.start_offset_s, tl.music.skip_intro) == (45.0, False)
    tl = run(tl, "跳过前奏")
    assert (tl.music.start_offset_s, tl.music.skip_intro) == (None, True)
    tl = run(tl, "start at 3s")
    assert (tl.music.start_offset_s, tl.music.skip_intro) == (3.0, False)


# ----- applying: titles -----------------------------------------------------------------------------


def test_title_durations() -> None:
    tl, notes = apply_edits_explained(timeline(), edits_of("title 'Day 1'"), ranked_track_ids=RANKING)
    assert tl.title == TitleTrack("Day 1", 0.0, 3.0)
    assert notes == ("title “Day 1” for 3 s",)
    tl = run(tl, "title 'Day 1' for 4s")
    assert tl.title.duration_s == 4.0
    tl = run(tl, "title 'Day 2'")  # a new text keeps the duration asked before
    assert tl.title == TitleTrack("Day 2", 0.0, 4.0)
    short = run(timeline(2.0), "title 'Short' for 10s")
    assert short.title.duration_s == 2.0  # never longer than the video
    assert run(tl, "remove title").title is None
    assert run(tl, "去掉标题").title is None


def test_title_note_in_chinese() -> None:
    _, notes = apply_edits_explained(timeline(), edits_of("标题「第一天」5秒"), ranked_track_ids=RANKING, lang="zh")
    assert notes == ("标题「第一天」 5 秒",)


# ----- applying: output -----------------------------------------------------------------------------


def test_aspect_fit_resolution_and_size() -> None:
    tl = run(timeline(), "vertical with blurred background, 720p, for discord")
    assert (tl.output.aspect, tl.output.fit, tl.output.max_height) == ("9:16", "blur", 720)
    assert tl.output.target_size_bytes == 10_485_760
    tl = run(tl, "横屏 裁剪 1080p 小于50MB")
    assert (tl.output.aspect, tl.output.fit, tl.output.max_height) == ("16:9", "crop", 1080)
    assert tl.output.target_size_bytes == 50_000_000
    tl = run(tl, "square, original resolution, no size limit")
    assert (tl.output.aspect, tl.output.max_height, tl.output.target_size_bytes) == ("1:1", None, None)
    assert run(tl, "original aspect").output.aspect is None


@pytest.mark.parametrize(
    ("size", "text"), [(10_000_000, "10 MB"), (10_485_760, "10 MiB"), (50_000_000, "50 MB"), (2_500_000, "2.5 MB")]
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


# ----- whole messages, determinism ----------------------------------------------------------------


def test_several_edits_in_one_message() -> None:
    tl, notes = apply_edits_explained(
        timeline(),
        edits_of("calmer and quieter, title 'Day 1'"),
        ranked_track_ids=("t3", "t1"),
        titles=TITLES,
    )
    assert tl.music.track_id == "t3"
    assert tl.music.volume_pct == pytest.approx(70.795)
    assert tl.title is not None and tl.title.text == "Day 1"
    assert notes == ("calmer → Rain", "music −3 dB (71%)", "title “Day 1” for 3 s")
    assert tl.summary() == (
        'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Rain (0-10s, 71%) 3. Title: "Day 1" (0-3s)'
    )


def test_same_edits_give_byte_identical_json() -> None:
    messages = ["another track", "calmer", "much quieter", "title '第一天 🎉'", "vertical, fit", "for telegram"]

    def session() -> str:
        tl = timeline()
        for message in messages:
            tl = run(tl, message)
        return tl.to_json()

    first = session()
    assert first == session()
    assert Timeline.from_json(first).to_json() == first


def test_apply_does_not_touch_the_input() -> None:
    tl = timeline()
    before = tl.to_json()
    run(tl, "another track, quieter, title 'x', vertical")
    assert tl.to_json() == before


def test_descriptions_exist_in_both_languages_for_every_edit() -> None:
    samples: list[Edit] = [
        NextTrack(),
        PreviousTrack(),
        ShiftMood("calm"),
        SetMood(("lo-fi",)),
        ChangeVolume(-1),
        SetVolume(30),
        SetOriginalAudio(False),
        SetDucking(False),
        StartMusic(12.0),
        StartMusic(None, skip_intro=True),
        SetTitle("Day 1", 3.0),
        RemoveTitle(),
        SetAspect("9:16"),
        SetFit("blur"),
        SetMaxHeight(720),
        SetTargetSize(DISCORD_BYTES, "Discord"),
    ]
    for edit in samples:
        assert describe_edit(edit, "en") and describe_edit(edit, "zh")
        assert describe_edit(edit, "en") != describe_edit(edit, "zh") or isinstance(edit, SetMaxHeight)
    assert describe_edit(SetTitle("Day 1", 3.0)) == "title “Day 1” for 3 s"
    assert describe_edit(SetTargetSize(DISCORD_BYTES, "Discord")) == "under 10 MiB (Discord)"
    assert describe_edit(StartMusic(65.0)) == "music starts at 1:05"
