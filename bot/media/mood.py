"""Mood from audio alone: a small arousal × valence model.

Why these two axes: on the bundled pack, RMS, spectral centroid and onset strength do not
separate the moods, but tempo and mode do (calm/tender/happy are major, nostalgic minor; in BPM
calm < nostalgic < tender < happy < energetic). That matches the usual music-emotion picture:
tempo drives arousal, mode drives valence. Each mood is a prototype point:

=========  ============  ===============================================
mood       tempo (BPM)   valence (+1 major, -1 minor)
=========  ============  ===============================================
calm       70            +0.6   slow and consonant
nostalgic  80            -0.8   slow-to-moderate, minor
tender     95            +0.6   moderate, major
happy      118           +1.0   lively, major
energetic  145            0.0   fast, either mode (fast minor is still drive)
=========  ============  ===============================================

A track's valence is its mode scaled by how clearly the mode won (a near tie sits near 0), so an
ambiguous mode falls back on tempo. Distance is measured in octaves of tempo and units of
valence; the closest prototype is the mood, the next one is added when nearly as close.
Nothing here knows the pack's tracks: prototypes are round numbers for the five words.
"""

from __future__ import annotations

import logging
import math

__all__ = ["MOOD_PROTOTYPES", "infer_moods"]

logger = logging.getLogger(__name__)

MOOD_PROTOTYPES: dict[str, tuple[float, float]] = {
    "calm": (70.0, 0.6),
    "nostalgic": (80.0, -0.8),
    "tender": (95.0, 0.6),
    "happy": (118.0, 1.0),
    "energetic": (145.0, 0.0),
}
"""mood -> (prototype tempo in BPM, prototype valence); keys are exactly ``models.MOODS``."""

TEMPO_SCALE_OCT = 0.15
"""One unit of distance is 0.15 octave of tempo (~11 %: 70 vs 78 BPM)..."""
VALENCE_SCALE = 1.0
"""...or one unit of valence (half the major/minor gap)."""
MODE_MARGIN_FULL = 0.1
"""A mode that beat the other by this much correlation counts fully; less counts in proportion."""
SECOND_MOOD_GAP = 1.0
"""Add the runner-up when its squared distance is within this of the best one."""
NO_BEAT_BPM = 60.0
"""Arousal used when no beat was found (ambient, speech): slow."""


def _valence(mode: str, mode_margin: float) -> float:
    sign = 1.0 if mode == "major" else -1.0
    return sign * min(1.0, max(0.0, mode_margin) / MODE_MARGIN_FULL)


def mood_distances(*, bpm: float, mode: str, mode_margin: float) -> dict[str, float]:
    """Squared distance of the track to each mood prototype (smaller is closer)."""
    tempo = bpm if bpm > 0 else NO_BEAT_BPM
    valence = _valence(mode, mode_margin)
    out: dict[str, float] = {}
    for mood, (proto_bpm, proto_val) in MOOD_PROTOTYPES.items():
        da = math.log2(tempo / proto_bpm) / TEMPO_SCALE_OCT
        dv = (valence - proto_val) / VALENCE_SCALE
        out[mood] = da * da + dv * dv
    return out


def infer_moods(*, bpm: float, mode: str, mode_margin: float) -> tuple[str, ...]:
    """One or two moods, best first, from tempo and mode (see the module docstring)."""
    dist = mood_distances(bpm=bpm, mode=mode, mode_margin=mode_margin)
    ranked = sorted(dist, key=dist.__getitem__)
    moods: tuple[str, ...] = (ranked[0],)
    if dist[ranked[1]] - dist[ranked[0]] <= SECOND_MOOD_GAP:
        moods = (ranked[0], ranked[1])
    logger.debug(
        "moods %s from %.1f BPM %s (margin %.2f); distances %s",
        moods,
        bpm,
        mode,
        mode_margin,
        {k: round(v, 2) for k, v in dist.items()},
    )
    return moods
