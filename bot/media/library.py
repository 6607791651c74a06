"""The music library: the starter pack plus operator folders, analysed once and cached.

A folder directly below a scanned root names the mood of the tracks in it (the starter pack's
layout: ``calm/``, ``happy/``, ...). Embedded tags (title, artist, genre, mood, BPM) win over the
folder when present. Analyses are cached by content hash in ``library.sqlite3`` under the data dir.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.config import Settings, get_settings
from bot.errors import InputRejected, LibraryError
from bot.language.vocabulary import canonical_mood
from bot.media.models import AudioFeatures, Track, TrackTags
from bot.media.pack_cache import cached_analysis
from bot.store import LibraryStore

__all__ = [
    "ANALYSIS_VERSION",
    "AUDIO_SUFFIXES",
    "TRACK_ID_LENGTH",
    "Library",
    "ScanProgress",
    "analyse_song",
    "analyse_track_file",
    "content_hash",
    "find_track",
    "format_report",
    "iter_audio_files",
    "library_roots",
    "load_library",
    "loaded_library",
    "read_tags",
    "scan",
    "share_user_song",
    "starter_pack_dir",
    "track_report",
    "write_pack_cache",
]

logger = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".mp3", ".wav", ".flac", ".ogg", ".opus", ".m4a", ".aac"})
ANALYSIS_VERSION = 1
"""Bump when the analysers change so cached analyses are recomputed."""
TRACK_ID_LENGTH = 10

ScanProgress = Callable[[int, int, str], None]
"""``(done, total, file name)`` while a scan analyses files."""


def starter_pack_dir() -> Path | None:
    """The bundled royalty-free pack (PyPI ``immich-memories-music``), if installed."""
    try:
        from immich_memories_music import tracks_dir
    except ImportError:  # pragma: no cover - it is a hard dependency
        return None
    path = Path(tracks_dir())
    return path if path.is_dir() else None


def content_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first(tags: object, *keys: str) -> str | None:
    getter = getattr(tags, "get", None)
    if getter is None:
        return None
    for key in keys:
        value = getter(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _title_from_stem(stem: str) -> str:
    return " ".join(part.capitalize() for part in stem.replace("-", "_").split("_") if part)


def read_tags(path: Path, *, root: Path | None, ignore_tags: bool = False) -> TrackTags:
    """Title, artist, genre, moods and BPM from embedded tags, else from the folder and file name."""
    if ignore_tags:
        return TrackTags(title=path.stem)
    title = artist = genre = mood_text = bpm_text = None
    try:
        import mutagen

        audio = mutagen.File(str(path), easy=True)
        if audio is not None and audio.tags is not None:
            tags = audio.tags
            title = _first(tags, "title", "TITLE")
            artist = _first(tags, "artist", "ARTIST")
            genre = _first(tags, "genre", "GENRE")
            mood_text = _first(tags, "mood", "MOOD")
            bpm_text = _first(tags, "bpm", "BPM", "TBPM", "tempo")
    except Exception as exc:  # mutagen raises many types on odd files; tags are optional
        logger.debug("no tags read from %s: %s", path.name, exc)
    moods: tuple[str, ...] = ()
    source: str | None = None
    if mood_text:
        found = [canonical_mood(part) or part.strip().lower() for part in mood_text.replace(";", ",").split(",")]
        moods = tuple(dict.fromkeys(m for m in found if m))[:2]
        source = "tags" if moods else None
    if not moods and root is not None and path.parent != root:
        folder = path.parent.name
        moods = (canonical_mood(folder) or folder.lower(),)
        source = "folder"
    bpm: float | None = None
    if bpm_text:
        try:
            bpm = float(bpm_text.split()[0])
        except ValueError:
            bpm = None
        if bpm is not None and not 30 <= bpm <= 300:
            bpm = None
    return TrackTags(
        title=title or _title_from_stem(path.stem),
        artist=artist,
        genre=genre,
        moods=moods,
        moods_source=source,
        bpm=bpm,
    )


def _features_to_json(features: AudioFeatures) -> str:
    return json.dumps(dataclasses.asdict(features), separators=(",", ":"))


def _features_from_json(text: str) -> AudioFeatures:
    raw = json.loads(text)
    for key, value in raw.items():
        if isinstance(value, list):
            raw[key] = tuple(value)
    return AudioFeatures(**raw)


def _tags_to_json(tags: TrackTags) -> str:
    return json.dumps(dataclasses.asdict(tags), separators=(",", ":"), ensure_ascii=False)


def _tags_from_json(text: str) -> TrackTags:
    raw = json.loads(text)
    raw["moods"] = tuple(raw.get("moods") or ())
    return TrackTags(**raw)


def iter_audio_files(root: Path) -> list[Path]:
    """Audio files below ``root`` (or ``root`` itself), sorted for a stable library order."""
    if root.is_file():
        return [root] if root.suffix.lower() in AUDIO_SUFFIXES else []
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")
    )


def analyse_track_file(
    path: Path,
    *,
    store: LibraryStore | None,
    root: Path | None,
    ignore_tags: bool = False,
) -> Track:
    """Analyse (or fetch from the cache) one audio file and return it as a library track."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputRejected("audio_file_unreadable", name=path.name) from exc
    key = str(path.resolve())
    cached = store.get_file(key) if store and not ignore_tags else None
    if cached and cached.size_bytes == stat.st_size and cached.mtime_ns == stat.st_mtime_ns:
        digest = cached.content_hash
        tags = _tags_from_json(cached.tags_json)
    else:
        digest = content_hash(path)
        tags = read_tags(path, root=root, ignore_tags=ignore_tags)
    features_json = store.get_analysis(digest, ANALYSIS_VERSION) if store and not ignore_tags else None
    shipped = cached_analysis(digest, ANALYSIS_VERSION) if features_json is None and not ignore_tags else None
    if features_json is not None:
        features = _features_from_json(features_json)
    elif shipped is not None:
        features = shipped
        if store is not None:
            store.put_analysis(digest, ANALYSIS_VERSION, _features_to_json(features))
    else:
        from bot.media.music_analysis import analyse_file  # librosa is heavy: import only when analysing

        logger.info("analysing %s", path.name)
        features = analyse_file(path, bpm_hint=tags.bpm)
        if store is not None and not ignore_tags:
            store.put_analysis(digest, ANALYSIS_VERSION, _features_to_json(features))
    if store is not None and not ignore_tags:
        store.put_file(
            path=key,
            size_bytes=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            content_hash=digest,
            tags_json=_tags_to_json(tags),
            root=str(root.resolve()) if root else key,
        )
    return Track(id=digest[:TRACK_ID_LENGTH], path=key, content_hash=digest, tags=tags, features=features)


def scan(
    roots: Sequence[Path],
    *,
    store: LibraryStore | None,
    ignore_tags: bool = False,
    on_progress: ScanProgress | None = None,
) -> list[Track]:
    """Index every audio file below ``roots``; unchanged files cost one ``stat`` and one query."""
    work: list[tuple[Path, Path]] = []
    for root in roots:
        if not root.exists():
            raise LibraryError(f"Music folder not found: {root}")
        files = iter_audio_files(root)
        work += [(f, root if root.is_dir() else f.parent) for f in files]
        if store is not None and root.is_dir() and not ignore_tags:
            store.forget_missing(root=str(root.resolve()), present={str(f.resolve()) for f in files})
    tracks: dict[str, Track] = {}
    for done, (path, root) in enumerate(work):
        if on_progress:
            on_progress(done, len(work), path.name)
        try:
            track = analyse_track_file(path, store=store, root=root, ignore_tags=ignore_tags)
        except InputRejected as exc:
            logger.warning("skipping %s: %s", path.name, exc.reason)
            continue
        tracks.setdefault(track.id, track)
    if on_progress:
        on_progress(len(work), len(work), "")
    return list(tracks.values())


def library_roots(settings: Settings | None = None, extra: Iterable[Path] = ()) -> list[Path]:
    """The starter pack (unless disabled), ``MUSICCOG_LIBRARY_DIRS`` and any extra folders."""
    settings = settings or get_settings()
    roots: list[Path] = []
    pack = starter_pack_dir() if settings.use_starter_pack else None
    if pack is not None:
        roots.append(pack)
    roots += settings.library_paths
    if settings.share_user_songs and settings.user_songs_dir.is_dir():
        roots.append(settings.user_songs_dir)
    roots += list(extra)
    return list(dict.fromkeys(roots))


def load_library(
    settings: Settings | None = None,
    *,
    extra: Iterable[Path] = (),
    on_progress: ScanProgress | None = None,
) -> list[Track]:
    """Every track the bot may use, analysed; the first call indexes, later ones read the cache."""
    settings = settings or get_settings()
    roots = library_roots(settings, extra)
    with LibraryStore(settings.library_db, analyses_url=settings.state_database_url) as store:
        tracks = scan(roots, store=store, on_progress=on_progress)
    if not tracks:
        raise LibraryError("The music library is empty: install the starter pack or set MUSICCOG_LIBRARY_DIRS.")
    return tracks


_LOADED: dict[tuple[str, ...], Library] = {}


def loaded_library(settings: Settings | None = None) -> Library:
    """The library, loaded (scanned and read from the index) once per process and kept.

    A bot's worker renders many clips; scanning the folders for each would cost a ``stat`` per file and a
    query per track every time. Tracks added to the folders later are seen by processes started later.
    """
    settings = settings or get_settings()
    key = (str(settings.library_db), *(str(root) for root in library_roots(settings)))
    library = _LOADED.get(key)
    if library is None:
        library = _LOADED[key] = Library(load_library(settings))
    return library


def find_track(tracks: Sequence[Track], ref: str) -> Track | None:
    """A track by id (or unique id prefix), file path, or file stem."""
    by_id = [t for t in tracks if t.id.startswith(ref)]
    if len(by_id) == 1:
        return by_id[0]
    ref_path = os.path.abspath(os.path.expanduser(ref))
    for track in tracks:
        if track.path == ref_path or Path(track.path).stem == ref:
            return track
    return None


def track_report(track: Track) -> dict[str, object]:
    """The per-track facts ``musiccog library analyze --json`` prints."""
    f = track.features
    moods = track.moods[:2] if track.tags.moods else f.audio_moods[:2]
    return {
        "path": track.path,
        "id": track.id,
        "title": track.title,
        "duration_s": round(f.duration_s, 3),
        "bpm": round(f.bpm, 2),
        "bpm_source": "tags" if track.tags.bpm else "audio",
        "key": f.key,
        "mode": f.mode,
        "loudness_lufs": round(f.loudness_lufs, 2),
        "moods": list(moods),
        "moods_source": track.moods_source,
        "beats": len(f.beat_times_s),
        "downbeats": len(f.downbeat_times_s),
        "beats_per_bar": f.beats_per_bar,
        "leading_silence_s": round(f.leading_silence_s, 3),
        "trailing_silence_s": round(f.trailing_silence_s, 3),
    }


def format_report(row: dict[str, object]) -> str:
    moods = row["moods"]
    mood_text = ", ".join(moods) if isinstance(moods, list) else str(moods)
    return (
        f"{Path(str(row['path'])).name}: {row['bpm']} BPM ({row['bpm_source']}), {row['key']} {row['mode']}, "
        f"{row['loudness_lufs']} LUFS, {row['duration_s']} s, moods {mood_text} ({row['moods_source']})"
    )


def share_user_song(track: Track, settings: Settings) -> Path:
    """Copy a user's song into the shared library's folder (only when the operator enabled sharing)."""
    import shutil

    settings.user_songs_dir.mkdir(parents=True, exist_ok=True)
    source = Path(track.path)
    target = settings.user_songs_dir / f"{source.stem}-{track.id}{source.suffix.lower()}"
    if not target.exists():
        shutil.copyfile(source, target)
    return target


class Library:
    """The tracks a render may use, by id: loaded once per worker process, plus the user songs in play.

    A render never scans or ranks; it only looks up the track its timeline names (``track_for``).
    """

    def __init__(self, tracks: Iterable[Track], *, user_songs: Iterable[Track] = ()) -> None:
        self.tracks: tuple[Track, ...] = tuple(tracks)
        self._by_id = {track.id: track for track in self.tracks}
        self._songs = {track.path: track for track in user_songs}

    def __len__(self) -> int:
        return len(self.tracks)

    def get(self, track_id: str) -> Track | None:
        return self._by_id.get(track_id)

    def find(self, ref: str) -> Track | None:
        """A library track by id (or unique id prefix), file path or file stem (``--track``)."""
        return find_track(self.tracks, ref)

    def with_user_song(self, song: Track) -> Library:
        """This library plus one analysed song of a user's (not added to the shared tracks)."""
        return Library(self.tracks, user_songs=(*self._songs.values(), song))

    def titles(self) -> dict[str, str]:
        return {track.id: track.title for track in self.tracks}

    def track_for(self, track_id: str | None, user_path: str | None) -> Track:
        """The track a timeline's music names; ``LibraryError`` if it is not here (a bug or a removed track)."""
        found = self._by_id.get(track_id) if track_id else self._songs.get(str(Path(user_path or "").resolve()))
        if found is None:
            raise LibraryError(f"The music {track_id or user_path!r} is not in the library any more.")
        return found


def analyse_song(path: Path, settings: Settings) -> Track:
    """A user's song analysed (cached by content in the library index) and, if the operator allows, shared."""
    if not path.is_file():
        raise InputRejected("no_such_track", name=str(path))
    with LibraryStore(settings.library_db, analyses_url=settings.state_database_url) as store:
        track = analyse_track_file(path, store=store, root=None)
    if settings.share_user_songs and path.suffix.lower() in AUDIO_SUFFIXES:
        share_user_song(track, settings)
    return track


def write_pack_cache() -> int:
    """Analyse the installed starter pack live and write the shipped cache (``pack_cache.CACHE_FILE``); returns
    how many tracks it holds. Run after changing the analysers (and bump ``ANALYSIS_VERSION``)."""
    from bot.media.music_analysis import analyse_file
    from bot.media.pack_cache import CACHE_FILE

    pack = starter_pack_dir()
    if pack is None:
        raise LibraryError("The starter pack is not installed.")
    entries = {}
    for path in iter_audio_files(pack):
        features = analyse_file(path, bpm_hint=read_tags(path, root=pack).bpm)
        entries[f"{ANALYSIS_VERSION}:{content_hash(path)}"] = dataclasses.asdict(features)
    CACHE_FILE.write_text(json.dumps(entries, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    return len(entries)
