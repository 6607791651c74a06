"""English phrases: key → sentence with ``{named}`` placeholders (``str.format`` syntax).

Sections are per area of the project; add a key in the section of the code that says it.
"""

from __future__ import annotations

__all__ = ["PHRASES"]

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
    # several items: one film or each separately
    "engine_button_one_film": "One film",
    "engine_button_each": "Each separately",
    "engine_set_got": "Got {count} items — send more, or tell me: one film of them all, or each separately.",
    "engine_set_question": "I have {count} videos. One film of them all, or each one separately?",
    "engine_set_choose_first": "First choose for your {count} items: one film, or each separately.",
    "engine_set_nothing_to_choose": "There is nothing to choose for: send me a few clips or photos first.",
    "engine_set_listing": "Your {count} items:",
    "engine_set_waiting": "Waiting for your choice: one film, or each separately.",
    "engine_set_collecting": "Still collecting — send more, or tell me what to make.",
    "engine_set_film": "Made into one film.",
    "engine_set_each": "Each made separately; say e.g. “the second one: calmer” to change one.",
    "engine_set_current": "current",
    "engine_item_video": "video",
    "engine_item_photo": "photo",
    "engine_item_of": "{position} of {total}",
    "engine_item_skipped": "{place}: skipped. {reason}",
    "engine_no_such_item": "There is no item {position} here: you sent {count}.",
    "engine_montage_unsupported": "The {backend} backend can't make one film of several items; "
    "I'll make each one separately instead.",
    "engine_too_many_items": "That's {count} items; I can take at most {limit} at once.",
    "engine_quota_short": "That's {count} videos, but you have {left} renders left today. "
    "Send fewer, or ask for one film.",
    # ----- media -------------------------------------------------------------------------------
    # parser replies
    "edits_help": (
        "I can change: the track (“another track”, “previous track”); the mood (“calmer”, “more "
        "energetic”, “happier”, “sadder”, “more epic”, “make it lo-fi”); the music volume (“louder”, "
        "“quieter”, “music at 30%”); the original sound (“mute original”, “keep original”, “no "
        "ducking”); where the music starts (“start at 0:45”, “skip the intro”); a title (title "
        '"Day 1" for 4s, “remove title”); the shape (“vertical”, “square”, “landscape”, “with '
        "blurred background”); the size (“720p”, “under 10MB”, “for discord”); a film of several "
        "clips and photos (“shorter, 30 s”, “longer”, “swap 2 and 3”, “drop the third clip”, “keep the sound”). "
        "Several at once work too: “calmer and quieter, title 'Day 1'”."
    ),
    "edits_not_understood": "Not understood: {words}",
    "edits_reply_separator": "; ",
    "title_empty": 'The title is empty: put the text in quotes, e.g. title "Day 1".',
    # what an edit does
    "edit_next_track": "another track",
    "edit_previous_track": "back to the previous track",
    "edit_shift_energetic": "more energetic",
    "edit_shift_calm": "calmer",
    "edit_shift_happy": "happier",
    "edit_shift_sad": "sadder",
    "edit_shift_epic": "more epic",
    "edit_set_mood": "mood: {words}",
    "edit_change_volume": "music {gain} dB",
    "edit_set_volume": "music at {pct}%",
    "edit_original_kept": "original audio kept",
    "edit_original_muted": "original audio muted",
    "edit_ducking_on": "music ducks under speech",
    "edit_ducking_off": "no ducking",
    "edit_start_at_seconds": "music starts at {seconds} s",
    "edit_start_at_clock": "music starts at {clock}",
    "edit_skip_intro": "music skips the intro",
    "edit_start_auto": "music start chosen automatically",
    "edit_title": "title “{text}”",
    "edit_title_for": "title “{text}” for {seconds} s",
    "edit_remove_title": "title removed",
    "edit_aspect_vertical": "vertical 9:16",
    "edit_aspect_square": "square 1:1",
    "edit_aspect_landscape": "landscape 16:9",
    "edit_aspect_original": "original aspect",
    "edit_fit_blur": "blurred background",
    "edit_fit_crop": "crop to fill",
    "edit_original_resolution": "original resolution",
    "edit_max_height": "{height}p",
    "edit_no_size_limit": "no size limit",
    "edit_size_under": "under {size}",
    "edit_size_under_for": "under {size} ({platform})",
    # what applying an edit did
    "note_no_other_track": "no other track to offer",
    "note_another_track": "another track: {title}",
    "note_no_previous_track": "there is no previous track",
    "note_back_to": "back to {title}",
    "note_no_music_yet": "there is no music yet",
    "note_mood_track": "{change} → {title}",
    "note_volume": "{change} ({pct}%)",
    # why a track fits (matching)
    "match_reason": "{track}, {why}.",
    "match_reason_with_cuts": "{track}, {why}; {on_beat} of {total} cuts land on its beats.",
    "match_track": '"{title}" is {feel} ({bpm:.0f} BPM, {key})',
    "match_feel_two": "{first} and {second}",
    "match_feel_neutral": "neutral",
    "match_for_request": "matching your request for {words}",
    "match_for_clip": "suiting the clip's {clip}",
    "match_clip": "{pace}, {motion} and {colours}",
    "match_pace_fast": "fast cuts",
    "match_pace_steady": "steady cuts",
    "match_pace_long": "long takes",
    "match_motion_lots": "lots of motion",
    "match_motion_little": "little motion",
    "match_motion_some": "some motion",
    "match_colours_bright": "bright, colourful pictures",
    "match_colours_dark": "dark, muted pictures",
    "match_colours_balanced": "balanced colours",
    "mood_calm": "calm",
    "mood_nostalgic": "nostalgic",
    "mood_tender": "tender",
    "mood_happy": "happy",
    "mood_energetic": "energetic",
    # input the media stages cannot use
    "file_not_found": "The file could not be found.",
    "file_empty": "The file is empty.",
    "file_too_big": "The file is too big ({size_mb:.0f} MB); the limit is {limit_mb:.0f} MB.",
    "video_damaged": "The video is damaged or incomplete (maybe it didn't finish uploading); please send it again.",
    "not_a_video": "That file isn't a video I can read.",
    "no_video_track": "The file has no video track — send a video, or use it as a song.",
    "still_image": "That's a still image, not a video — send a video clip.",
    "video_length_unreadable": "The video's length could not be read; the file may be damaged.",
    "video_too_long": "The video is too long ({length}); the limit is {limit}.",
    "video_resolution_over_8k": "The video's resolution ({width}x{height}) is too large; the limit is 8K (7680x4320).",
    "video_resolution_too_large": (
        "The video's resolution ({width}x{height}) is too large; the limit is {pixels:,} pixels."
    ),
    "no_audio_track": "The file has no audio track.",
    "audio_undecodable": "The audio could not be decoded; the file may be damaged.",
    "audio_file_unreadable": "Cannot read the audio file {name}.",
    "audio_bad_shape": "The audio has an unexpected shape.",
    "audio_no_sample_rate": "The audio has no sample rate.",
    "audio_track_empty": "The audio track is empty.",
    "size_unreadable": '"{text}" is not a size; write it like 10MB, 8MiB, 500KB or 1.5GB.',
    "size_too_small": '"{text}" is too small to be a file size.',
    "size_cannot_fit": (
        "A {duration_s:.0f}-second video can't fit in {size}: even at {height}p and low quality "
        "it needs about {need}. Try a larger size or a shorter clip."
    ),
    "size_not_reached": "I couldn't make this video small enough for {size}; try a larger size or a shorter clip.",
    "timeline_unusable": "That saved timeline can't be used: {problem}.",
    "timeline_not_json": "That saved timeline can't be used: it is not valid JSON.",
    "no_such_track": "No track called {name!r} in the library, and no such file.",
    "output_is_input": "The output file must not be the input file.",
    # a film of several items (length, order, which items)
    "edit_set_length": "film of about {seconds} s",
    "edit_shorter": "shorter",
    "edit_longer": "longer",
    "edit_swap_items": "{first} and {second} swapped",
    "edit_drop_item": "{item} left out",
    "item_number": "item {number}",
    "item_last": "the last item",
    "note_film_only": "that works on a film of several clips or photos, and this is a single clip",
    "note_no_such_item": "there is no {item}: the film has {count}",
    "note_last_item": "a film needs at least one item",
    "note_footage_limit": "that is all the usable footage: {seconds} s",
    "film_edit_single_clip": (
        "That works on a film of several clips or photos; this is a single clip, so nothing changed."
    ),
    # ----- backends (local) --------------------------------------------------------------------
    "song_before_video": "Send me the video first; then send this song and I'll put it under the video.",
    "nothing_to_export": "There is nothing to export yet: send me a video first.",
    "unknown_backend": "Unknown backend {name!r}: choose one of {choices}.",
    "local_left_out": "left out {name}: {reason}",
    "local_music_note": "music: {title}",
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
    "cli_title_empty": "The title is empty; give some text, e.g. --title 'Day 1'.",
    "cli_timeline_unreadable": "Cannot read the timeline file {path}.",
    "cli_no_such_path": "No such file or folder: {path}",
    "cli_no_platform_token": "No platform token is set: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN.",
    "cli_bot_already_serving": (
        "Another musiccog bot is already serving from {folder}. Stop it, or use `musiccog run` "
        "to serve every platform from one process (or give this one its own MUSICCOG_DATA_DIR)."
    ),
    "cli_indexed": "Indexed {count} tracks.",
    "cli_add_library_dirs": "Add these folders to MUSICCOG_LIBRARY_DIRS to use them for every render.",
    "cli_failed": "Failed: {error}",
    "cli_interrupted": "Interrupted.",
    "cli_unexpected": "Something went wrong (error id {error_id}); run with -v for details.",
    # ----- montage -----------------------------------------------------------------------------
    "montage_nothing_usable": "None of the files could be used for a film.",
    "montage_too_many": "That's {count} files; a film takes at most {limit}.",
    "montage_too_big": "The files are too big together ({total_mb:.0f} MB); the limit is {limit_mb:.0f} MB.",
    "montage_too_long": "Together the clips are longer than {minutes:.0f} minutes; this one was left out.",
    "montage_no_beat": "The music has no beat to cut the film on.",
    "montage_no_picture": "The clip has no usable picture (it is black or frozen throughout).",
    "montage_clip_too_short": "The clip is too short ({seconds:.1f} s) to use in a montage.",
    "photo_too_large": (
        "The photo is too large ({width}x{height}, {megapixels:.0f} megapixels); the limit is {limit:.0f} megapixels."
    ),
    "photo_unreadable": "That picture is damaged or in a format I can't read.",
    "song_reason": '"{title}" is the song you chose ({bpm:.0f} BPM); {on_beat} of {total} cuts land on its beats.',
    "timeline_no_music": "There is no music on this timeline.",
    "cli_skipped": "Skipped {name}: {reason}",
    # ----- probe -------------------------------------------------------------------------------
    "frame_unusable": (
        "The picture is {width}x{height}: too small or too thin to use (at least {min_side} pixels a side, "
        "at most 10:1)."
    ),
    # ----- timeline summary ----------------------------------------------------------------------
    "timeline_summary": "Timeline ({count} tracks): {parts}",
    "timeline_summary_one": "Timeline ({count} track): {parts}",
    "timeline_video": "Video: {label} ({span}s{muted})",
    "timeline_original_muted": ", original muted",
    "timeline_music": "BGM: {title} ({span}s, {pct}%)",
    "timeline_title": 'Title: "{text}" ({span}s)',
    "timeline_clips": "{count} clips",
    "timeline_clips_one": "{count} clip",
    "timeline_photos": "{count} photos",
    "timeline_photos_one": "{count} photo",
    "timeline_list_separator": ", ",
    "nemo_draft_empty": "Timeline (empty): the video is uploaded, nothing is on the timeline yet.",
    # ----- sync --------------------------------------------------------------------------------
    "sync_peak_reason": "The track's big moment ({track_at} into it) lands at {video_at}, where the action peaks.",
    # ----- honest words --------------------------------------------------------------------------
    "match_stand_in": "No {words} tracks here — I used {used} ones instead. Moods I have: {moods}.",
    "match_unknown_words": "I don't know “{words}” as a mood, so the clip chose. Moods I have: {moods}.",
    # ----- cli files ---------------------------------------------------------------------------
    "cli_is_directory": "{path} is a folder, not a video file.",
    "cli_no_such_file": "The file {path} could not be found.",
    "cli_no_free_name": "Could not find a free name beside {path}; use --overwrite or -o.",
    # ----- discord commands --------------------------------------------------------------------
    "discord_cmd_music": "Put the best-fitting music under a video, or change the current one.",
    "discord_cmd_montage": "Make one film of up to 10 clips and photos, cut on the music's beats.",
    "discord_cmd_status": "The current timeline: clip, track, volume and edits.",
    "discord_cmd_credits": "Renders left today.",
    "discord_cmd_export": "Send the final video.",
    "discord_cmd_new": "Start over with a new video.",
    "discord_cmd_help": "What I do and everything you can ask.",
    "discord_opt_video": "The clip to put music under",
    "discord_opt_mood": "What it should feel like, e.g. “upbeat travel vibe” (or any change, once a clip is in)",
    "discord_opt_volume": "Music volume in percent (0–200)",
    "discord_opt_prompt": "What the film should be, e.g. “a 60-second travel montage” (optional)",
    "discord_opt_item1": "Clip or photo 1",
    "discord_opt_item2": "Clip or photo 2",
    "discord_opt_item3": "Clip or photo 3",
    "discord_opt_item4": "Clip or photo 4",
    "discord_opt_item5": "Clip or photo 5",
    "discord_opt_item6": "Clip or photo 6",
    "discord_opt_item7": "Clip or photo 7",
    "discord_opt_item8": "Clip or photo 8",
    "discord_opt_item9": "Clip or photo 9",
    "discord_opt_item10": "Clip or photo 10",
    "montage_photos_enlarged": "shown enlarged (smaller than the film's frame): {names}",
    # ----- web17 -----
    "web_upload_link": "Send it through this page instead (up to {limit_mb} MB; the link works once, for {hours} h): "
    "{url}",
    "web_upload_link_too_big": "{reason}\nOr send it through this page (up to {limit_mb} MB; the link works once, "
    "for {hours} h): {url}",
    "web_full_quality": "Full quality ({size_mb} MB), for {hours} h: {url}",
    "web_links_rate_limited": "That's a lot of links for one chat: try again in {minutes} min.",
    "web_page_title": "Send a video to the bot",
    "web_page_intro": "Pick the clip (up to {limit_mb} MB). It goes straight to the bot and comes back in your chat.",
    "web_page_pick": "Choose a video",
    "web_page_send": "Send",
    "web_page_sending": "Sending… {percent}%",
    "web_page_retrying": "The connection dropped — resuming…",
    "web_page_done": "Done! The bot is working on it: the video will come back in your chat.",
    "web_page_failed": "The upload stopped. Press Send to resume where it left off.",
    "web_page_too_big": "That file is too big: the limit is {limit_mb} MB.",
    "web_page_not_video": "That file is not a video the bot can read.",
    "web_page_bad_link": "This link does not work (any more): links work once and expire. Ask the bot for a new "
    "one (“upload”).",
    "web_page_not_found": "Nothing here.",
    "web_page_busy": "This link is already being used in another window.",
    "web_page_words": "What you want (optional), e.g. “calm and warm”",
    "discord_cmd_upload": "A one-time page to send a video too big to attach here.",
    "telegram_command_upload": "A one-time page to send a video too big for Telegram",
    # ----- words16 -----
    "reason_sentences_joined": " ",
    "match_key_major": "{key} major",
    "match_key_minor": "{key} minor",
    "song_reason_no_cuts": '"{title}" is the song you chose ({bpm:.0f} BPM).',
    "edit_hit_at": "the track's big moment at {seconds} s",
    "sync_peak_pinned_reason": "The track's big moment ({track_at} into it) lands at {video_at}, as you asked.",
    # ----- queue14 -----
    "worker_needs_storage": (
        "A render worker needs MUSICCOG_STORAGE (a shared folder or s3://bucket/prefix) "
        "and MUSICCOG_DATABASE_URL (postgresql://…)."
    ),
    "worker_bad_concurrency": "--concurrency must be 1 or more.",
    "engine_stage_queue": "Waiting for a free render worker…",
    "scale_needs_database": "MUSICCOG_STORAGE is set: MUSICCOG_DATABASE_URL must be a postgresql:// URL.",
    "engine_stage_queue_ahead": "Waiting for a free render worker ({ahead} ahead of you)…",
    # ----- faults15 -----
    "engine_disk_full": (
        "The server ran out of disk space, so I couldn't make your video; the operator can see why. "
        "Please try again later."
    ),
    # ----- lead: inputs -----
    "photo_animated_webp": "I can't read animated WebP pictures yet: please send it as a GIF or a video.",
}
