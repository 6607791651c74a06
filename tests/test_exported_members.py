"""Every public surface (``__all__``) names things that exist, once each, and packages re-export what their
modules define under the same name (httpx's ``test_exported_members`` habit): the lists cannot drift."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "bot",
    "bot.engine",
    "bot.backends",
    "bot.backends.nemo",
    "bot.links",
    "bot.media.audio_io",
    "bot.media.mood",
    "bot.media.music_analysis",
    "bot.media.probe",
    "bot.media.speech",
    "bot.media.tempo",
    "bot.media.tonality",
    "bot.media.video_analysis",
    "adapters.telegram",
    "adapters.discord",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_once(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    missing = [item for item in exported if not hasattr(module, item)]
    assert missing == [], f"{name}.__all__ names what it does not define: {missing}"


def test_the_backend_package_exports_the_whole_protocol() -> None:
    import bot.backends as package
    from bot.backends import base

    public = {
        item
        for item, value in vars(base).items()
        if not item.startswith("_") and getattr(value, "__module__", None) == base.__name__
    }
    assert public <= set(package.__all__), f"not re-exported: {sorted(public - set(package.__all__))}"
