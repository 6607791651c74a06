"""Big files both ways (issue 17): a one-time upload page past the chat platforms' download limits, and
full-quality download links for results past their upload limits, served by the bot's own web server.

Off unless ``MUSICCOG_PUBLIC_URL`` is set. :class:`~bot.web.server.WebServer` (opened and started by
``bot.services.Services`` inside ``musiccog telegram|discord|run``) serves the pages and lends the engine
its link offers (``bot.engine.big_files``); ``tokens`` keeps the links in the engine's database; ``upload``
and ``download`` are the endpoints; ``page`` the HTML; ``intake`` hands a finished upload to the engine;
``files`` is where the files live.
"""

from __future__ import annotations

from bot.web.files import UPLOAD_PREFIX, is_web_upload, take_upload
from bot.web.server import WebServer
from bot.web.tokens import LinkStore, WebLink

__all__ = ["UPLOAD_PREFIX", "LinkStore", "WebLink", "WebServer", "is_web_upload", "take_upload"]
