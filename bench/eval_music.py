"""How well does the music analysis agree with the bundled pack's catalog?

``python -m bench.eval_music`` (or ``python bench/eval_music.py``) analyses every track of the
``immich-memories-music`` pack from its audio alone (folder names are *not* passed in) and prints
one row per track against the catalog (tempo, key and mode the tracks were generated with, from the
pack's LICENSE-MUSIC) and the folder mood, then the totals and the analysis time. numba compiles
librosa's beat tracker on first use, so one short warm-up analysis runs before the clock starts.
The machine may be shared: the load average is printed with the time.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.media.models import AudioFeatures  # noqa: E402
from bot.media.music_analysis import analyse_file, analyse_samples  # noqa: E402

TEMPO_TOLERANCE = 0.04
_CATALOG_LINE = re.compile(r"^\s*(\S+)\.opus\s+(\d+(?:\.\d+)?)\s*bpm\s+([A-G][#b]?)\s+(major|minor)", re.MULTILINE)
_ENHARMONIC = {"A#": "Bb", "Db": "C#", "D#": "Eb", "Gb": "F#", "G#": "Ab"}


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    bpm: float
    key: str
    mode: str


@dataclass(frozen=True)
class TrackResult:
    name: str
    folder_mood: str
    catalog: CatalogEntry
    features: AudioFeatures
    seconds: float

    @property
    def tempo_ok(self) -> bool:
        return abs(self.features.bpm / self.catalog.bpm - 1.0) <= TEMPO_TOLERANCE

    @property
    def tempo_octave_ok(self) -> bool:
        ratio = self.features.bpm / self.catalog.bpm
        return any(abs(ratio / k - 1.0) <= TEMPO_TOLERANCE for k in (0.5, 1.0, 2.0))

    @property
    def mode_ok(self) -> bool:
        return self.features.mode == self.catalog.mode

    @property
    def key_ok(self) -> bool:
        return self.mode_ok and _ENHARMONIC.get(self.features.key, self.features.key) == self.catalog.key

    @property
    def mood_ok(self) -> bool:
        return bool(self.features.audio_moods) and self.features.audio_moods[0] == self.folder_mood


@dataclass(frozen=True)
class Summary:
    n: int
    tempo: int
    tempo_octave: int
    mode: int
    key: int
    mood: int
    mood_any: int
    """The folder mood is one of the (up to two) inferred moods."""
    seconds: float
    cpu_seconds: float
    """Process CPU time: steadier than wall time on a shared machine."""


def pack_dir() -> Path:
    from immich_memories_music import tracks_dir

    return Path(tracks_dir())


def load_catalog() -> dict[str, CatalogEntry]:
    """Track stem -> catalog entry, parsed from the pack's LICENSE-MUSIC."""
    dist = importlib.metadata.distribution("immich-memories-music")
    text = None
    for f in dist.files or ():
        if f.name == "LICENSE-MUSIC":
            text = Path(str(dist.locate_file(f))).read_text(encoding="utf-8")
            break
    if text is None:
        raise FileNotFoundError("LICENSE-MUSIC not found in the immich-memories-music distribution")
    out = {}
    for m in _CATALOG_LINE.finditer(text):
        out[m.group(1)] = CatalogEntry(m.group(1), float(m.group(2)), m.group(3), m.group(4))
    return out


def warm_up() -> None:
    """One short analysis so numba's compile time is not counted."""
    sr = 48000
    t = np.arange(int(6 * sr)) / sr
    clicks = (np.sin(2 * np.pi * 440 * t) * (np.mod(t, 0.5) < 0.02)).astype(np.float32)
    analyse_samples(np.vstack([clicks, clicks]), sr)


def evaluate_pack(names: Sequence[str] | None = None) -> tuple[list[TrackResult], Summary]:
    catalog = load_catalog()
    results = []
    total = 0.0
    cpu_started = time.process_time()
    for path in sorted(pack_dir().rglob("*.opus")):
        if names and path.stem not in names:
            continue
        started = time.perf_counter()
        features = analyse_file(path)
        elapsed = time.perf_counter() - started
        total += elapsed
        results.append(TrackResult(path.stem, path.parent.name, catalog[path.stem], features, elapsed))
    summary = Summary(
        n=len(results),
        tempo=sum(r.tempo_ok for r in results),
        tempo_octave=sum(r.tempo_octave_ok for r in results),
        mode=sum(r.mode_ok for r in results),
        key=sum(r.key_ok for r in results),
        mood=sum(r.mood_ok for r in results),
        mood_any=sum(r.folder_mood in r.features.audio_moods for r in results),
        seconds=total,
        cpu_seconds=time.process_time() - cpu_started,
    )
    return results, summary


def _mark(ok: bool) -> str:
    return "ok" if ok else "--"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("tracks", nargs="*", help="only these track names (stems)")
    args = parser.parse_args(argv)
    warm_up()
    results, s = evaluate_pack(args.tracks)
    head = (
        f"{'track':28} {'folder':9} {'cat bpm':>7} {'bpm':>7} {'t':2} {'t2':2}  "
        f"{'cat key':9} {'key':9} {'m':2} {'k':2}  {'moods':18} {'md':2} {'beats':>5} {'bar':>3} "
        f"{'LUFS':>6} {'sil':>9} {'s':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        f = r.features
        octave = "ok" if r.tempo_octave_ok and not r.tempo_ok else ("" if r.tempo_ok else "--")
        print(
            f"{r.name:28} {r.folder_mood:9} {r.catalog.bpm:7.1f} {f.bpm:7.2f} {_mark(r.tempo_ok):2} {octave:2}  "
            f"{r.catalog.key + ' ' + r.catalog.mode:9} {f.key + ' ' + f.mode:9} {_mark(r.mode_ok):2} "
            f"{_mark(r.key_ok):2}  {'/'.join(f.audio_moods):18} {_mark(r.mood_ok):2} {len(f.beat_times_s):5d} "
            f"{f.beats_per_bar:3d} {f.loudness_lufs:6.1f} {f.leading_silence_s:4.2f}/{f.trailing_silence_s:4.2f} "
            f"{r.seconds:5.2f}"
        )
    print("-" * len(head))
    print(f"tempo within {TEMPO_TOLERANCE:.0%}:        {s.tempo}/{s.n}")
    print(f"tempo incl. double/half:  {s.tempo_octave}/{s.n}")
    print(f"mode:                     {s.mode}/{s.n}")
    print(f"key and mode:             {s.key}/{s.n}")
    print(f"mood (first = folder):    {s.mood}/{s.n}")
    print(f"mood (folder among 1-2):  {s.mood_any}/{s.n}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"analysis time:            {s.seconds:.2f} s wall, {s.cpu_seconds:.2f} s CPU for {s.n} tracks, "
        f"{s.seconds / max(s.n, 1):.2f} s/track (decode included; load average {load:.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
