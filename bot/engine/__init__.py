"""The conversation engine: platform-agnostic messages, intent routing and (soon) jobs and replies.

Adapters translate platform events into ``Incoming`` and render ``Reply`` events; nothing in this
package imports a chat platform library.
"""

from __future__ import annotations

from bot.engine.intents import (
    Intent,
    Lang,
    Routed,
    choose_language,
    detect_language,
    help_text,
    route,
    route_text,
    start_text,
    strip_mentions,
)
from bot.engine.messages import (
    BUTTON_ANOTHER,
    BUTTON_EXPORT,
    BUTTON_KEEP_ORIGINAL,
    BUTTON_LOUDER,
    BUTTON_MUTE_ORIGINAL,
    BUTTON_QUIETER,
    Button,
    Error,
    ErrorKind,
    Incoming,
    MediaKind,
    MediaRef,
    Progress,
    Reply,
    Text,
    Video,
    button_label,
    new_error_id,
    result_buttons,
)

__all__ = [
    "BUTTON_ANOTHER",
    "BUTTON_EXPORT",
    "BUTTON_KEEP_ORIGINAL",
    "BUTTON_LOUDER",
    "BUTTON_MUTE_ORIGINAL",
    "BUTTON_QUIETER",
    "Button",
    "Error",
    "ErrorKind",
    "Incoming",
    "Intent",
    "Lang",
    "MediaKind",
    "MediaRef",
    "Progress",
    "Reply",
    "Routed",
    "Text",
    "Video",
    "button_label",
    "choose_language",
    "detect_language",
    "help_text",
    "new_error_id",
    "result_buttons",
    "route",
    "route_text",
    "start_text",
    "strip_mentions",
]
