"""A film past the chat's upload limit: a fitted preview and a link to the full-quality film (the set path)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp

from bot.engine.messages import Incoming, MediaRef, Text, Video
from tests.mediagen import make_clip
from tests.web.stack import web_settings, web_stack


def _film(chat: str, upload_limit: int | None = None) -> Incoming:
    items = tuple(MediaRef(kind="video", file_id=name) for name in ("a", "b"))
    return Incoming(
        "telegram", chat, chat, text="one film", media=items[0], extra_media=items[1:], upload_limit=upload_limit
    )


def test_a_film_over_the_limit_comes_as_a_preview_and_a_link(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    files = {
        name: make_clip(tmp_path / f"{name}.mp4", duration_s=3.0, size=(320, 180), cut_times_s=(1.5,))
        for name in ("a", "b")
    }
    settings = web_settings(tmp_path)

    async def scenario() -> None:
        async with web_stack(settings, pool, files) as (engine, _web, _chats), aiohttp.ClientSession() as http:
            whole = [r async for r in engine.handle(_film("1"))]
            film = next(r for r in whole if isinstance(r, Video))
            size = film.path.stat().st_size
            assert not any(isinstance(r, Text) and "Full quality" in r.text for r in whole)  # it fitted

            limit = int(size * 0.7)
            replies = [r async for r in engine.handle(_film("2", upload_limit=limit))]
            preview = next(r for r in replies if isinstance(r, Video))
            assert preview.path.stat().st_size <= limit
            link = next(r.text for r in replies if isinstance(r, Text) and "Full quality" in r.text).rsplit(" ", 1)[-1]
            async with http.get(link, headers={"Range": "bytes=0-7"}) as part:
                assert part.status == 206 and (await part.read())[4:8] == b"ftyp"
                assert int(part.headers["Content-Range"].rsplit("/", 1)[1]) > limit

    asyncio.run(scenario())
