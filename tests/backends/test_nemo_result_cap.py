"""The NemoVideo result download is capped like a user's upload (``settings.max_input_bytes``), through the
one capped download of ``bot.links``; the wire is an httpx ``MockTransport``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.backends.nemo.client import NemoClient
from bot.config import Settings
from bot.errors import BackendUnavailable

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000


def _download(tmp_path: Path, response: httpx.Response, *, max_input_mb: float) -> Path:
    settings = Settings(data_dir=tmp_path, max_input_mb=max_input_mb)
    dest = tmp_path / "out" / "result.mp4"

    async def main() -> None:
        client = NemoClient(settings, transport=httpx.MockTransport(lambda request: response))
        try:
            await client.download_public("https://cdn.example/render.mp4", dest)
        finally:
            await client.aclose()

    asyncio.run(main())
    return dest


def test_a_result_under_the_cap_is_saved(tmp_path: Path) -> None:
    dest = _download(tmp_path, httpx.Response(200, content=VIDEO), max_input_mb=1.0)
    assert dest.read_bytes() == VIDEO


@pytest.mark.parametrize("declared", [True, False])
def test_a_result_over_the_cap_is_refused_and_leaves_nothing(tmp_path: Path, declared: bool) -> None:
    body = httpx.Response(200, content=VIDEO) if declared else httpx.Response(200, stream=_Chunked(VIDEO))
    with pytest.raises(BackendUnavailable, match="download over 1000 bytes"):
        _download(tmp_path, body, max_input_mb=0.001)
    assert list((tmp_path / "out").iterdir()) == []  # neither the result nor a partial file


class _Chunked(httpx.AsyncByteStream):
    """A body without ``Content-Length`` (chunked), so only the streamed count can catch it."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 256):
            yield self.data[start : start + 256]
