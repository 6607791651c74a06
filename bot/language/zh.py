"""中文 phrases: the same keys as ``en.py``; a key missing here falls back to English."""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "先发给我一段视频，再告诉我怎么改。",
    # ----- engine ------------------------------------------------------------------------------
    # ----- media -------------------------------------------------------------------------------
    # parser replies
    "edits_help": (
        "我可以改：换歌（“换一首”“上一首”）；风格（“更安静”“更燃”“更欢快”“更伤感”“更激昂”“浪漫一点”）"
        "；音乐音量（“大声点”“小声点”“音量 30%”）；原声（“静音原声”“保留原声”“不要压低音乐”）；"
        "音乐起点（“从第12秒开始”“跳过前奏”）；标题（标题「第一天」5秒、“去掉标题”）；画面（“竖屏”“方形”“横屏”“模糊背景”）"
        "；大小（“720p”“小于10MB”“适合discord”）。一次说几条也行：“更安静，小声点，标题「第一天」”。"
    ),
    "edits_not_understood": "没看懂：{words}",
    "edits_reply_separator": "；",
    "title_empty": "标题是空的：请把文字放在引号里，例如 标题「第一天」。",
    # what an edit does
    "edit_next_track": "换一首",
    "edit_previous_track": "换回上一首",
    "edit_shift_energetic": "更燃",
    "edit_shift_calm": "更平静",
    "edit_shift_happy": "更欢快",
    "edit_shift_sad": "更伤感",
    "edit_shift_epic": "更激昂",
    "edit_set_mood": "风格：{words}",
    "edit_change_volume": "音乐 {gain} dB",
    "edit_set_volume": "音乐音量 {pct}%",
    "edit_original_kept": "保留原声",
    "edit_original_muted": "原声静音",
    "edit_ducking_on": "说话时压低音乐",
    "edit_ducking_off": "不压低音乐",
    "edit_start_at_seconds": "音乐从 {seconds} 秒 开始",
    "edit_start_at_clock": "音乐从 {clock} 开始",
    "edit_skip_intro": "跳过前奏",
    "edit_start_auto": "音乐起点自动选择",
    "edit_title": "标题「{text}」",
    "edit_title_for": "标题「{text}」 {seconds} 秒",
    "edit_remove_title": "去掉标题",
    "edit_aspect_vertical": "竖屏 9:16",
    "edit_aspect_square": "方形 1:1",
    "edit_aspect_landscape": "横屏 16:9",
    "edit_aspect_original": "原始比例",
    "edit_fit_blur": "模糊背景",
    "edit_fit_crop": "裁剪填满",
    "edit_original_resolution": "原始分辨率",
    "edit_max_height": "{height}p",
    "edit_no_size_limit": "不限大小",
    "edit_size_under": "小于 {size}",
    "edit_size_under_for": "小于 {size}（{platform}）",
    # what applying an edit did
    "note_no_other_track": "没有别的曲子了",
    "note_another_track": "换一首：{title}",
    "note_no_previous_track": "没有上一首",
    "note_back_to": "换回：{title}",
    "note_no_music_yet": "还没有音乐",
    "note_mood_track": "{change} → {title}",
    "note_volume": "{change} ({pct}%)",
    # why a track fits (matching)
    "match_reason": "{track}，{why}。",
    "match_reason_with_cuts": "{track}，{why}；{total} 个剪辑点中有 {on_beat} 个落在它的节拍上。",
    "match_track": "《{title}》风格{feel}（{bpm:.0f} BPM，{key}）",
    "match_feel_two": "{first}又{second}",
    "match_feel_neutral": "中性",
    "match_for_request": "符合你要的{words}",
    "match_for_clip": "适合这段视频的{clip}",
    "match_clip": "{pace}、{motion}和{colours}",
    "match_pace_fast": "快速剪辑",
    "match_pace_steady": "平稳剪辑",
    "match_pace_long": "长镜头",
    "match_motion_lots": "大量运动",
    "match_motion_little": "很少运动",
    "match_motion_some": "适度运动",
    "match_colours_bright": "明亮多彩的画面",
    "match_colours_dark": "昏暗柔和的画面",
    "match_colours_balanced": "均衡的色彩",
    "mood_calm": "平静",
    "mood_nostalgic": "怀旧",
    "mood_tender": "温柔",
    "mood_happy": "欢快",
    "mood_energetic": "动感",
    # input the media stages cannot use
    "file_not_found": "找不到这个文件。",
    "file_empty": "这个文件是空的。",
    "file_too_big": "文件太大（{size_mb:.0f} MB）；上限是 {limit_mb:.0f} MB。",
    "video_damaged": "视频已损坏或不完整（可能没有上传完）；请重新发送。",
    "not_a_video": "这个文件不是我能读取的视频。",
    "no_video_track": "这个文件没有视频轨道 — 请发送视频，或者把它当作歌曲使用。",
    "still_image": "这是一张静态图片，不是视频 — 请发送一段视频。",
    "video_length_unreadable": "读不出视频的时长；文件可能已损坏。",
    "video_too_long": "视频太长（{length}）；上限是 {limit}。",
    "video_resolution_over_8k": "视频分辨率（{width}x{height}）太高；上限是 8K（7680x4320）。",
    "video_resolution_too_large": "视频分辨率（{width}x{height}）太高；上限是 {pixels:,} 像素。",
    "no_audio_track": "这个文件没有音轨。",
    "audio_undecodable": "无法解码音频；文件可能已损坏。",
    "audio_file_unreadable": "无法读取音频文件 {name}。",
    "audio_bad_shape": "音频的声道格式不对。",
    "audio_no_sample_rate": "音频没有采样率。",
    "audio_track_empty": "音轨是空的。",
    "size_unreadable": "“{text}”不是文件大小；请写成 10MB、8MiB、500KB 或 1.5GB 这样。",
    "size_too_small": "“{text}”太小了，不能作为文件大小。",
    "size_cannot_fit": (
        "{duration_s:.0f} 秒的视频放不进 {size}：即使 {height}p、低画质也需要大约 {need}。"
        "请换个更大的大小或更短的视频。"
    ),
    "size_not_reached": "没能把这个视频压到 {size} 以内；请换个更大的大小或更短的视频。",
    "timeline_unusable": "这个保存的时间线用不了：{problem}。",
    "timeline_not_json": "这个保存的时间线用不了：不是有效的 JSON。",
    "no_such_track": "曲库里没有叫 {name!r} 的曲子，也没有这个文件。",
    "output_is_input": "输出文件不能和输入文件相同。",
    # ----- backends (local) --------------------------------------------------------------------
    "song_before_video": "先发给我视频，再发这首歌，我会把它配到视频里。",
    "nothing_to_export": "还没有可以导出的内容：先发给我一段视频吧。",
    "unknown_backend": "未知的后端 {name!r}：请从 {choices} 中选择。",
    # ----- nemo --------------------------------------------------------------------------------
    # ----- links -------------------------------------------------------------------------------
    # ----- adapters ----------------------------------------------------------------------------
    # ----- cli ---------------------------------------------------------------------------------
    "cli_title_empty": "标题是空的；请给出文字，例如 --title '第一天'。",
    "cli_timeline_unreadable": "无法读取时间线文件 {path}。",
    "cli_no_such_path": "没有这个文件或文件夹：{path}",
    "cli_telegram_token_missing": "请把 TELEGRAM_BOT_TOKEN 设为 @BotFather 给你的 token。",
    "cli_discord_token_missing": "请把 DISCORD_BOT_TOKEN 设为你的应用的机器人 token（Discord 开发者门户）。",
    "cli_no_platform_token": "没有设置任何平台的 token：请设置 TELEGRAM_BOT_TOKEN 和/或 DISCORD_BOT_TOKEN。",
    "cli_bot_already_serving": (
        "已经有另一个 musiccog 机器人在 {folder} 运行。请先停止它，"
        "或者用 `musiccog run` 在一个进程里服务所有平台（或者给这个机器人单独的 MUSICCOG_DATA_DIR）。"
    ),
    "cli_indexed": "已索引 {count} 首曲子。",
    "cli_add_library_dirs": "把这些文件夹加入 MUSICCOG_LIBRARY_DIRS，每次渲染都会用到它们。",
    "cli_failed": "失败：{error}",
    "cli_interrupted": "已中断。",
    "cli_unexpected": "出错了（错误编号 {error_id}）；加 -v 运行可以看到详情。",
}
