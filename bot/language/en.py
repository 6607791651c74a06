"""English phrases: key → sentence with ``{named}`` placeholders (``str.format`` syntax).

Sections are per area of the project; add a key in the section of the code that says it.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # ----- shared ------------------------------------------------------------------------------
    "send_video_first": "Send me a video first, then tell me how to change it.",
    # ----- engine ------------------------------------------------------------------------------
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
