"""The NemoVideo cloud backend (issue 7): see ``backend.py`` for the flow, ``client.py`` for the wire.

Modules: ``client`` (HTTP: auth, headers, retries, the agent stream, downloads), ``envelope`` (answers
decoded, error codes as project exceptions), ``identity`` (client id, token on disk), ``multipart``
(streamed upload bodies), ``sse`` (the agent stream's events), ``turn`` (one agent turn with its
limits), ``translate`` (web-editor wording to chat wording), ``draft`` (state as ``SessionState``,
readiness, diff), ``render`` (export, poll, download), ``sessions`` (ours mapped to Nemo's, reopened
when gone), ``store`` (those records on disk). Every sentence a user reads is a ``nemo_*`` phrase
of :mod:`bot.language`.
"""

from __future__ import annotations

from bot.backends.nemo.backend import NemoBackend
from bot.backends.nemo.draft import NemoDraft

__all__ = ["NemoBackend", "NemoDraft"]
