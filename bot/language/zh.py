"""中文 phrases: the same keys as ``en.py``; a key missing here falls back to English."""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "先发给我一段视频，再告诉我怎么改。",
    # ----- engine ------------------------------------------------------------------------------
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
    # ----- adapters ----------------------------------------------------------------------------
    # ----- cli ---------------------------------------------------------------------------------
}
