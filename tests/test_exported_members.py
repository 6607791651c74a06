"""Every public surface (``__all__``) names things that exist, once each, and packages re-export what their
modules define under the same name (httpx's ``test_exported_members`` habit): the lists cannot drift."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

PACKAGES = ("bot", "adapters")


def _public_modules() -> list[str]:
    """Every module of the project's packages whose name does not start with an underscore."""
    found = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        found.append(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not info.name.rsplit(".", 1)[-1].startswith("_"):
                found.append(info.name)
    return found


MODULES = _public_modules()


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_once(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} says nothing of what it offers: give it an __all__"
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
