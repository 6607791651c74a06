"""English phrases: key → sentence with ``{named}`` placeholders (``str.format`` syntax).

Sections are per area of the project; add a key in the section of the code that says it.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "Send me a video first, then tell me how to change it.",
    # ----- engine ------------------------------------------------------------------------------
    # ----- media -------------------------------------------------------------------------------
    # ----- backends (local) --------------------------------------------------------------------
    # ----- nemo --------------------------------------------------------------------------------
    # ----- links -------------------------------------------------------------------------------
    "link_not_a_link": "That doesn't look like a web link I can open; send an http or https link to a video.",
    "link_bad_scheme": "I can only download http or https links.",
    "link_userinfo": "Links with a user name or password in them aren't supported; send a plain link.",
    "link_bad_port": "I can only download links on the usual web ports.",
    "link_private": "That link points to a private or local network address, so I won't open it.",
    "link_no_host": "I couldn't find the website in that link.",
    "link_unreachable": "I couldn't connect to the website in that link; please check it and try again.",
    "link_too_slow": "That link took too long to download; try sending the video itself.",
    "link_too_many_redirects": "That link redirects too many times, so I gave up on it.",
    "link_bad_redirect": "That link redirects somewhere I can't follow.",
    "link_http_error": "The website answered with an error for that link; please check it and try again.",
    "link_empty": "That link gave me an empty file.",
    "link_web_page": "That link is a web page, not a video file; send a direct link to the video, or the video itself.",
    "link_not_media": "That link doesn't point to a video or audio file I can use.",
    "link_failed": "Something went wrong while downloading that link; please try again or send the video itself.",
    "link_too_big_mb": "That video is too big to download: the limit is {limit_mb} MB.",
    "link_too_big_kb": "That video is too big to download: the limit is {limit_kb} KB.",
    "link_too_big_bytes": "That video is too big to download: the limit is {limit_bytes} bytes.",
    # ----- adapters ----------------------------------------------------------------------------
    "adapters_apology": "Sorry — something went wrong on my side; please try again. (error {error_id})",
    "telegram_token_missing": "Set TELEGRAM_BOT_TOKEN to the token @BotFather gave you.",
    "telegram_file_too_big": "That file is {size_mb} MB, but Telegram only lets bots download files up to "
    "{limit_mb} MB. Send me a link to the video instead, or a shorter or smaller version. (The bot's operator can "
    "lift the limit to 2000 MB by running a local Bot API server.)",
    "telegram_file_too_big_unsized": "That file is too big: Telegram only lets bots download files up to "
    "{limit_mb} MB. Send me a link to the video instead, or a shorter or smaller version. (The bot's operator can "
    "lift the limit to 2000 MB by running a local Bot API server.)",
    "telegram_file_too_big_local": "That file is {size_mb} MB, but Telegram only lets bots download files up to "
    "{limit_mb} MB. Please send a shorter or smaller version.",
    "telegram_file_too_big_local_unsized": "That file is too big: Telegram only lets bots download files up to "
    "{limit_mb} MB. Please send a shorter or smaller version.",
    "telegram_result_too_big": "The finished video is {size_mb} MB, over Telegram's {limit_mb} MB upload limit. "
    "Say “under {smaller_mb}MB” and I'll make a smaller version.",
    "telegram_command_start": "What I do and how to use me",
    "telegram_command_help": "Everything you can ask",
    "telegram_command_status": "The current timeline",
    "telegram_command_export": "Send the final video",
    "telegram_command_credits": "Renders left today",
    "telegram_command_new": "Start over with a new video",
    "telegram_command_cancel": "Cancel a waiting job",
    "telegram_command_language": "English or 中文",
    "telegram_command_backend": "Local or NemoVideo cloud processing",
    "discord_token_missing": "Set DISCORD_BOT_TOKEN to your application's bot token (Discord developer portal).",
    "discord_file_too_big": "That file is {size_mb} MB, but I can only take files up to {limit_mb} MB."
    " Send me a link to the video instead, or a shorter or smaller version.",
    "discord_file_too_big_unsized": "That file is too big: I can only take files up to {limit_mb} MB."
    " Send me a link to the video instead, or a shorter or smaller version.",
    "discord_result_too_big": "The finished video is {size_mb} MB, over this channel's {limit_mb} MB upload limit. "
    "Say “under {smaller_mb}MB” and I'll make a smaller version.",
    "discord_download_failed": "I couldn't download that attachment from Discord; please send it again.",
    "discord_music_needs_input": "Attach a video (or give a mood or volume to change the current one).",
    "discord_result_title": "Your video",
    # ----- cli ---------------------------------------------------------------------------------
}
