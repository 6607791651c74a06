"""Chat platform front ends (Telegram, Discord): platform events in, engine replies out, nothing else."""

__all__: list[str] = []
