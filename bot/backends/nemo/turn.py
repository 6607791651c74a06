"""One agent turn on ``/run_sse``: progress while it runs, then its text and whether the stream broke.

Limits (§4): a hard cap on the whole turn, and a cap on time with nothing but heartbeats. Both are
checked around each read (``wait_for`` on the next event) rather than with an ``asyncio.timeout``
block, because this is an async generator: a cancel scope spanning a ``yield`` would fire inside the
consumer's code. A broken stream is reported as ``dropped`` (the caller reads the state; the turn is
never sent again); closing the generator or cancelling the task closes the HTTP stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

import httpx

from bot.backends.base import Stage
from bot.backends.nemo.client import NemoClient
from bot.backends.nemo.envelope import NemoApiError, ServiceError
from bot.backends.nemo.sse import AgentError, Heartbeat, Item, ToolCall, TurnText, parse_event, sse_data
from bot.errors import BackendUnavailable

__all__ = ["DEFAULT_EXPECTED_S", "TurnResult", "TurnTimedOut", "expected_seconds", "run_turn"]

logger = logging.getLogger(__name__)

_KNOWN_CODES = frozenset({1001, 1002, 2001, 4001, 4002})
DEFAULT_EXPECTED_S = 30.0


def expected_seconds(tool: str) -> float:
    """A rough length for a turn that uses ``tool`` (§4 timing), for the progress fraction only."""
    name = tool.lower()
    if "generate_video" in name or "seedance" in name:
        return 240.0
    if "music" in name or "audio" in name or "bgm" in name:
        return 90.0
    return DEFAULT_EXPECTED_S


class TurnTimedOut(BackendUnavailable):
    """The turn hit the hard cap, or sent only heartbeats for too long."""


@dataclass(frozen=True)
class TurnResult:
    text: str
    """The agent's complete text, not yet translated; empty for a tool-only turn."""
    tools: tuple[str, ...]
    dropped: bool


async def _items(response: httpx.Response) -> AsyncGenerator[Item, None]:
    async for data in sse_data(response.aiter_lines()):
        for item in parse_event(data):
            yield item


async def run_turn(
    client: NemoClient,
    *,
    platform: str,
    session_id: str,
    text: str,
    turn_timeout_s: float,
    idle_timeout_s: float,
    progress_interval_s: float,
) -> AsyncIterator[Stage | TurnResult]:
    """``Stage("agent", …)`` now and then, and last one :class:`TurnResult`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + turn_timeout_s
    last_real = last_stage = started
    expected = DEFAULT_EXPECTED_S
    collected = TurnText()
    dropped = False
    yield Stage("agent", 0.0)
    async with client.open_turn(platform=platform, session_id=session_id, text=text) as response:
        items = _items(response)
        try:
            while True:
                now = loop.time()
                wait = min(deadline - now, last_real + idle_timeout_s - now)
                if wait <= 0:
                    raise TurnTimedOut("the agent turn timed out")
                try:
                    item = await asyncio.wait_for(anext(items), wait)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise TurnTimedOut("the agent turn timed out") from None
                except httpx.TransportError as exc:
                    logger.warning("agent stream broke (%s)", type(exc).__name__)
                    dropped = True
                    break
                now = loop.time()
                if not isinstance(item, Heartbeat):
                    last_real = now
                if isinstance(item, AgentError):
                    _raise_for(client, item, has_output=collected.has_output)
                    continue
                if isinstance(item, ToolCall):
                    expected = max(expected, expected_seconds(item.name))
                collected.add(item)
                if now - last_stage >= progress_interval_s:
                    last_stage = now
                    yield Stage("agent", min(0.95, (now - started) / expected))
        finally:
            await items.aclose()
    logger.info(
        "agent turn done in %.1f s (%s, tools: %s)",
        loop.time() - started,
        "dropped" if dropped else "complete",
        ", ".join(collected.tools) or "none",
    )
    yield TurnResult(collected.text(), tuple(collected.tools), dropped)


def _raise_for(client: NemoClient, error: AgentError, *, has_output: bool) -> None:
    """A known code becomes its usual exception; an unknown one fails the turn unless it already answered."""
    if error.code in _KNOWN_CODES:
        raise client.to_error(NemoApiError(status=200, code=error.code, message=error.message))
    if has_output:
        logger.warning("ignoring an agent error event after its answer (code %s)", error.code)
        return
    raise ServiceError("the agent turn failed", status=200, code=error.code)
