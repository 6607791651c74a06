"""Settings from the environment (and a ``.env`` file), typed and validated in one place."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("best-music-cog", appauthor=False))


class Settings(BaseSettings):
    """Everything an operator can set. Names are the environment variables, prefix ``MUSICCOG_``."""

    model_config = SettingsConfigDict(env_prefix="MUSICCOG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    library_dirs: str = ""
    """Extra music folders, separated by ``os.pathsep``; folder names are mood tags."""
    use_starter_pack: bool = True
    share_user_songs: bool = False
    """Add songs users send ("use this song") to the shared library; off by default (their music is theirs)."""
    max_duration_s: float = 600.0
    max_input_mb: float = 500.0
    max_pixels: int = 7680 * 4320
    ffmpeg_timeout_s: float = 900.0

    @property
    def library_paths(self) -> list[Path]:
        return [Path(p).expanduser() for p in self.library_dirs.split(os.pathsep) if p.strip()]

    @property
    def max_input_bytes(self) -> int:
        return int(self.max_input_mb * 1_000_000)

    @property
    def user_songs_dir(self) -> Path:
        return self.data_dir / "user-songs"

    @property
    def library_db(self) -> Path:
        return self.data_dir / "library.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
