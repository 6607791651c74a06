"""The NemoVideo cloud backend (issue 7): see ``backend.py`` for the flow, ``client.py`` for the wire.

Modules: ``client`` (auth, headers, envelope, retries, error codes), ``sse`` (the agent stream's
events), ``turn`` (one agent turn with its limits), ``translate`` (web-editor wording to chat wording),
``draft`` (state as ``SessionState``, readiness, diff), ``render`` (export, poll, download), ``store``
(our session ids mapped to Nemo's, on disk).
"""

from __future__ import annotations

from bot.backends.nemo.backend import NemoBackend
from bot.backends.nemo.draft import NemoDraft

__all__ = ["NemoBackend", "NemoDraft"]
