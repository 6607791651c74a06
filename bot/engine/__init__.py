"""The conversation engine: platform-agnostic messages, routing, jobs and replies.

Adapters translate platform events into ``Incoming`` and render ``Reply`` events; nothing in this
package imports a chat platform library, nor the media pipeline (``bot.media``): the backends do the
media work, and the words come from :mod:`bot.language`. ``Engine`` itself is imported from
``bot.engine.engine`` (it pulls in the store and the backend protocol, which the boundary types do not need).
"""

from __future__ import annotations

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
    Fact,
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
from bot.engine.routing import Routed, route, route_text
from bot.language.intents import Intent

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
    "Fact",
    "Incoming",
    "Intent",
    "MediaKind",
    "MediaRef",
    "Progress",
    "Reply",
    "Routed",
    "Text",
    "Video",
    "button_label",
    "new_error_id",
    "result_buttons",
    "route",
    "route_text",
]
