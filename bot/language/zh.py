"""中文 phrases: the same keys as ``en.py``; a key missing here falls back to English."""

from __future__ import annotations

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
    "engine_help_edits": (
        "我可以改：换歌（“换一首”“上一首”）；风格（“更安静”“更燃”“更欢快”“更伤感”“更激昂”“浪漫一点”）；"
        "音乐音量（“大声点”“小声点”“音量 30%”）；原声（“静音原声”“保留原声”“不要压低音乐”）；"
        "音乐起点（“从第12秒开始”“跳过前奏”）；标题（标题「第一天」5秒、“去掉标题”）；"
        "画面（“竖屏”“方形”“横屏”“模糊背景”）；大小（“720p”“小于10MB”“适合discord”）。"
        "一次说几条也行：“更安静，小声点，标题「第一天」”。"
    ),
    # ----- media -------------------------------------------------------------------------------
    # video analysis
    "video_damaged": "这段视频已损坏或不完整（可能没有上传完）；请重新发送。",
    "video_no_video_track": "这个文件没有视频画面——请发送视频，或者把它当作歌曲使用。",
    # ----- backends (local) --------------------------------------------------------------------
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
}
