"""The project's exception tree.

    MusicCogError                root: anything this project raises on purpose
    ├── InputRejected            the user's input cannot be used; ``reason`` is safe to show them
    ├── LibraryError             the music library is empty or a track cannot be used
    ├── RenderFailed             FFmpeg or the audio chain failed on input we had accepted
    ├── BackendUnavailable       a backend (e.g. the cloud one) cannot be reached
    └── BackendRefused           a backend refused for a reason the user can act on (credits, plan);
                                 ``reason`` is safe to show them

Lower-level errors (PyAV, subprocess, sqlite) are wrapped where they enter, cause kept.
"""

from __future__ import annotations


class MusicCogError(Exception):
    """Root of every error this project raises on purpose."""


class InputRejected(MusicCogError):
    """The input cannot be used. ``reason`` is one friendly sentence, safe to show the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LibraryError(MusicCogError):
    """The music library cannot provide a usable track."""


class RenderFailed(MusicCogError):
    """Mixing or rendering failed on an input that had been accepted."""


class BackendUnavailable(MusicCogError):
    """A backend cannot be reached or refused to serve."""


class BackendRefused(MusicCogError):
    """A backend said no for a reason the user can act on (out of credits, plan does not allow export).
    ``reason`` is one friendly sentence (it may carry a registration link), safe to show the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
