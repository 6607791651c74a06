"""What the parser reads out of a message, as plain data: the edit's kind and its values, or a problem.

The language package is a leaf, so it cannot build the media's edit dataclasses; ``bot.media.instructions``
turns each :class:`ParsedEdit` into the edit of the same ``kind`` (its fields are ``values``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["EditKind", "Item", "ParsedEdit", "Problem", "parsed"]

EditKind = Literal[
    "next_track",
    "previous_track",
    "shift_mood",
    "set_mood",
    "change_volume",
    "set_volume",
    "set_original_audio",
    "set_ducking",
    "start_music",
    "set_hit",
    "set_title",
    "remove_title",
    "set_aspect",
    "set_fit",
    "set_max_height",
    "set_target_size",
    "fit_platform",
    "set_length",
    "change_length",
    "swap_items",
    "drop_item",
]
"""Every edit a message can ask for; ``fit_platform`` is "under the upload limit of ``platform``"; ``set_hit`` is
"the drop at 20 s" (where the track's big moment lands, video seconds). The last four
rearrange a film of several items ("30 s", "shorter", "swap 2 and 3", "drop the third clip")."""


@dataclass(frozen=True)
class ParsedEdit:
    """One requested edit: its ``kind`` and the values of its fields (``{"pct": 30.0}``)."""

    kind: EditKind
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """A recognised request that cannot be carried out; ``key`` is the phrase that tells the user why."""

    key: str


Item = ParsedEdit | Problem


def parsed(kind: EditKind, **values: object) -> ParsedEdit:
    """Shorthand for a rule table: ``parsed("set_volume", pct=0.0)``."""
    return ParsedEdit(kind, values)
