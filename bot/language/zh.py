"""中文 phrases: the same keys as ``en.py``; a key missing here falls back to English."""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "先发给我一段视频，再告诉我怎么改。",
    # ----- engine ------------------------------------------------------------------------------
    # ----- media -------------------------------------------------------------------------------
    # ----- backends (local) --------------------------------------------------------------------
    # ----- nemo --------------------------------------------------------------------------------
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
