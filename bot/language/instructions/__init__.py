"""The chat-instruction parser: a message in, the edits it asks for out, as data (see ``parser.py``).

Modules: ``message`` prepares the text (quotes masked), ``numbers`` reads numbers and times, ``rules``
is the ordered table of phrase families, ``builders`` reads a rule's match into items, ``leftover``
reports what nothing matched, ``parser`` runs them, ``items`` is what comes out.
"""

from __future__ import annotations

from bot.language.instructions.items import EditKind, Item, ParsedEdit, Problem
from bot.language.instructions.parser import ReadMessage, message_language, read_message

__all__ = ["EditKind", "Item", "ParsedEdit", "Problem", "ReadMessage", "message_language", "read_message"]
