"""中文 phrases: the same keys as ``en.py``; a key missing here falls back to English."""

from __future__ import annotations

__all__ = ["PHRASES"]

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "先发给我一段视频，再告诉我怎么改。",
    # ----- engine ------------------------------------------------------------------------------
    # progress (a stage's words; the percentage is added after them)
    "engine_stage_download": "收到 — 正在获取视频…",
    "engine_stage_analyse": "收到 — 正在分析视频…",
    "engine_stage_match": "正在挑选音乐…",
    "engine_stage_render": "正在混音和渲染…",
    "engine_stage_export": "正在准备文件…",
    "engine_stage_upload": "正在把视频上传到 NemoVideo…",
    "engine_stage_agent": "NemoVideo 正在处理你的视频…",
    "engine_still_working": "还在处理中…",
    # the conversation
    "engine_fresh_start": "重新开始：发给我一段新视频吧。",
    "engine_which_language": "哪种语言？/language en 或 /language zh",
    "engine_language_set": "好的，我会用中文回复。",
    "engine_no_video_yet": "还没有视频：先发给我一段视频吧。",
    "engine_unknown_command": "我不认识 /{command}。试试 /help。",
    "engine_stale_button": "这个按钮来自旧消息。请重新发送视频，或直接告诉我要怎么改。",
    "engine_backend_fixed": "这个机器人使用 {backend} 后端。",
    "engine_backend_choose": "当前使用 {backend} 后端。可选：/backend local 或 /backend nemo。",
    "engine_backend_unavailable": "这里无法使用 {backend} 后端。",
    "engine_backend_nemo": (
        "已切换到 NemoVideo（第三方云服务）：之后发送的视频会上传到该服务。发送视频开始；/backend local 可切回。"
    ),
    "engine_backend_local": "已切换到本地后端：视频只在本服务器处理。发送视频开始。",
    "engine_cancelled_queued": "已取消。",
    "engine_cancelled_running": "已取消 — 已停止制作这个视频。",
    "engine_cancel_too_early": "视频即将开始处理；请稍后再试 /cancel。",
    "engine_nothing_to_cancel": "没有可以取消的任务。",
    "engine_credits_left": "剩余积分：{remaining}。",
    "engine_renders_unlimited": "你的渲染次数不限。",
    "engine_renders_left": "今天还剩 {left}/{limit} 次渲染。",
    "engine_private": "抱歉，这个机器人是私有的，这里无法使用。",
    # submitting a job
    "engine_send_the_video": "直接发送视频（或视频链接），我就开始处理。",
    "engine_quota_used": "你今天的 {limit} 次渲染已用完，明天再来吧！",
    "engine_rate_limited": "请稍等 — {wait_s:.0f} 秒后再试。",
    "engine_queue_position": "你排在第 {place} 位 — 很快就轮到你的视频。",
    "engine_busy": "我还在处理你上一个请求 — 请稍等，或用 /cancel 取消。",
    "engine_restarting": "机器人正在重启，恢复后会发送你的视频。",
    # running a job
    "engine_conversation_cleared": "这段对话已被清除，请重新发送你的视频。",
    "engine_song_needs_video": "请先发送视频；然后再发这首歌，我会把它配在视频下面。",
    "engine_restarted_gave_up": "抱歉 — 处理你的视频时机器人重启了，未能完成。请重新发送。（错误 {error_id}）",
    "engine_music_unavailable": "音乐服务暂时不可用，请稍后再试。",
    "engine_render_failed": "这次没能完成你的视频，请再试一次。",
    "engine_internal_error": "我这边出了点问题，请再试一次。",
    "engine_error_id": "（错误 {error_id}）",
    # the result
    "engine_final_video": "最终视频",
    "engine_fact_cuts_label": "踩点",
    "engine_fact_cuts": "{total} 个剪辑点中 {on_beat} 个踩在节拍上",
    "engine_fact_no_cuts": "没有需要对齐的剪辑点",
    "engine_fact_loudness_label": "响度",
    "engine_button_another": "换一首",
    "engine_button_quieter": "小声点",
    "engine_button_louder": "大声点",
    "engine_button_mute_original": "静音原声",
    "engine_button_keep_original": "保留原声",
    "engine_button_export": "导出",
    # /start and /help
    "engine_start": (
        "你好！发给我一段视频，我会给它配上合适的背景音乐：按情绪和节奏挑选曲目，让鼓点对齐你的剪辑点，"
        "有人说话时自动压低音乐，统一响度，然后把视频发回给你。\n\n"
        "使用方法：\n"
        "• 发送视频（视频、文件或链接），可以附一句说明，比如“轻快的旅行感”或“安静一点，音量 30%”。\n"
        "• 然后用文字或按钮继续调整：“换一首”“小声点”“更燃”“标题「第一天」”“竖屏”。\n"
        "• “状态”查看当前编辑，“积分”查看今天剩余的渲染次数，“导出”发送最终文件。\n"
        "• /new 重新开始，/cancel 取消当前任务，/language en 切换到英文，/help 查看更多。\n\n"
        "隐私：默认情况下你的视频只在本机器人自己的服务器上处理，不会发送给第三方服务，"
        "每个任务结束后临时文件都会删除。"
    ),
    "engine_help_head": "发送视频后可以这样说：\n",
    # ----- media -------------------------------------------------------------------------------
    # parser replies
    "edits_help": (
        "我可以改：换歌（“换一首”“上一首”）；风格（“更安静”“更燃”“更欢快”“更伤感”“更激昂”“浪漫一点”）"
        "；音乐音量（“大声点”“小声点”“音量 30%”）；原声（“静音原声”“保留原声”“不要压低音乐”）；"
        "音乐起点（“从第12秒开始”“跳过前奏”）；标题（标题「第一天」5秒、“去掉标题”）；画面（“竖屏”“方形”“横屏”“模糊背景”）"
        "；大小（“720p”“小于10MB”“适合discord”）；几段视频和照片合成的影片（“30秒”“短一点”“交换2和3”"
        "“删掉第三个”“保留原声”）。一次说几条也行：“更安静，小声点，标题「第一天」”。"
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
    # a film of several items (length, order, which items)
    "edit_set_length": "影片约 {seconds} 秒",
    "edit_shorter": "短一点",
    "edit_longer": "长一点",
    "edit_swap_items": "{first}和{second}交换了位置",
    "edit_drop_item": "去掉了{item}",
    "item_number": "第 {number} 个",
    "item_last": "最后一个",
    "note_film_only": "这个只能用在由几段视频或照片合成的影片上，而这是单个视频",
    "note_no_such_item": "没有{item}：影片一共 {count} 个",
    "note_last_item": "影片至少要留一个",
    "note_footage_limit": "可用的画面只有这么多：{seconds} 秒",
    "film_edit_single_clip": "这个只能用在由几段视频或照片合成的影片上；这是单个视频，所以没有改动。",
    # ----- backends (local) --------------------------------------------------------------------
    "song_before_video": "先发给我视频，再发这首歌，我会把它配到视频里。",
    "nothing_to_export": "还没有可以导出的内容：先发给我一段视频吧。",
    "unknown_backend": "未知的后端 {name!r}：请从 {choices} 中选择。",
    "local_left_out": "没有用上 {name}：{reason}",
    "local_music_note": "音乐：{title}",
    # ----- nemo --------------------------------------------------------------------------------
    "nemo_draft_lost": "我找不到那份云端草稿了；请重新发送你的视频。",
    "nemo_draft_expired": "你在 NemoVideo 上的云端草稿已失效，我新建了一个。",
    "nemo_send_clip_again": "请重新发送你的视频。",
    "nemo_link_fetch_failed": "NemoVideo 无法从这个链接获取视频；请直接发送文件。",
    "nemo_needs_video_or_picture": "NemoVideo 需要以下格式之一的视频或图片：{formats}。",
    "nemo_needs_song": "NemoVideo 需要以下格式之一的歌曲：{formats}。",
    "nemo_song_before_video": "请先发送视频，再发送这首歌，我会把它配到视频下面。",
    "nemo_nothing_changed": "NemoVideo 已完成，但草稿没有变化。换个说法试试。",
    "nemo_timeline_empty": "时间线上还没有内容；告诉我你想要什么音乐。",
    "nemo_changes": "NemoVideo 已更新草稿：{changes}。接下来可以调整音乐音量、加标题，或发送“导出”获取成片。",
    "nemo_changes_separator": "；",
    "nemo_nothing_to_export": "还没有可以导出的内容：先做点东西吧（发给我一段视频）。",
    "nemo_claim_link": "如需在 NemoVideo 编辑器中继续编辑，请打开 {link}（7 天内有效）。",
    "nemo_export_hint": "想要成片时，发送“导出”即可。",
    "nemo_free_credits_used_up": "NemoVideo 的免费额度已用完。注册即可继续（草稿会一并保留）：{link}",
    "nemo_out_of_credits": "NemoVideo 账户的额度已用完；充值后即可继续。",
    "nemo_unsupported_file": (
        "NemoVideo 无法使用这个文件。请发送视频（{video_formats}）、图片（{image_formats}）或歌曲（{audio_formats}）。"
    ),
    "nemo_file_too_large": "这个文件对 NemoVideo 来说太大了；请剪短或压缩后再发送。",
    "nemo_export_needs_account": "导出需要已注册的 NemoVideo 账户：请在 {link} 注册后导出",
    # ----- links -------------------------------------------------------------------------------
    "link_not_a_link": "这看起来不是我能打开的网址；请发一个指向视频的 http 或 https 链接。",
    "link_bad_scheme": "我只能下载 http 或 https 链接。",
    "link_userinfo": "不支持带用户名或密码的链接；请发一个普通链接。",
    "link_bad_port": "我只能下载使用常规网页端口的链接。",
    "link_private": "这个链接指向私有或本地网络地址，所以我不会打开它。",
    "link_no_host": "我找不到这个链接里的网站。",
    "link_unreachable": "我连不上这个链接里的网站；请检查后再试。",
    "link_too_slow": "这个链接下载太久了；试试直接发送视频本身。",
    "link_too_many_redirects": "这个链接跳转次数太多，我放弃了。",
    "link_bad_redirect": "这个链接跳转到了我无法跟随的地方。",
    "link_http_error": "网站对这个链接返回了错误；请检查后再试。",
    "link_empty": "这个链接给我的是一个空文件。",
    "link_web_page": "这个链接是一个网页，不是视频文件；请发视频的直接链接，或者直接发视频。",
    "link_not_media": "这个链接指向的不是我能用的视频或音频文件。",
    "link_failed": "下载这个链接时出了问题；请再试一次，或者直接发送视频。",
    "link_too_big_mb": "这个视频太大，无法下载：上限是 {limit_mb} MB。",
    "link_too_big_kb": "这个视频太大，无法下载：上限是 {limit_kb} KB。",
    "link_too_big_bytes": "这个视频太大，无法下载：上限是 {limit_bytes} 字节。",
    # ----- adapters ----------------------------------------------------------------------------
    "adapters_apology": "抱歉 — 我这边出了问题，请再试一次。（错误 {error_id}）",
    "telegram_token_missing": "请把 TELEGRAM_BOT_TOKEN 设为 @BotFather 给你的令牌。",
    "telegram_file_too_big": "这个文件有 {size_mb} MB，但 Telegram 只允许机器人下载不超过 {limit_mb} MB 的文件。"
    "请改发视频链接，或者更短、更小的版本。（机器人的运营者可以运行本地 Bot API 服务器，把上限提高到 2000 MB。）",
    "telegram_file_too_big_unsized": "这个文件太大了：Telegram 只允许机器人下载不超过 {limit_mb} MB 的文件。"
    "请改发视频链接，或者更短、更小的版本。（机器人的运营者可以运行本地 Bot API 服务器，把上限提高到 2000 MB。）",
    "telegram_file_too_big_local": "这个文件有 {size_mb} MB，但 Telegram 只允许机器人下载不超过 {limit_mb} MB 的文件。"
    "请发送更短或更小的版本。",
    "telegram_file_too_big_local_unsized": "这个文件太大了：Telegram 只允许机器人下载不超过 {limit_mb} MB 的文件。"
    "请发送更短或更小的版本。",
    "telegram_result_too_big": "做好的视频有 {size_mb} MB，超过了 Telegram 的 {limit_mb} MB 上传上限。"
    "说“小于{smaller_mb}MB”，我就做一个更小的版本。",
    "telegram_command_start": "我能做什么、怎么用",
    "telegram_command_help": "可以说的所有指令",
    "telegram_command_status": "当前的时间线",
    "telegram_command_export": "发送最终视频",
    "telegram_command_credits": "今天剩余的渲染次数",
    "telegram_command_new": "换一段新视频重新开始",
    "telegram_command_cancel": "取消排队中的任务",
    "telegram_command_language": "English 或 中文",
    "telegram_command_backend": "本地处理或 NemoVideo 云端",
    "discord_token_missing": "请把 DISCORD_BOT_TOKEN 设为你的应用的机器人令牌（Discord 开发者门户）。",
    "discord_file_too_big": "这个文件有 {size_mb} MB，但我最多只能接收 {limit_mb} MB 的文件。"
    "请改发视频链接，或者更短、更小的版本。",
    "discord_file_too_big_unsized": "这个文件太大了：我最多只能接收 {limit_mb} MB 的文件。"
    "请改发视频链接，或者更短、更小的版本。",
    "discord_result_too_big": "做好的视频有 {size_mb} MB，超过了这个频道 {limit_mb} MB 的上传上限。"
    "说“小于{smaller_mb}MB”，我就做一个更小的版本。",
    "discord_download_failed": "我没能从 Discord 下载这个附件；请再发一次。",
    "discord_music_needs_input": "请附上一段视频（或者给出情绪、音量来修改当前的视频）。",
    "discord_result_title": "你的视频",
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
    # ----- montage -----------------------------------------------------------------------------
    "montage_nothing_usable": "这些文件都没法用来做影片。",
    "montage_too_many": "一共 {count} 个文件；一部影片最多用 {limit} 个。",
    "montage_too_big": "这些文件加起来太大（{total_mb:.0f} MB）；上限是 {limit_mb:.0f} MB。",
    "montage_too_long": "这些视频加起来超过 {minutes:.0f} 分钟；这一个没有用上。",
    "montage_no_beat": "这首音乐没有可以用来剪辑的节拍。",
    "montage_no_picture": "这段视频没有可用的画面（全程黑屏或静止）。",
    "montage_clip_too_short": "这段视频太短（{seconds:.1f} 秒），没法放进影片。",
    "photo_too_large": "这张照片太大（{width}x{height}，{megapixels:.0f} 百万像素）；上限是 {limit:.0f} 百万像素。",
    "photo_unreadable": "这张图片已损坏，或者是我读不了的格式。",
    "song_reason": "“{title}”是你选的歌（{bpm:.0f} BPM）；{total} 个剪辑点中 {on_beat} 个踩在它的节拍上。",
    "timeline_no_music": "这条时间线上没有音乐。",
    "cli_skipped": "跳过了 {name}：{reason}",
    # ----- probe -------------------------------------------------------------------------------
    "frame_unusable": "画面是 {width}x{height}：太小或太窄，没法使用（每边至少 {min_side} 像素，长宽比最多 10:1）。",
    # ----- timeline summary ----------------------------------------------------------------------
    "timeline_summary": "时间线（{count} 条轨道）：{parts}",
    "timeline_summary_one": "时间线（{count} 条轨道）：{parts}",
    "timeline_video": "视频：{label}（{span}秒{muted}）",
    "timeline_original_muted": "，原声已静音",
    "timeline_music": "背景音乐：{title}（{span}秒，{pct}%）",
    "timeline_title": "标题：“{text}”（{span}秒）",
    "timeline_clips": "{count} 段视频",
    "timeline_clips_one": "{count} 段视频",
    "timeline_photos": "{count} 张照片",
    "timeline_photos_one": "{count} 张照片",
    "timeline_list_separator": "，",
    "nemo_draft_empty": "时间线（空）：视频已上传，时间线上还什么都没有。",
    # ----- sync --------------------------------------------------------------------------------
    "sync_peak_reason": "这首曲子的高潮（第 {track_at}）落在视频的 {video_at}，正是画面最精彩的地方。",
    # ----- honest words --------------------------------------------------------------------------
    "match_stand_in": "这里没有“{words}”风格的曲子 — 我改用了{used}的。我有的情绪：{moods}。",
    "match_unknown_words": "我不认识“{words}”这种情绪，所以按视频来选。我有的情绪：{moods}。",
}
