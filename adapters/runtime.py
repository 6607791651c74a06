"""What an adapter's handlers share once it is set up: the settings, the (maybe shared) services and the
progress pacer of its chats."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.progress import ProgressPacer
from bot.services import Services

__all__ = ["AdapterRuntime"]


@dataclass(frozen=True)
class AdapterRuntime:
    settings: Settings
    services: Services
    owns_services: bool
    """True when the adapter opened the services itself and must close them (not under ``musiccog run``)."""
    pacer: ProgressPacer

    @classmethod
    def create(cls, settings: Settings, services: Services, *, owns_services: bool) -> AdapterRuntime:
        pacer = ProgressPacer(
            min_interval_s=settings.progress_interval_s, still_working_after_s=settings.still_working_after_s
        )
        return cls(settings, services, owns_services, pacer)

    @property
    def engine(self) -> Engine:
        return self.services.engine
