"""A step's arguments and results as bytes that can cross machines, with their file paths made portable.

A step's arguments are the local backend's own objects (paths as text, a ``Timeline``, an analysis, the
``Settings``); the paths inside them point into the bot's session folder, which a worker does not have.
Pickling with a persistent id swaps every path under a root for ``("path", relative)`` and the
``Settings`` for a placeholder, whatever object holds them; unpickling on the other side puts that side's
root in front (and the worker's own settings in: the bot's, with its tokens, never travel). The files the
paths name are what has to be sent along (:attr:`Packed.files`).

Relative paths coming from the other side are checked (no ``..``, no absolute path) before they are
joined to a root, and on the worker each part is reduced to ``[A-Za-z0-9._-]``, so nothing in a parcel
can name a file outside the step's own folder.

A step's *identity* (:func:`identity`) is the same pickle with each path that names nothing yet (a render's
output, a fresh name each run) reduced to its folder and suffix: two runs of the same work in the same session
have the same identity (measurements of the work, ``stage_times_s``, are left out too: they differ every
run), which is how a re-run finds a step it already queued (``bot.scale.client``). Those
fresh paths are listed in order (:attr:`Packed.fresh`) so a reused result's files can take the new names.

The bytes are pickles: the database and the shared storage are trusted like the bot's own data folder
(its analyses are pickles too). Whoever can write to them can run code on the workers.
"""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, is_dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from bot.config import Settings
from bot.errors import MusicCogError

__all__ = ["Packed", "ParcelError", "identity", "pack", "safe_relative", "sanitised_relative", "unpack"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MEASURED = ("stage_times_s",)
"""Fields that time the work that made an object (an analysis): not part of what was made."""


class ParcelError(MusicCogError):
    """A parcel named a path outside its root."""


@dataclass
class Packed:
    data: bytes
    files: dict[str, Path] = field(default_factory=dict)
    """Relative path → the existing local file it names (what must be sent along)."""
    fresh: list[str] = field(default_factory=list)
    """Relative paths that name nothing yet (outputs), in the order the pickle meets them."""


def safe_relative(relative: str) -> PurePosixPath:
    """``relative`` as a path that stays inside any root it is joined to, or ``ParcelError``."""
    path = PurePosixPath(relative)
    parts = path.parts
    if not parts or path.is_absolute() or any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
        raise ParcelError(f"not a relative path inside the root: {relative!r}")
    return path


def sanitised_relative(relative: str) -> PurePosixPath:
    """The worker's own name for a relative path: each part reduced to ``[A-Za-z0-9._-]``, no leading dot."""
    parts = [_UNSAFE.sub("_", part).lstrip(".") or "_" for part in safe_relative(relative).parts]
    return PurePosixPath(*parts)


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, root: Path, names: dict[str, str], *, keyed: bool = False) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self._root = str(root)
        self._names = names
        self._keyed = keyed
        self.files: dict[str, Path] = {}
        self.fresh: list[str] = []

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Settings):
            return ("settings",)
        if self._keyed and is_dataclass(obj) and not isinstance(obj, type):
            measured: dict[str, Any] = {name: {} for name in _MEASURED if getattr(obj, name, None)}
            if measured:  # the same object without its timings (pickled in the id, as any other object)
                return ("measured", replace(obj, **measured))
        if not isinstance(obj, str | Path):
            return None
        text = str(obj)
        if not text.startswith(self._root + "/"):
            return None
        relative = self._names.get(text) or text[len(self._root) + 1 :]
        local = Path(text)
        if local.is_file():
            self.files[relative] = local
        elif not local.exists():
            self.fresh.append(relative)
            if self._keyed:
                fresh = PurePosixPath(relative)
                return ("fresh", fresh.parent.as_posix(), fresh.suffix, isinstance(obj, Path))
        return ("path", relative, isinstance(obj, Path))


class _Unpickler(pickle.Unpickler):
    def __init__(
        self, data: bytes, root: Path, settings: Settings | None, *, sanitise: bool, rename: Mapping[str, str]
    ) -> None:
        super().__init__(io.BytesIO(data))
        self._root = root
        self._settings = settings
        self._sanitise = sanitise
        self._rename = rename
        self.names: dict[str, str] = {}
        """Local path → the relative path the other side called it."""

    def persistent_load(self, pid: Any) -> Any:
        if pid == ("settings",):
            if self._settings is None:
                raise ParcelError("a result carried settings")
            return self._settings
        kind, relative, as_path = pid
        if kind != "path":
            raise ParcelError(f"unknown persistent id {kind!r}")
        relative = self._rename.get(relative, relative)
        local_relative = sanitised_relative(relative) if self._sanitise else safe_relative(relative)
        local = self._root.joinpath(*local_relative.parts)
        self.names[str(local)] = relative
        return local if as_path else str(local)


def pack(obj: Any, root: Path, *, names: dict[str, str] | None = None) -> Packed:
    """``obj`` pickled with every path under ``root`` made relative (``names`` maps a local path back to the
    relative path the other side used for it)."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, root, names or {})
    pickler.dump(obj)
    return Packed(buffer.getvalue(), pickler.files, pickler.fresh)


def identity(obj: Any, root: Path) -> bytes:
    """``obj`` pickled as :func:`pack` does, but with the paths that name nothing yet reduced to their folder
    and suffix: what stays the same when the same work is asked for again (a key, never unpickled)."""
    buffer = io.BytesIO()
    _Pickler(buffer, root, {}, keyed=True).dump(obj)
    return buffer.getvalue()


def unpack(
    data: bytes, root: Path, settings: Settings | None, *, sanitise: bool, rename: Mapping[str, str] | None = None
) -> tuple[Any, dict[str, str]]:
    """The object with ``root`` in front of its relative paths (and ``settings`` for the placeholder); also
    each local path → the relative path it came as. ``rename`` swaps relative paths first (a reused result's
    outputs take the names this run asked for)."""
    unpickler = _Unpickler(data, root, settings, sanitise=sanitise, rename=rename or {})
    return unpickler.load(), unpickler.names
