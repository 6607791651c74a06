"""A NemoVideo session state as a :class:`~bot.backends.base.SessionState`: summary, readiness, diff.

Only a few draft keys are documented (§7): ``t`` tracks, ``tt`` track type (0 video, 1 audio/BGM,
7 text/title), ``sg`` segments, ``d`` duration in ms, ``m`` metadata ``{title, width, height}``.
Segment fields are not documented, so names, times and volumes are read from the likely keys and
left out when absent; the draft itself is kept verbatim and sent to render unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from bot.language import say
from bot.language.text import format_seconds

__all__ = ["TRACK_KINDS", "NemoDraft", "Segment", "Track", "describe_changes"]

TRACK_KINDS = {0: "Video", 1: "BGM", 7: "Title"}
_NAME_KEYS = ("n", "name", "title", "tx", "text", "content", "label")
_URL_KEYS = ("url", "src", "u", "cdn_url", "path")
_START_KEYS = ("st", "s", "start", "ts", "tl")
_DUR_KEYS = ("d", "dur", "duration")
_END_KEYS = ("e", "end", "et")
_VOLUME_KEYS = ("v", "vol", "volume")


def _first(mapping: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        value = mapping.get(key)
        if value not in (None, ""):
            return value
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Segment:
    """What a summary line needs of one segment (times in seconds)."""

    name: str | None
    start_s: float | None
    end_s: float | None
    volume_pct: float | None

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> Segment:
        name = _first(raw, _NAME_KEYS)
        if not isinstance(name, str):
            url = _first(raw, _URL_KEYS)
            name = PurePosixPath(str(url).split("?", 1)[0]).stem if isinstance(url, str) else None
        start_ms = _number(_first(raw, _START_KEYS))
        duration_ms = _number(_first(raw, _DUR_KEYS))
        end_ms = _number(_first(raw, _END_KEYS))
        start_s = start_ms / 1000 if start_ms is not None else (0.0 if duration_ms is not None else None)
        end_s: float | None = None
        if end_ms is not None:
            end_s = end_ms / 1000
        elif duration_ms is not None:
            end_s = (start_s or 0.0) + duration_ms / 1000
        volume = _number(_first(raw, _VOLUME_KEYS))
        if volume is not None and volume <= 1.0:
            volume *= 100  # a 0-1 gain, shown as percent
        return cls(name=name, start_s=start_s, end_s=end_s, volume_pct=volume)


@dataclass(frozen=True)
class Track:
    kind: str
    segments: tuple[Segment, ...]

    def describe(self) -> str:
        """``BGM: Lo-fi (0-10s, 35%)``; a title's text is quoted."""
        first = self.segments[0] if self.segments else None
        name = (first.name if first else None) or ("empty" if first is None else "untitled")
        if self.kind == "Title" and first is not None and first.name:
            name = f'"{first.name}"'
        extra: list[str] = []
        starts = [s.start_s for s in self.segments if s.start_s is not None]
        ends = [s.end_s for s in self.segments if s.end_s is not None]
        if starts and ends:
            extra.append(f"{format_seconds(min(starts))}-{format_seconds(max(ends))}s")
        if self.kind == "BGM" and first is not None and first.volume_pct is not None:
            extra.append(f"{round(first.volume_pct)}%")
        if len(self.segments) > 1:
            extra.append(f"{len(self.segments)} segments")
        return f"{self.kind}: {name}" + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class NemoDraft:
    """The ``state`` object of ``GET /api/state/.../latest``, kept verbatim."""

    state: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> NemoDraft:
        state = payload.get("state")
        return cls(dict(state) if isinstance(state, Mapping) else {})

    @classmethod
    def from_json(cls, text: str) -> NemoDraft:
        data = json.loads(text)
        return cls(dict(data) if isinstance(data, Mapping) else {})

    def to_json(self) -> str:
        return json.dumps(self.state, ensure_ascii=False, sort_keys=True)

    @property
    def draft(self) -> dict[str, Any]:
        draft = self.state.get("draft")
        return dict(draft) if isinstance(draft, Mapping) else {}

    @property
    def raw_tracks(self) -> list[Mapping[str, Any]]:
        tracks = self.draft.get("t")
        return [t for t in tracks if isinstance(t, Mapping)] if isinstance(tracks, list) else []

    @property
    def tracks(self) -> list[Track]:
        out: list[Track] = []
        for raw in self.raw_tracks:
            kind_code = raw.get("tt")
            kind = TRACK_KINDS.get(kind_code, f"Track ({kind_code})") if isinstance(kind_code, int) else "Track"
            segments = raw.get("sg")
            segs = [Segment.read(s) for s in segments if isinstance(s, Mapping)] if isinstance(segments, list) else []
            out.append(Track(kind, tuple(segs)))
        return out

    @property
    def video_infos(self) -> list[Mapping[str, Any]]:
        infos = self.state.get("video_infos")
        return [i for i in infos if isinstance(i, Mapping)] if isinstance(infos, list) else []

    @property
    def has_media(self) -> bool:
        return bool(self.video_infos)

    @property
    def is_ready(self) -> bool:
        """Ready to export: the draft has tracks and one of them has segments (§7)."""
        return "t" in self.draft and any(isinstance(t.get("sg"), list) and t["sg"] for t in self.raw_tracks)

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.draft.get("m")
        return dict(meta) if isinstance(meta, Mapping) else {}

    @property
    def width(self) -> int:
        return int(_number(self.metadata.get("width")) or _number(self._info("width")) or 0)

    @property
    def height(self) -> int:
        return int(_number(self.metadata.get("height")) or _number(self._info("height")) or 0)

    @property
    def duration_s(self) -> float:
        ms = _number(self.draft.get("d"))
        if ms is not None:
            return ms / 1000
        return _number(self._info("duration")) or 0.0

    def _info(self, key: str) -> Any:
        return self.video_infos[0].get(key) if self.video_infos else None

    @property
    def bgm_title(self) -> str | None:
        for track in self.tracks:
            if track.kind == "BGM" and track.segments and track.segments[0].name:
                return track.segments[0].name
        return None

    def fingerprint(self) -> str:
        """What counts as "the draft changed": the draft and the media in the session."""
        keys = ("draft", "video_infos", "generated_media")
        return json.dumps({k: self.state.get(k) for k in keys}, sort_keys=True, ensure_ascii=False)

    def summary(self, lang: str = "en") -> str:
        """``Timeline (3 tracks): 1. Video: … (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "…" (0-3s)``.

        The tracks are described as the cloud draft names them; the frame around them is in ``lang``."""
        tracks = self.tracks
        if not tracks:
            return say("nemo_draft_empty", lang)
        numbered = " ".join(f"{i}. {t.describe()}" for i, t in enumerate(tracks, start=1))
        key = "timeline_summary_one" if len(tracks) == 1 else "timeline_summary"
        return say(key, lang, count=len(tracks), parts=numbered)


def describe_changes(before: NemoDraft | None, after: NemoDraft) -> list[str]:
    """What changed between two drafts, as short sentences (empty when nothing did)."""
    if before is not None and before.fingerprint() == after.fingerprint():
        return []
    old = {t.describe(): t for t in (before.tracks if before else [])}
    new = {t.describe(): t for t in after.tracks}
    added = [d for d in new if d not in old]
    removed = [d for d in old if d not in new]
    changes: list[str] = []
    old_kinds = {t.kind for t in old.values()}
    new_kinds = {t.kind for t in new.values()}
    for desc in added:
        kind = new[desc].kind
        verb = "changed" if kind in old_kinds and kind in new_kinds else "added"
        changes.append(f"{verb} {desc}")
    for desc in removed:
        if old[desc].kind not in new_kinds:
            changes.append(f"removed {desc}")
    before_media = len(before.state.get("generated_media") or []) if before else 0
    after_media = len(after.state.get("generated_media") or [])
    if after_media > before_media:
        changes.append(f"generated {after_media - before_media} new media file(s)")
    if not changes:
        changes.append("adjusted the draft (details the summary does not show)")
    return changes
