"""The steps a worker may run, by name: the local backend's own step functions, and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.backends.local_tasks import (
    analyse_clip_task,
    analyse_items_task,
    first_montage_task,
    first_timeline_task,
    instruct_task,
    render_task,
    use_song_task,
    warm_task,
)

__all__ = ["LIGHT_STEPS", "STEPS", "step_name"]

STEPS: dict[str, Callable[..., Any]] = {
    func.__name__: func
    for func in (
        analyse_clip_task,
        analyse_items_task,
        first_montage_task,
        first_timeline_task,
        instruct_task,
        render_task,
        use_song_task,
        warm_task,
    )
}
"""A parcel names its step; a worker looks it up here (no other code can be named)."""

LIGHT_STEPS = frozenset({"first_montage_task", "first_timeline_task", "instruct_task"})
"""Steps that read no video: they get the user's song (``song-*`` in the session, which picking may analyse)
but not the clips, so an edit in words does not send the whole upload to a worker again."""


def step_name(func: Callable[..., Any]) -> str:
    name = getattr(func, "__name__", "")
    if STEPS.get(name) is not func:
        raise ValueError(f"{name or func!r} is not a worker step")
    return name
