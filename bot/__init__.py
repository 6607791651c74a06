"""Best Music Cog: the right background music under your videos."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("best-music-cog")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
