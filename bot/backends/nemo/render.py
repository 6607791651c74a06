"""Export a draft (§8): submit a render with our own id, poll it, download the file.

The caller picks the render id, so a duplicate id or a failed render is retried once with a new one.
Polls accept both documented shapes (``status`` top-level or under ``data``; the URL as
``output.url`` or ``outputUrl`` at either level). Network errors and 5xx while polling just poll again
(the render keeps running server-side); 400/401 are final. The file comes from the CDN link without
any credentials; only if that fails does the render proxy's download get the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.backends.nemo.client import NemoClient
from bot.backends.nemo.envelope import ServiceError
from bot.errors import BackendRefused, BackendUnavailable, InputRejected, MusicCogError, RenderFailed

__all__ = ["PollResult", "RenderDone", "Renderer", "new_render_id", "read_poll"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderDone:
    render_id: str
    url: str | None


@dataclass(frozen=True)
class PollResult:
    status: str
    progress: float
    url: str | None
    error: str | None


def read_poll(body: Mapping[str, Any]) -> PollResult:
    """Status, progress (0-100), output URL and error from either poll shape."""
    data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
    assert isinstance(data, Mapping)
    levels = (body, data)
    status = next((str(lv["status"]) for lv in levels if lv.get("status")), "pending").lower()
    progress = next((float(lv["progress"]) for lv in levels if isinstance(lv.get("progress"), int | float)), 0.0)
    url: str | None = None
    for level in levels:
        output = level.get("output")
        if isinstance(output, Mapping) and isinstance(output.get("url"), str):
            url = output["url"]
            break
        if isinstance(level.get("outputUrl"), str):
            url = level["outputUrl"]
            break
    error = next((str(lv["error"]) for lv in levels if lv.get("error")), None)
    return PollResult(status, progress, url, error)


def new_render_id() -> str:
    return f"render_{int(time.time())}_{uuid.uuid4().hex[:10]}"


class Renderer:
    """Render jobs for one client; ``poll_interval_s`` between polls, ``timeout_s`` for one render."""

    def __init__(self, client: NemoClient, *, poll_interval_s: float = 5.0, timeout_s: float = 600.0) -> None:
        self._client = client
        self._poll_interval_s = poll_interval_s
        self._timeout_s = timeout_s

    async def render(
        self, *, platform: str, session_id: str, draft: Mapping[str, Any]
    ) -> AsyncIterator[float | RenderDone]:
        """Progress fractions, then one :class:`RenderDone`. A failure is retried once with a new id."""
        for attempt in (1, 2):
            render_id = new_render_id()
            try:
                await self._submit(platform=platform, session_id=session_id, draft=draft, render_id=render_id)
                async for step in self._poll(platform=platform, render_id=render_id):
                    yield step
                return
            except (BackendRefused, InputRejected):
                raise
            except (RenderFailed, BackendUnavailable) as exc:
                if attempt == 2:
                    raise
                logger.warning("render %s failed (%s); retrying once with a new id", render_id, type(exc).__name__)

    async def _submit(self, *, platform: str, session_id: str, draft: Mapping[str, Any], render_id: str) -> None:
        body = {
            "id": render_id,
            "sessionId": session_id,
            "draft": draft,
            "output": {"format": "mp4", "quality": "high"},
        }
        await self._client.call("POST", "/api/render/proxy/lambda", platform=platform, json_body=body)
        logger.info("render %s submitted", render_id)

    async def _poll(self, *, platform: str, render_id: str) -> AsyncIterator[float | RenderDone]:
        deadline = time.monotonic() + self._timeout_s
        try:
            while True:
                try:
                    body = await self._client.call("GET", f"/api/render/proxy/lambda/{render_id}", platform=platform)
                except (BackendRefused, InputRejected):
                    raise
                except BackendUnavailable as exc:
                    if _is_final(exc):
                        raise
                    logger.warning("render %s poll failed (%s); polling again", render_id, exc)
                    body = {}
                if body:
                    result = read_poll(body)
                    if result.status in ("completed", "complete", "succeeded", "success", "done"):
                        logger.info("render %s done", render_id)
                        yield RenderDone(render_id, result.url)
                        return
                    if result.status in ("failed", "error", "cancelled", "canceled"):
                        logger.warning("render %s failed: %s", render_id, (result.error or "")[:200])
                        raise RenderFailed("NemoVideo could not render the video")
                    yield min(1.0, max(0.0, result.progress / 100))
                if time.monotonic() >= deadline:
                    await self.cancel(platform=platform, render_id=render_id)
                    raise RenderFailed("NemoVideo took too long to render the video")
                await asyncio.sleep(self._poll_interval_s)
        except (asyncio.CancelledError, GeneratorExit):
            await asyncio.shield(self.cancel(platform=platform, render_id=render_id))
            raise

    async def cancel(self, *, platform: str, render_id: str) -> None:
        """Best effort: stop a render nobody will collect."""
        with contextlib.suppress(MusicCogError):
            await self._client.call(
                "POST", f"/api/render/proxy/lambda/{render_id}/cancel", platform=platform, safe=True
            )
            logger.info("render %s cancelled", render_id)

    async def download(self, *, platform: str, done: RenderDone, dest: Path) -> Path:
        """The rendered file at ``dest``: the public URL first, then the proxy download with the token."""
        if done.url:
            try:
                await self._client.download_public(done.url, dest)
                return dest
            except BackendUnavailable as exc:
                logger.warning("render %s: CDN download failed (%s); trying the API", done.render_id, exc)
        await self._client.download_api(f"/api/render/proxy/{done.render_id}/download", dest, platform=platform)
        return dest


def _is_final(exc: BackendUnavailable) -> bool:
    """400/401 while polling will not get better by polling again."""
    return isinstance(exc, ServiceError) and exc.status in (400, 401)
