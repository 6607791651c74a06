"""The local pipeline: probe, analyse, pick, plan, mix and render; one module per question (see README)."""

__all__: list[str] = []
