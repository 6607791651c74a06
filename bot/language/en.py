"""English phrases: key → sentence with ``{named}`` placeholders (``str.format`` syntax).

Sections are per area of the project; add a key in the section of the code that says it.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "Send me a video first, then tell me how to change it.",
    # ----- engine ------------------------------------------------------------------------------
    # progress (a stage's words; the percentage is added after them)
    "engine_stage_download": "Got it — fetching your clip…",
    "engine_stage_analyse": "Got it — analysing your clip…",
    "engine_stage_match": "Choosing the music…",
    "engine_stage_render": "Mixing and rendering…",
    "engine_stage_export": "Preparing your file…",
    "engine_stage_upload": "Uploading your clip to NemoVideo…",
    "engine_stage_agent": "NemoVideo is working on your video…",
    "engine_still_working": "Still working on it…",
    # the conversation
    "engine_fresh_start": "Fresh start: send me a new video.",
    "engine_which_language": "Which language? /language en or /language zh",
    "engine_language_set": "OK, I'll answer in English.",
    "engine_no_video_yet": "No video yet: send me a clip to start.",
    "engine_unknown_command": "I don't know /{command}. Try /help.",
    "engine_stale_button": "That button belongs to an older message. Send your video again or tell me what to change.",
    "engine_backend_fixed": "This bot uses the {backend} backend.",
    "engine_backend_choose": "You're on the {backend} backend. Choose one: /backend local or /backend nemo.",
    "engine_backend_unavailable": "The {backend} backend is not available here.",
    "engine_backend_nemo": (
        "Switched to NemoVideo, a third-party cloud service: the clips you send from now on are "
        "uploaded to it. Send a video to start; /backend local switches back."
    ),
    "engine_backend_local": "Switched to the local backend: your clips stay on this server. Send a video to start.",
    "engine_cancelled_queued": "Cancelled.",
    "engine_cancelled_running": "Cancelled — I stopped making that video.",
    "engine_cancel_too_early": "Your video is about to start; try /cancel again in a moment.",
    "engine_nothing_to_cancel": "There is nothing to cancel.",
    "engine_credits_left": "Credits left: {remaining}.",
    "engine_renders_unlimited": "You have unlimited renders.",
    "engine_renders_left": "You have {left} of {limit} renders left today.",
    "engine_private": "Sorry, this bot is private and not open to you here.",
    # submitting a job
    "engine_send_the_video": "Send the video itself (or a link to it) and I'll get to work.",
    "engine_quota_used": "You've used all {limit} renders for today. Come back tomorrow!",
    "engine_rate_limited": "One moment — please try again in {wait_s:.0f} s.",
    "engine_queue_position": "You're #{place} in line — I'll start on your video soon.",
    "engine_busy": "I'm still working on your previous request — one moment, or /cancel it.",
    "engine_restarting": "The bot is restarting — I'll send your video as soon as it's back.",
    # running a job
    "engine_conversation_cleared": "That conversation was cleared; please send your video again.",
    "engine_song_needs_video": "Send me the video first; then send this song and I'll put it under the video.",
    "engine_restarted_gave_up": (
        "Sorry — the bot restarted while making your video and could not finish it. "
        "Please send it again. (error {error_id})"
    ),
    "engine_music_unavailable": "The music service is not available right now; please try again later.",
    "engine_render_failed": "I couldn't finish your video this time; please try again.",
    "engine_internal_error": "Something went wrong on my side; please try again.",
    "engine_error_id": "(error {error_id})",
    # the result
    "engine_final_video": "Your final video",
    "engine_fact_cuts_label": "Cuts on beat",
    "engine_fact_cuts": "{on_beat} of {total} cuts on the beat",
    "engine_fact_no_cuts": "no cuts to sync",
    "engine_fact_loudness_label": "Loudness",
    "engine_button_another": "Another track",
    "engine_button_quieter": "Quieter",
    "engine_button_louder": "Louder",
    "engine_button_mute_original": "Mute original",
    "engine_button_keep_original": "Keep original",
    "engine_button_export": "Export",
    # /start and /help
    "engine_start": (
        "Hi! Send me a video and I'll put background music under it that fits: I pick a track for its "
        "mood and pace, line its beats up with your cuts, duck it under speech and level the loudness, "
        "then send the video back.\n\n"
        "How to use it:\n"
        "• Send a clip (video, file or link), optionally with a caption like “upbeat travel vibe” or "
        "“calm, music at 30%”.\n"
        "• Then refine in words or with the buttons: “another track”, “quieter”, “more energetic”, "
        'title "Day 1", “vertical”.\n'
        "• “status” shows the current edit, “credits” your renders left today, “export” sends the final file.\n"
        "• /new starts over, /cancel stops the current job, /language zh switches to Chinese, /help for more.\n\n"
        "Privacy: your videos are processed on this bot's own server by default, not sent to any "
        "third-party service, and temporary files are deleted after each job."
    ),
    "engine_help_head": "What you can say after sending a clip:\n",
    "engine_help_edits": (
        "I can change: the track (“another track”, “previous track”); the mood (“calmer”, “more energetic”, "
        "“happier”, “sadder”, “more epic”, “make it lo-fi”); the music volume (“louder”, “quieter”, “music at 30%”); "
        "the original sound (“mute original”, “keep original”, “no ducking”); where the music starts "
        '(“start at 0:45”, “skip the intro”); a title (title "Day 1" for 4s, “remove title”); the shape '
        "(“vertical”, “square”, “landscape”, “with blurred background”); the size (“720p”, “under 10MB”, "
        "“for discord”). Several at once work too: “calmer and quieter, title 'Day 1'”."
    ),
    # ----- media -------------------------------------------------------------------------------
    # video analysis
    "video_damaged": "The video is damaged or incomplete (maybe it didn't finish uploading); please send it again.",
    "video_no_video_track": "The file has no video track — send a video, or use it as a song.",
    # ----- backends (local) --------------------------------------------------------------------
    # ----- nemo --------------------------------------------------------------------------------
    "nemo_draft_lost": "I lost track of that cloud draft; please send your video again.",
    "nemo_draft_expired": "Your cloud draft on NemoVideo had expired, so I started a new one.",
    "nemo_send_clip_again": "Please send your clip again.",
    "nemo_link_fetch_failed": "NemoVideo could not fetch a video from that link; send the file itself instead.",
    "nemo_needs_video_or_picture": "NemoVideo needs a video or a picture in one of these formats: {formats}.",
    "nemo_needs_song": "NemoVideo needs a song in one of these formats: {formats}.",
    "nemo_song_before_video": "Send me the video first; then send this song and I'll put it under the video.",
    "nemo_nothing_changed": "NemoVideo finished, but nothing changed in your draft. Try saying it another way.",
    "nemo_timeline_empty": "Nothing is on the timeline yet; tell me what music you'd like.",
    "nemo_changes": (
        "NemoVideo {changes}. Next you could change the music's volume, "
        'add a title, or say "export" for the final file.'
    ),
    "nemo_changes_separator": "; ",
    "nemo_nothing_to_export": "There is nothing to export yet: make something first (send me a video).",
    "nemo_claim_link": "To keep editing this project in NemoVideo's own editor, open {link} (valid for 7 days).",
    "nemo_export_hint": 'Say "export" when you want the final file.',
    "nemo_free_credits_used_up": (
        "The free NemoVideo credits are used up. Register to keep going (your drafts come along): {link}"
    ),
    "nemo_out_of_credits": "The NemoVideo account is out of credits; top it up to keep going.",
    "nemo_unsupported_file": (
        "NemoVideo can't use that file. Send videos ({video_formats}), "
        "pictures ({image_formats}) or songs ({audio_formats})."
    ),
    "nemo_file_too_large": (
        "That file is too large for NemoVideo; trim it shorter or compress it, then send it again."
    ),
    "nemo_export_needs_account": "Exporting needs a registered NemoVideo account: register to export at {link}",
    # ----- links -------------------------------------------------------------------------------
    # ----- adapters ----------------------------------------------------------------------------
    # ----- cli ---------------------------------------------------------------------------------
}
