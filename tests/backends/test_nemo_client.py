"""The Nemo client against the fake server: auth, headers, retries, error codes, the token's reach."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot import __version__
from bot.backends.nemo.client import SKILL_SOURCE, NemoClient
from bot.backends.nemo.envelope import SessionNotFound
from bot.config import Settings
from bot.errors import BackendRefused, BackendUnavailable, InputRejected
from tests.fakes.nemo_api import FakeNemoApi

FAST: dict[str, Any] = {"rate_limit_wait_s": 0.01, "retry_backoff_s": 0.01}


def _settings(tmp_path: Path, fake: FakeNemoApi, **extra: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path, "nemo_api_url": fake.url, "nemo_token": None}
    values.update(extra)
    return Settings(**values)


def _run(body: Callable[[FakeNemoApi], Awaitable[None]]) -> None:
    async def main() -> None:
        async with FakeNemoApi() as fake:
            await body(fake)

    asyncio.run(main())


async def _session(client: NemoClient, platform: str = "telegram") -> str:
    body = await client.call(
        "POST", "/api/tasks/me/with-session/nemo_agent", platform=platform, json_body={"task_name": "t"}, safe=False
    )
    return str(body["data"]["session_id"])


def test_anonymous_auth_persists_client_id_and_token(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        settings = _settings(tmp_path, fake)
        client = NemoClient(settings, **FAST)
        balance = await client.call("GET", "/api/credits/balance/simple", platform="cli")
        assert balance["data"] == {"available": 100, "frozen": 0, "total": 100}
        await client.aclose()
        client_id = settings.nemo_client_id_file.read_text().strip()
        assert len(fake.issued) == 1 and fake.issued[0][0] == client_id
        token_file = tmp_path / "nemo-token.json"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        # a restart reuses both: no second anonymous token (the service allows one per client id per week)
        again = NemoClient(settings, **FAST)
        await again.call("GET", "/api/credits/balance/simple", platform="cli")
        await again.aclose()
        assert len(fake.issued) == 1
        assert fake.by_route("auth")[0].header("X-Client-Id") == client_id

    _run(body)


def test_client_id_from_settings_and_registered_token(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake, nemo_client_id="my-fixed-id"), **FAST)
        await client.call("GET", "/api/credits/balance/simple", platform="cli")
        assert fake.issued[0][0] == "my-fixed-id"
        await client.aclose()
        registered = NemoClient(_settings(tmp_path / "r", fake, nemo_token=SecretStr(fake.registered_token)), **FAST)
        await registered.call("GET", "/api/credits/balance/simple", platform="cli")
        await registered.aclose()
        assert len(fake.issued) == 1  # NEMO_TOKEN set: no anonymous token asked for
        assert fake.requests[-1].header("Authorization") == f"Bearer {fake.registered_token}"

    _run(body)


def test_headers_on_every_call_after_auth(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), **FAST)
        sid = await _session(client, "discord")
        await client.call("GET", f"/api/state/nemo_agent/me/{sid}/latest", platform="discord")
        await client.aclose()
        after_auth = [r for r in fake.requests if r.route != "auth"]
        assert len(after_auth) == 2
        token = fake.issued[0][1]
        for request in after_auth:
            assert request.header("Authorization") == f"Bearer {token}"
            assert request.header("X-Skill-Source") == SKILL_SOURCE
            assert request.header("X-Skill-Version") == __version__
            assert request.header("X-Skill-Platform") == "discord"
            assert token not in request.path

    _run(body)


def test_1001_reauths_once_with_the_same_client_id(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), **FAST)
        await client.call("GET", "/api/credits/balance/simple", platform="cli")
        fake.expire_tokens()
        await client.call("GET", "/api/credits/balance/simple", platform="cli")
        assert len(fake.issued) == 2 and fake.issued[0][0] == fake.issued[1][0]
        assert fake.requests[-1].header("Authorization") == f"Bearer {fake.issued[1][1]}"
        # 1001 as a body code with HTTP 200 works the same; a second 1001 in a row is final
        fake.fail("credits", code=1001, times=2)
        with pytest.raises(BackendUnavailable) as caught:
            await client.call("GET", "/api/credits/balance/simple", platform="cli")
        assert len(fake.issued) == 3
        assert all(token not in str(caught.value) for _, token in fake.issued)
        await client.aclose()

    _run(body)


def test_429_waits_and_retries_once(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), **FAST)
        fake.fail("credits", http=429)
        assert (await client.call("GET", "/api/credits/balance/simple", platform="cli"))["data"]["available"] == 100
        assert len(fake.by_route("credits")) == 2
        fake.fail("credits", http=429, times=2)
        with pytest.raises(BackendUnavailable):
            await client.call("GET", "/api/credits/balance/simple", platform="cli")
        assert len(fake.by_route("credits")) == 4
        await client.aclose()

    _run(body)


def test_5xx_and_network_errors_are_retried_a_bounded_number_of_times(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), network_retries=2, **FAST)
        fake.fail("credits", http=503)
        fake.fail("credits", drop=True)
        assert (await client.call("GET", "/api/credits/balance/simple", platform="cli"))["data"]["total"] == 100
        assert len(fake.by_route("credits")) == 3
        fake.fail("credits", http=502, times=3)
        with pytest.raises(BackendUnavailable):
            await client.call("GET", "/api/credits/balance/simple", platform="cli")
        assert len(fake.by_route("credits")) == 6
        # a POST that reached the server is not repeated after a drop (it may have been done)
        fake.fail("session", drop=True)
        with pytest.raises(BackendUnavailable):
            await _session(client)
        assert len(fake.by_route("session")) == 1
        await client.aclose()

    _run(body)


def test_unreachable_service_is_backend_unavailable(tmp_path: Path) -> None:
    async def main() -> None:
        settings = Settings(data_dir=tmp_path, nemo_api_url="http://127.0.0.1:9", nemo_token=SecretStr("nmv_usr_x"))
        client = NemoClient(settings, **FAST)
        with pytest.raises(BackendUnavailable) as caught:
            await client.call("GET", "/api/credits/balance/simple", platform="cli")
        assert "nmv_usr_x" not in str(caught.value)
        await client.aclose()

    asyncio.run(main())


def test_credit_and_plan_errors(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        anon = NemoClient(_settings(tmp_path, fake), **FAST)
        await anon.call("GET", "/api/credits/balance/simple", platform="cli")
        user_id = fake.tokens[fake.issued[0][1]]
        fake.fail("credits", code=2001)
        with pytest.raises(BackendRefused) as caught:
            await anon.call("GET", "/api/credits/balance/simple", platform="cli")
        assert f"https://nemovideo.com/register?bind={user_id}" in caught.value.reason
        fake.fail("credits", http=402)
        with pytest.raises(BackendRefused) as caught:
            await anon.call("GET", "/api/credits/balance/simple", platform="cli")
        assert "register to export" in caught.value.reason and "credit" not in caught.value.reason
        await anon.aclose()

        registered = NemoClient(_settings(tmp_path / "r", fake, nemo_token=SecretStr(fake.registered_token)), **FAST)
        fake.fail("credits", code=2001)
        with pytest.raises(BackendRefused) as caught:
            await registered.call("GET", "/api/credits/balance/simple", platform="cli")
        assert "top it up" in caught.value.reason and "register?bind" not in caught.value.reason
        await registered.aclose()

    _run(body)


def test_upload_errors_and_url_upload(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), **FAST)
        sid = await _session(client)
        path = f"/api/upload-video/nemo_agent/me/{sid}"
        odd = tmp_path / "clip.flv"
        odd.write_bytes(b"x" * 10)
        with pytest.raises(InputRejected) as caught:
            await client.call("POST", path, platform="cli", files=[("files", odd)], safe=False)
        assert "mp4" in caught.value.reason and "mp3" in caught.value.reason
        big = tmp_path / "big.mp4"
        big.write_bytes(b"x" * 2000)
        fake.max_upload_bytes = 1000
        with pytest.raises(InputRejected) as caught:
            await client.call("POST", path, platform="cli", files=[("files", big)], safe=False)
        assert "trim" in caught.value.reason and "compress" in caught.value.reason
        assert fake.by_route("upload")[-1].files == [("files", "big.mp4", 2000)]
        urls = {"urls": ["https://example.com/a.mp4"], "source_type": "url"}
        answer = await client.call("POST", path, platform="cli", json_body=urls, safe=False)
        assert answer["data"]["files"][0]["filename"] == "a.mp4"
        assert fake.by_route("upload")[-1].body == urls
        fake.forget_session(sid)
        with pytest.raises(SessionNotFound):
            await client.call("GET", f"/api/state/nemo_agent/me/{sid}/latest", platform="cli")
        await client.aclose()

    _run(body)


def test_claim_token_and_cancel_endpoints(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), **FAST)
        sid = await _session(client)
        task = fake.sessions[sid]["task_id"]
        claim = await client.call(
            "POST", "/api/auth/claim-token", platform="cli", json_body={"task_id": task, "session_id": sid}
        )
        assert claim["data"]["claim_token"].startswith("clm_")
        cancel = await client.call("POST", "/api/render/proxy/lambda/render_x/cancel", platform="cli", safe=True)
        assert cancel["data"]["status"] == "cancelled"
        await client.aclose()

    _run(body)


def test_token_never_goes_to_another_host(tmp_path: Path) -> None:
    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), **FAST)
        await client.auth()
        with pytest.raises(BackendUnavailable):
            await client.call("GET", f"{fake.cdn_base}/x.mp4", platform="cli")
        assert fake.by_route("cdn") == []
        dest = tmp_path / "out.mp4"
        await client.download_public(f"{fake.cdn_base}/x.mp4", dest)
        assert dest.read_bytes() == fake.video_bytes
        cdn = fake.by_route("cdn")[-1]
        assert cdn.host.startswith("localhost") and cdn.header("Authorization") is None
        await client.aclose()
        # a host the operator allows may receive it
        allowed = NemoClient(_settings(tmp_path, fake, nemo_allowed_hosts="localhost"), **FAST)
        await allowed.call("GET", f"http://localhost:{fake.port}/api/credits/balance/simple", platform="cli")
        await allowed.aclose()

    _run(body)


def test_token_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def body(fake: FakeNemoApi) -> None:
        client = NemoClient(_settings(tmp_path, fake), **FAST)
        await client.call("GET", "/api/credits/balance/simple", platform="cli")
        fake.expire_tokens()
        fake.fail("credits", http=429)
        await client.call("GET", "/api/credits/balance/simple", platform="cli")
        fake.fail("credits", code=2001)
        with pytest.raises(BackendRefused) as caught:
            await client.call("GET", "/api/credits/balance/simple", platform="cli")
        await client.aclose()
        for _, token in fake.issued:
            assert token not in caplog.text
            assert token not in str(caught.value) and token not in repr(client._auth)

    _run(body)


def test_multipart_upload_streams_from_disk_with_a_known_length(tmp_path: Path) -> None:
    from bot.backends.nemo.multipart import UPLOAD_CHUNK, multipart_body

    clip = tmp_path / 'we"ird\nname.mp4'
    clip.write_bytes(b"x" * (2 * UPLOAD_CHUNK + 5))

    async def body() -> None:
        stream, headers = multipart_body([("files", clip)])
        chunks = [chunk async for chunk in stream]
        data = b"".join(chunks)
        assert int(headers["Content-Length"]) == len(data)
        assert len(chunks) >= 4  # head, the file in MiB pieces, CRLF, tail: never all in memory at once
        boundary = headers["Content-Type"].split("boundary=")[1]
        assert data.startswith(f"--{boundary}\r\n".encode()) and data.endswith(f"--{boundary}--\r\n".encode())
        assert b'filename="weirdname.mp4"' in data  # no quote or line break reaches the header

    asyncio.run(body())
