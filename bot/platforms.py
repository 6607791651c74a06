"""The chat platforms the bot serves and their upload limits.

One place for the numbers the instruction parser ("for discord"), the size fitting and the adapters all
need: Discord's limit for bots without a boosted server is 10 MiB, Telegram's Bot API sends up to 50 MB.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DISCORD", "DISCORD_BYTES", "MB", "MIB", "PLATFORMS", "TELEGRAM", "TELEGRAM_BYTES", "Platform"]

MB = 1_000_000
MIB = 1_048_576


@dataclass(frozen=True)
class Platform:
    """A chat platform: ``key`` as code and users write it, ``name`` as shown, its upload limit in bytes."""

    key: str
    name: str
    upload_limit_bytes: int


DISCORD = Platform("discord", "Discord", 10 * MIB)
TELEGRAM = Platform("telegram", "Telegram", 50 * MB)

PLATFORMS: dict[str, Platform] = {platform.key: platform for platform in (DISCORD, TELEGRAM)}
"""Every platform by key."""

DISCORD_BYTES = DISCORD.upload_limit_bytes
TELEGRAM_BYTES = TELEGRAM.upload_limit_bytes
