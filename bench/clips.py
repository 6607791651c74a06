"""The benchmark's clip: 60 s of 1080p30 H.264 at a phone-like bitrate, with cuts and speech-like sound.

Made once and cached in the user cache dir (``platformdirs``: ``~/.cache/musiccog/bench`` on Linux), never in
the checkout. testsrc2 alone compresses far below a
phone's bitrate, so film grain is added until it really is ~8 Mbit/s; GOP 2 s with B-frames, as phones.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from bot.demo import make_demo_clip

CACHE = Path(platformdirs.user_cache_dir("musiccog")) / "bench"
BENCH_CUTS_S = (2.0, 5.0, 7.5, 10.0, 13.0, 16.0, 18.5, 21.0, 24.0, 27.5, 30.0, 33.0, 36.5, 39.0, 42.0, 45.5,
                48.0, 51.0, 54.0, 57.0)  # fmt: skip
BENCH_TALK_S = ((3.0, 9.0), (14.0, 20.0), (31.0, 38.0), (47.0, 55.0))
PHONE_LIKE_X264 = ("-preset", "veryfast", "-b:v", "8M", "-maxrate", "10M", "-bufsize", "16M", "-g", "60", "-bf", "2")


def bench_clip(*, duration_s: float = 60.0, size: tuple[int, int] = (1920, 1080)) -> Path:
    """The cached benchmark clip (made on first use, a minute or two on 2 cores)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"bench-{size[0]}x{size[1]}-{int(duration_s)}s.mp4"
    if path.exists():
        return path
    tmp = path.with_name(f"{path.stem}.part.mp4")
    make_demo_clip(
        tmp,
        duration_s=duration_s,
        size=size,
        cut_times_s=[c for c in BENCH_CUTS_S if c < duration_s],
        talk=[(a, min(b, duration_s)) for a, b in BENCH_TALK_S if a < duration_s],
        grain=12,
        video_args=PHONE_LIKE_X264,
    )
    tmp.rename(path)
    return path
