"""HTTP to the NemoVideo Skill API: auth, attribution headers, retries, the agent stream, downloads.

Answers are decoded and errors mapped in ``envelope``; the client id and token live in ``identity``;
upload bodies are built in ``multipart``. The token goes only to the API host (or hosts the operator
allows) and never into a URL, a log line or an exception's text (docs/nemo-protocol §1-2).

Retries are written out (``call``, ``_send_with_retries``, ``open_turn``) rather than left to
``tenacity``: one loop keeps three separate budgets whose rules depend on the error and the request
(network errors and 5xx: ``network_retries`` with a growing pause, and only where repeating is safe;
HTTP 429: exactly one more try after ``rate_limit_wait_s``; a refused token: one renewal that changes
the headers of the next try), and ``open_turn`` must never retry once the request may have reached
the agent. In tenacity that is a custom stop, wait and retry predicate per budget plus shared state,
longer than the loops and a dependency more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot import __version__
from bot.backends.nemo.envelope import NemoApiError, TurnDropped, decode, to_error, unwrap
from bot.backends.nemo.identity import Auth, anonymous_auth, load_client_id, read_token, write_token
from bot.backends.nemo.multipart import multipart_body
from bot.config import Settings
from bot.errors import BackendUnavailable
from bot.links import save_capped

__all__ = ["SKILL_SOURCE", "NemoClient"]

logger = logging.getLogger(__name__)

SKILL_SOURCE = "best-music-cog"


class NemoClient:
    """One ``httpx.AsyncClient`` for the API host plus a bare one for CDN downloads (no credentials).

    ``transport`` lets tests swap the wire; ``rate_limit_wait_s`` is the pause before the one retry
    after HTTP 429; network errors and 5xx on safe calls are retried ``network_retries`` times,
    ``retry_backoff_s`` apart (growing linearly).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limit_wait_s: float = 30.0,
        network_retries: int = 2,
        retry_backoff_s: float = 1.0,
        timeout_s: float = 60.0,
    ) -> None:
        self._settings = settings
        base = settings.nemo_api_url.rstrip("/")
        self._api_host = httpx.URL(base).host
        extra = {h.strip().lower() for h in settings.nemo_allowed_hosts.split(",") if h.strip()}
        self._token_hosts = frozenset({self._api_host.lower(), *extra})
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 15.0))
        self._http = httpx.AsyncClient(base_url=base, transport=transport, timeout=timeout, follow_redirects=False)
        self._cdn = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=True)
        self._rate_limit_wait_s = rate_limit_wait_s
        self._network_retries = network_retries
        self._retry_backoff_s = retry_backoff_s
        self._auth: Auth | None = None
        self._auth_lock = asyncio.Lock()

    # ----- identity ------------------------------------------------------------------------------

    @property
    def token_file(self) -> Path:
        return self._settings.data_dir / "nemo-token.json"

    async def auth(self) -> Auth:
        """The current credentials, asking for an anonymous token when there are none (or they expire)."""
        now = datetime.now(UTC)
        if self._auth is not None and not self._auth.expiring(now):
            return self._auth
        async with self._auth_lock:
            if self._auth is None or self._auth.expiring(now):
                self._auth = await self._new_auth(stale=None)
            return self._auth

    async def _reauth(self, failed: Auth) -> Auth:
        """After a 1001: a new anonymous token with the same client id (once per failed token)."""
        async with self._auth_lock:
            if self._auth is not None and self._auth.token != failed.token:
                return self._auth  # someone else already renewed it
            self._auth = await self._new_auth(stale=failed)
            return self._auth

    async def _new_auth(self, *, stale: Auth | None) -> Auth:
        secret = self._settings.nemo_token
        if secret is not None and secret.get_secret_value().strip():
            if stale is not None:
                raise BackendUnavailable("NemoVideo refused the configured NEMO_TOKEN")
            return Auth(token=secret.get_secret_value().strip(), user_id=None, registered=True)
        client_id = await asyncio.to_thread(load_client_id, self._settings)
        if stale is None:
            kept = await asyncio.to_thread(read_token, self.token_file, client_id)
            if kept is not None and not kept.expiring(datetime.now(UTC)):
                return kept
        auth = await self._anonymous_token(client_id)
        await asyncio.to_thread(write_token, self.token_file, client_id, auth)
        logger.info("NemoVideo anonymous token obtained for user %s", auth.user_id)
        return auth

    async def _anonymous_token(self, client_id: str) -> Auth:
        headers = {"X-Client-Id": client_id, **self._attribution("cli")}
        try:
            body = await self._send_with_retries("POST", "/api/auth/anonymous-token", headers=headers, safe=True)
        except NemoApiError as err:
            raise to_error(err, None) from err
        auth = anonymous_auth(unwrap(body))
        if auth is None:
            raise BackendUnavailable("NemoVideo gave no token")
        return auth

    # ----- headers -------------------------------------------------------------------------------

    @staticmethod
    def _attribution(platform: str) -> dict[str, str]:
        return {"X-Skill-Source": SKILL_SOURCE, "X-Skill-Version": __version__, "X-Skill-Platform": platform}

    def _headers(self, auth: Auth, platform: str, url: httpx.URL) -> dict[str, str]:
        """Auth + attribution, after checking that ``url`` is a host allowed to see the token."""
        if (url.host or self._api_host).lower() not in self._token_hosts:
            raise BackendUnavailable("refusing to send NemoVideo credentials to another host")
        return {"Authorization": f"Bearer {auth.token}", **self._attribution(platform)}

    # ----- calls ---------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        platform: str,
        json_body: Any = None,
        files: Sequence[tuple[str, Path]] = (),
        safe: bool | None = None,
    ) -> dict[str, Any]:
        """One authenticated call; the decoded body. ``safe``: may be retried after it reached the server
        (default: GET only). 1001 renews the token once; 429 waits and retries once."""
        safe = method.upper() == "GET" if safe is None else safe
        auth = await self.auth()
        renewed = False
        while True:
            headers = self._headers(auth, platform, self._http.build_request(method, path).url)
            try:
                return await self._send_with_retries(
                    method, path, headers=headers, json_body=json_body, files=files, safe=safe
                )
            except NemoApiError as err:
                if err.is_auth and not renewed and not auth.registered:
                    renewed = True
                    logger.info("NemoVideo token refused (code %s); renewing it", err.code)
                    auth = await self._reauth(auth)
                    continue
                raise self.to_error(err, auth) from err

    async def _send_with_retries(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        files: Sequence[tuple[str, Path]] = (),
        safe: bool,
    ) -> dict[str, Any]:
        """Network errors and 5xx: bounded retries (only connect errors unless ``safe``); 429: one retry."""
        attempt = 0
        rate_limited = False
        while True:
            try:
                if files:
                    body, body_headers = multipart_body(files)
                    response = await self._http.request(method, path, headers={**headers, **body_headers}, content=body)
                else:
                    response = await self._http.request(method, path, headers=headers, json=json_body)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt < self._network_retries and (safe or never_sent):
                    attempt += 1
                    logger.warning("NemoVideo %s %s: %s; retry %d", method, path, type(exc).__name__, attempt)
                    await asyncio.sleep(self._retry_backoff_s * attempt)
                    continue
                raise BackendUnavailable(f"NemoVideo could not be reached ({type(exc).__name__})") from exc
            try:
                return decode(response)
            except NemoApiError as err:
                if err.status == 429 and not rate_limited:
                    rate_limited = True
                    logger.warning(
                        "NemoVideo rate limit on %s %s; waiting %.0f s", method, path, self._rate_limit_wait_s
                    )
                    await asyncio.sleep(self._rate_limit_wait_s)
                    continue
                if err.status >= 500 and safe and attempt < self._network_retries:
                    attempt += 1
                    logger.warning("NemoVideo %s %s: HTTP %d; retry %d", method, path, err.status, attempt)
                    await asyncio.sleep(self._retry_backoff_s * attempt)
                    continue
                raise

    def to_error(self, err: NemoApiError, auth: Auth | None = None) -> Exception:
        """The project exception for a decoded error (§9), worded for the current token if none is given."""
        return to_error(err, auth or self._auth)

    # ----- the agent stream ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def open_turn(self, *, platform: str, session_id: str, text: str) -> AsyncIterator[httpx.Response]:
        """The ``/run_sse`` response, streaming. Errors before the stream (plain JSON: 1001, 1002, 2001,
        429) are handled like any call: they mean the turn did not start, so one retry is safe. Any
        network error after the request may have reached the server is :class:`TurnDropped`."""
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"role": "user", "parts": [{"text": text}]},
        }
        auth = await self.auth()
        renewed = rate_limited = False
        connect_attempts = 0
        while True:
            request = self._http.build_request("POST", "/run_sse", json=body, timeout=httpx.Timeout(None, connect=15.0))
            request.headers.update(self._headers(auth, platform, request.url))
            request.headers["Accept"] = "text/event-stream"
            try:
                response = await self._http.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if connect_attempts < self._network_retries:
                    connect_attempts += 1
                    await asyncio.sleep(self._retry_backoff_s * connect_attempts)
                    continue
                raise BackendUnavailable(f"NemoVideo could not be reached ({type(exc).__name__})") from exc
            except httpx.TransportError as exc:
                raise TurnDropped(f"the agent connection broke ({type(exc).__name__})") from exc
            if "text/event-stream" not in response.headers.get("content-type", "") or not response.is_success:
                try:
                    await response.aread()
                except httpx.TransportError as exc:
                    raise TurnDropped(f"the agent connection broke ({type(exc).__name__})") from exc
                finally:
                    await response.aclose()
                try:
                    decode(response)
                except NemoApiError as err:
                    if err.is_auth and not renewed and not auth.registered:
                        renewed = True
                        auth = await self._reauth(auth)
                        continue
                    if err.status == 429 and not rate_limited:
                        rate_limited = True
                        await asyncio.sleep(self._rate_limit_wait_s)
                        continue
                    raise self.to_error(err, auth) from err
                raise BackendUnavailable("NemoVideo answered the agent turn without a stream")
            try:
                yield response
            finally:
                await response.aclose()
            return

    # ----- downloads -------------------------------------------------------------------------------

    async def download_public(self, url: str, dest: Path) -> None:
        """GET ``url`` with no credentials at all (a CDN link) into ``dest``."""
        await self._stream_to(self._cdn, self._cdn.build_request("GET", url), dest)

    async def download_api(self, path: str, dest: Path, *, platform: str) -> None:
        """GET an API path with the token (the render proxy's download) into ``dest``."""
        auth = await self.auth()
        request = self._http.build_request("GET", path)
        request.headers.update(self._headers(auth, platform, request.url))
        await self._stream_to(self._http, request, dest)

    async def _stream_to(self, client: httpx.AsyncClient, request: httpx.Request, dest: Path) -> None:
        """A finished render into ``dest``, capped like a user's upload (``settings.max_input_bytes``): the
        result is about the size of the input it was made from, and a runaway answer must not fill the disk."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        cap = self._settings.max_input_bytes
        try:
            response = await client.send(request, stream=True)
            try:
                if not response.is_success:
                    raise BackendUnavailable(f"download failed: HTTP {response.status_code}")
                await save_capped(
                    response, tmp, max_bytes=cap, too_big=lambda _: BackendUnavailable(f"download over {cap} bytes")
                )
            finally:
                await response.aclose()
            os.replace(tmp, dest)
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"download failed ({type(exc).__name__})") from exc
        finally:
            tmp.unlink(missing_ok=True)

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._cdn.aclose()
