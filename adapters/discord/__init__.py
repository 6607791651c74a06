"""The Discord adapter: discord.py 2.x events in, ``Incoming`` to the engine, ``Reply`` events out.

Thin on purpose, like ``adapters.telegram``: routing, sessions, jobs, quotas and wording live in
``bot.engine``; this package only knows Discord's shapes and limits, one job per module:

- :mod:`~adapters.discord.client` — endpoints, intents, token redaction and the ``commands.Bot`` that loads
  the Cog and syncs the slash commands;
- :mod:`~adapters.discord.cog` — the one Cog (:class:`MusicCog`): ``/music`` (video attachment, mood, music
  volume), ``/montage`` (up to 10 clips and photos made into one film, and a prompt), ``/status``,
  ``/credits``, ``/export``, ``/new``, ``/help``, and a listener for plain messages (clips and photos in a
  DM, or in a channel when the bot is mentioned or replied to: several attachments are one set; needs the
  Message Content intent,
  ``settings.discord_message_content``); its ``cog_load`` opens or borrows the services and attaches to the
  engine, its ``cog_unload`` shuts down in order;
- :mod:`~adapters.discord.surfaces` — where replies go: progress edited into the deferred response (paced by
  ``ProgressPacer`` in :mod:`adapters.serving`), the result replacing it (the MP4, an embed and the buttons);
  an interaction token lives 15 min, so a job that outlives ``TOKEN_FRESH_S`` posts into the channel;
- :mod:`~adapters.discord.views` — the persistent ``View`` whose buttons carry the engine's ``mc:…`` ids, so a
  press still routes after a restart, and the result embed (track, why, BPM, cuts on beat, loudness);
- :mod:`~adapters.discord.download` — attachments as ``MediaRef`` and their capped download (links go through
  ``bot.links``, the same SSRF guard as Telegram).

The upload limit is read per event (the interaction's attachment limit, else the guild's ``filesize_limit``,
else ``settings.discord_default_upload_mb``) and handed to the engine, which fits every render under it.
Attachments above ``settings.max_input_mb`` are refused before downloading. The token never reaches a log
line (``RedactToken``).
"""

from __future__ import annotations

from adapters.discord.client import MusicBot, build_client, configure_endpoints, intents_for, run_discord
from adapters.discord.cog import PLATFORM, MusicCog, chat_id_for, upload_limit_for
from adapters.discord.views import ResultView, result_embed

__all__ = [
    "PLATFORM",
    "MusicBot",
    "MusicCog",
    "ResultView",
    "build_client",
    "chat_id_for",
    "configure_endpoints",
    "intents_for",
    "result_embed",
    "run_discord",
    "upload_limit_for",
]
