"""The project's exception tree.

    MusicCogError                root: anything this project raises on purpose
    ├── InputRejected            the user's input cannot be used; ``reason`` is safe to show them
    ├── LibraryError             the music library is empty or a track cannot be used
    ├── RenderFailed             FFmpeg or the audio chain failed on input we had accepted
    ├── BackendUnavailable       a backend (e.g. the cloud one) cannot be reached
    └── BackendRefused           a backend refused for a reason the user can act on (credits, plan);
                                 ``reason`` is safe to show them

Lower-level errors (PyAV, subprocess, sqlite) are wrapped where they enter, cause kept.

The two errors a user reads carry a phrase key and its values, not a sentence: whoever tells the user
words it in their language (``exc.in_language("zh")``); ``reason`` is the English wording (logs, CLI).
"""

from __future__ import annotations

from typing import Any

from bot.language import has_phrase, say

__all__ = [
    "BackendRefused",
    "BackendUnavailable",
    "InputRejected",
    "LibraryError",
    "MusicCogError",
    "PlatformFileTooBig",
    "RenderFailed",
]


class _Worded(Exception):
    """An error told to the user: a phrase ``key`` of :mod:`bot.language` and the ``values`` it names.

    Every raise names a phrase (``tests/language/test_keys_in_use.py`` checks the source); a ``key`` that is
    no phrase is still shown as it stands rather than failing, so a slip never costs the user the answer.
    """

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    @property
    def reason(self) -> str:
        """The English wording (for logs and the command line)."""
        return self.in_language("en")

    def in_language(self, lang: str) -> str:
        """The wording in ``lang`` (English where that language lacks the phrase)."""
        if not has_phrase(self.key):
            return self.key
        return say(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.reason

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword values do not survive the default exception pickling (workers send errors back by pickle)
        return (_rebuild, (type(self), self.key, self.values), self.__dict__)


def _rebuild(cls: type[_Worded], key: str, values: dict[str, Any]) -> _Worded:
    return cls(key, **values)


class MusicCogError(Exception):
    """Root of every error this project raises on purpose."""


class InputRejected(_Worded, MusicCogError):
    """The input cannot be used. ``in_language(lang)`` is one friendly sentence, safe to show the user."""


class PlatformFileTooBig(InputRejected):
    """The chat platform will not hand the file over (over its download limit): the upload page, when it
    is on, is the way round, so the engine offers it with this sentence."""


class LibraryError(MusicCogError):
    """The music library cannot provide a usable track."""


class RenderFailed(MusicCogError):
    """Mixing or rendering failed on an input that had been accepted."""


class BackendUnavailable(MusicCogError):
    """A backend cannot be reached or refused to serve."""


class BackendRefused(_Worded, MusicCogError):
    """A backend said no for a reason the user can act on (out of credits, plan does not allow export).
    ``in_language(lang)`` is one friendly sentence (it may carry a registration link), safe to show the user."""
