"""English phrases: key → sentence with ``{named}`` placeholders (``str.format`` syntax).

Sections are per area of the project; add a key in the section of the code that says it.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "Send me a video first, then tell me how to change it.",
    # ----- engine ------------------------------------------------------------------------------
    # ----- media -------------------------------------------------------------------------------
    # parser replies
    "edits_help": (
        "I can change: the track (“another track”, “previous track”); the mood (“calmer”, “more "
        "energetic”, “happier”, “sadder”, “more epic”, “make it lo-fi”); the music volume (“louder”, "
        "“quieter”, “music at 30%”); the original sound (“mute original”, “keep original”, “no "
        "ducking”); where the music starts (“start at 0:45”, “skip the intro”); a title (title "
        '"Day 1" for 4s, “remove title”); the shape (“vertical”, “square”, “landscape”, “with '
        "blurred background”); the size (“720p”, “under 10MB”, “for discord”). Several at once "
        "work too: “calmer and quieter, title 'Day 1'”."
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
    # ----- backends (local) --------------------------------------------------------------------
    "song_before_video": "Send me the video first; then send this song and I'll put it under the video.",
    "nothing_to_export": "There is nothing to export yet: send me a video first.",
    "unknown_backend": "Unknown backend {name!r}: choose one of {choices}.",
    # ----- nemo --------------------------------------------------------------------------------
    # ----- links -------------------------------------------------------------------------------
    # ----- adapters ----------------------------------------------------------------------------
    # ----- cli ---------------------------------------------------------------------------------
    "cli_title_empty": "The title is empty; give some text, e.g. --title 'Day 1'.",
    "cli_timeline_unreadable": "Cannot read the timeline file {path}.",
    "cli_no_such_path": "No such file or folder: {path}",
    "cli_telegram_token_missing": "Set TELEGRAM_BOT_TOKEN to the token @BotFather gave you.",
    "cli_discord_token_missing": "Set DISCORD_BOT_TOKEN to your application's bot token (Discord developer portal).",
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
}
