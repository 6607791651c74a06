"""Read the agent's ``/run_sse`` stream: SSE framing, then each event as text, tool use, heartbeat or error.

Two event shapes are accepted (§4): ADK's (``content.parts[]`` with ``text``/``functionCall``/
``functionResponse``, ``partial``, ``errorCode``) and the simplified v4.4 one (``{"type": "text" |
"tool_call" | "tool_result" | "heartbeat" | "error", ...}``). Heartbeats come three ways: the heartbeat
event, an empty ``data:`` line and a ``:`` comment; all become :class:`Heartbeat` so the caller can tell
"alive but idle" from real work. The end of a turn is the server closing the stream (no done event).

Why the SSE framing is parsed here rather than by ``httpx-sse`` (dropped from the dependencies): its
decoder discards ``:`` comment lines, one of the three ways NemoVideo sends a heartbeat, so a turn
kept alive by comments would look silent (no ``Stage`` progress while the agent works). The framing
we need (``data:`` lines joined, a blank line ends an event, comments are heartbeats) is
:func:`sse_data`, twenty lines with its own test.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TEMPORARY_ISSUE",
    "AgentError",
    "Heartbeat",
    "Item",
    "Text",
    "ToolCall",
    "ToolResult",
    "TurnText",
    "parse_event",
    "sse_data",
]

logger = logging.getLogger(__name__)

TEMPORARY_ISSUE = re.compile(r"i encountered a temporary issue", re.IGNORECASE)
"""The agent sometimes appends this after a normal answer; it is noise then (§4)."""


@dataclass(frozen=True)
class Text:
    text: str
    partial: bool = False


@dataclass(frozen=True)
class ToolCall:
    name: str


@dataclass(frozen=True)
class ToolResult:
    name: str


@dataclass(frozen=True)
class Heartbeat:
    pass


@dataclass(frozen=True)
class AgentError:
    """An error event; ``code`` is the service's numeric code when it gave one."""

    code: int | None
    message: str


Item = Text | ToolCall | ToolResult | Heartbeat | AgentError


async def sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str | None]:
    """The ``data`` of each SSE event, or None for a heartbeat (comment line or empty data)."""
    buffer: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if line.startswith(":"):
            yield None
            continue
        if line == "":
            if buffer:
                joined = "\n".join(buffer)
                buffer.clear()
                yield joined if joined.strip() else None
            continue
        name, _, value = line.partition(":")
        if name == "data":
            buffer.append(value[1:] if value.startswith(" ") else value)
    if buffer:
        joined = "\n".join(buffer)
        yield joined if joined.strip() else None


def parse_event(data: str | None) -> list[Item]:
    """The items of one event's data (empty for anything we cannot read, which is logged and skipped)."""
    if data is None:
        return [Heartbeat()]
    try:
        event = json.loads(data)
    except ValueError:
        logger.debug("skipping a non-JSON agent event")
        return []
    if not isinstance(event, dict):
        return []
    kind = event.get("type")
    if isinstance(kind, str):
        return _simplified(kind, event)
    return _adk(event)


def _simplified(kind: str, event: dict[str, Any]) -> list[Item]:
    if kind == "heartbeat":
        return [Heartbeat()]
    if kind == "text":
        content = event.get("content", event.get("text", ""))
        return [Text(str(content), bool(event.get("partial")))] if content else []
    if kind in ("tool_call", "tool_result"):
        name = str(event.get("name") or event.get("tool") or event.get("tool_name") or "tool")
        return [ToolCall(name) if kind == "tool_call" else ToolResult(name)]
    if kind == "error":
        return [_error(event.get("code"), event.get("message") or event.get("error") or event.get("content"))]
    return []


def _adk(event: dict[str, Any]) -> list[Item]:
    items: list[Item] = []
    if event.get("error") or event.get("errorCode"):
        error = event.get("error")
        code = event.get("errorCode")
        message = event.get("errorMessage")
        if isinstance(error, dict):
            code = code or error.get("code")
            message = message or error.get("message")
        elif error:
            message = message or error
        items.append(_error(code, message))
    content = event.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    role = content.get("role") if isinstance(content, dict) else None
    partial = bool(event.get("partial"))
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str) and role != "user" and not part.get("thought"):
            if part["text"]:
                items.append(Text(part["text"], partial))
        elif isinstance(part.get("functionCall"), dict):
            items.append(ToolCall(str(part["functionCall"].get("name") or "tool")))
        elif isinstance(part.get("functionResponse"), dict):
            items.append(ToolResult(str(part["functionResponse"].get("name") or "tool")))
    return items


def _error(code: object, message: object) -> AgentError:
    numeric: int | None = None
    if isinstance(code, int):
        numeric = code
    elif isinstance(code, str) and code.isdigit():
        numeric = int(code)
    return AgentError(numeric, str(message or "agent error"))


@dataclass
class TurnText:
    """What the user should read from one turn: complete texts, with partial chunks only as a fallback.

    ADK sends ``partial`` chunks and then one non-partial event with the whole text; showing the chunks
    as well would say everything twice.
    """

    finals: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    partial_chars: int = 0

    def add(self, item: Item) -> None:
        if isinstance(item, Text):
            if item.partial:
                self.pending.append(item.text)
                self.partial_chars += len(item.text)
            else:
                self.finals.append(item.text)
                self.pending.clear()
        elif isinstance(item, ToolCall):
            self.tools.append(item.name)

    def add_all(self, items: Iterable[Item]) -> None:
        for item in items:
            self.add(item)

    @property
    def has_output(self) -> bool:
        return bool(self.finals or self.pending)

    def text(self) -> str:
        """The turn's text; a trailing "temporary issue" after real output is dropped."""
        texts = [t.strip() for t in self.finals if t.strip()]
        if self.pending:
            texts.append("".join(self.pending).strip())
        texts = [t for t in texts if t]
        joined = "\n\n".join(texts)
        found = TEMPORARY_ISSUE.search(joined)
        if found is None or not joined[: found.start()].strip():
            return joined
        head = joined[: found.start()]
        cut = max(head.rfind(mark) for mark in (".", "!", "?", "。", "！", "？", "\n"))
        kept = head[: cut + 1] if cut >= 0 else head
        return kept.strip() or joined
