"""The starter pack's analyses, shipped with the code, so a fresh install does not have to listen to it.

The pack (``immich-memories-music``) is a pinned set of files; analysing its 28 tracks on a fresh machine
costs ~30-40 s on two cores, most of it numba compiling librosa's kernels on first use. The results are
deterministic for a file's content and the analysers' version, so they are kept here keyed by content
hash and ``ANALYSIS_VERSION``: a track whose bytes differ (another pack release) or an analysis version
bump simply falls through to live analysis. Regenerate after changing the analysers::

    python -m bot.media.pack_cache
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from pathlib import Path

from bot.media.models import AudioFeatures

__all__ = ["CACHE_FILE", "cached_analysis", "main"]

CACHE_FILE = Path(__file__).with_name("pack_analyses.json")


@functools.cache
def _entries() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(CACHE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached_analysis(content_hash: str, analysis_version: int) -> AudioFeatures | None:
    """The shipped analysis of a pack file with this content, made by this analysis version, if there is one."""
    entry = _entries().get(f"{analysis_version}:{content_hash}")
    if not isinstance(entry, dict):
        return None
    raw = {key: tuple(value) if isinstance(value, list) else value for key, value in entry.items()}
    try:
        return AudioFeatures(**raw)  # type: ignore[arg-type]
    except TypeError:
        return None  # written by another shape of AudioFeatures: analyse live


def main() -> int:
    """Analyse the installed starter pack live and write the cache file beside this module."""
    from bot.media.library import ANALYSIS_VERSION, content_hash, iter_audio_files, read_tags, starter_pack_dir
    from bot.media.music_analysis import analyse_file

    pack = starter_pack_dir()
    if pack is None:
        print("the starter pack is not installed", file=sys.stderr)
        return 1
    entries = {}
    for path in iter_audio_files(pack):
        tags = read_tags(path, root=pack)
        features = analyse_file(path, bpm_hint=tags.bpm)
        entries[f"{ANALYSIS_VERSION}:{content_hash(path)}"] = dataclasses.asdict(features)
        print(f"analysed {path.name}", file=sys.stderr)
    CACHE_FILE.write_text(json.dumps(entries, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} analyses to {CACHE_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
