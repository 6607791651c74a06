"""A log filter that keeps secrets (bot tokens) out of every log line and traceback."""

from __future__ import annotations

import logging

__all__ = ["RedactToken"]


class RedactToken(logging.Filter):
    """Replaces the bot token in log messages and tracebacks (PTB and httpx errors can carry URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._token:
            return True
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self._token, "<token>")
        return True
