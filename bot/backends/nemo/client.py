"""HTTP to the NemoVideo Skill API: auth, attribution headers, the envelope, retries and error codes.

Exceptions, as they leave this module::

    NemoApiError (internal)   a decoded error answer; never leaves the package
    SessionNotFound           1002: the caller makes a new session (a BackendUnavailable, so a stray
                              one still reads "service unavailable")
    TurnDropped               the /run_sse connection broke after the turn may have started
    BackendRefused            2001 out of credits, HTTP 402 export blocked
    InputRejected             4001 unsupported file, 4002 too large
    BackendUnavailable        network, 5xx, 429 twice, a refused token, anything unexpected

Why the rules (docs/nemo-protocol §1-2, §9): the envelope has three shapes (``code``, ``success``, bare),
so one decoder handles them all; the token goes only to the API host (or hosts the operator allows) and
never into a URL, a log line or an exception's text. An anonymous token is kept on disk next to the
client id (mode 0600) because the service issues one per client id per 7 days: without it every
restart would hit HTTP 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot import __version__
from bot.config import Settings
from bot.errors import BackendRefused, BackendUnavailable, InputRejected
from bot.links import save_capped

logger = logging.getLogger(__name__)

SKILL_SOURCE = "best-music-cog"
REGISTER_URL = "https://nemovideo.com/register"
VIDEO_EXTENSIONS = ("mp4", "mov", "avi", "webm", "mkv")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp")
AUDIO_EXTENSIONS = ("mp3", "wav", "m4a", "aac")
ALL_EXTENSIONS = VIDEO_EXTENSIONS + IMAGE_EXTENSIONS + AUDIO_EXTENSIONS
RENEW_BEFORE = timedelta(hours=1)
"""Ask for a new anonymous token this long before ``expires_at`` rather than meet a 1001 mid-turn."""

_CODE_TOKEN = 1001
_CODE_SESSION = 1002
_CODE_CREDITS = 2001
_CODE_FORMAT = 4001
_CODE_TOO_LARGE = 4002
_AUTH_CODES = frozenset({_CODE_TOKEN, 1010, 1011})


def formats_sentence() -> str:
    """The allowed formats as users read them."""
    return (
        f"videos ({', '.join(VIDEO_EXTENSIONS)}), pictures ({', '.join(IMAGE_EXTENSIONS)}) "
        f"or songs ({', '.join(AUDIO_EXTENSIONS)})"
    )


class NemoApiError(Exception):
    """A decoded error answer: HTTP status, the body's code (if any) and its message (never shown)."""

    def __init__(self, *, status: int, code: int | None, message: str) -> None:
        super().__init__(f"NemoVideo error (HTTP {status}, code {code})")
        self.status = status
        self.code = code
        self.message = message

    @property
    def is_auth(self) -> bool:
        return self.code in _AUTH_CODES or (self.status == 401 and self.code is None)


class SessionNotFound(BackendUnavailable):
    """The Nemo session is gone (1002); the backend opens a new one."""


class ServiceError(BackendUnavailable):
    """Any other refusal, with the HTTP status and body code for callers that must tell them apart."""

    def __init__(self, text: str, *, status: int, code: int | None) -> None:
        super().__init__(text)
        self.status = status
        self.code = code


class TurnDropped(BackendUnavailable):
    """The agent stream broke after the turn may have started: never re-send it, read the state instead."""


@dataclass(frozen=True)
class Auth:
    """A token and who it belongs to. ``registered``: the operator's NEMO_TOKEN, not an anonymous one."""

    token: str
    user_id: str | None
    registered: bool
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # never let the token reach a log line through a repr
        return f"Auth(user_id={self.user_id!r}, registered={self.registered})"

    def expiring(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at - RENEW_BEFORE


def decode(response: httpx.Response) -> dict[str, Any]:
    """The body of a successful answer, or :class:`NemoApiError` (the CLI's rules, §1)."""
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if response.is_success and body is not None:
            return {"data": body}
        raise NemoApiError(status=response.status_code, code=None, message=response.reason_phrase)
    code = body.get("code")
    message = str(body.get("message") or body.get("msg") or body.get("error") or response.reason_phrase or "")
    numeric = code if isinstance(code, int) else (int(code) if isinstance(code, str) and code.isdigit() else None)
    if not response.is_success:
        raise NemoApiError(status=response.status_code, code=numeric or None, message=message)
    if (numeric is not None and numeric != 0) or body.get("success") is False:
        raise NemoApiError(status=response.status_code, code=numeric, message=message)
    return body


def unwrap(body: Mapping[str, Any]) -> dict[str, Any]:
    """The payload: ``data`` if present, else the body itself."""
    data = body.get("data")
    return dict(data) if isinstance(data, Mapping) else dict(body)


UPLOAD_CHUNK = 1 << 20


def multipart_body(files: Sequence[tuple[str, Path]]) -> tuple[AsyncIterator[bytes], dict[str, str]]:
    """A ``multipart/form-data`` body streamed from disk a MiB at a time in a thread, so a big clip never
    blocks the event loop (httpx reads ``files=`` synchronously) nor sits in memory; with its headers
    (the length is known up front, so no chunked encoding)."""
    boundary = uuid.uuid4().hex
    parts: list[tuple[bytes, Path]] = []
    for field, path in files:
        filename = "".join(c for c in path.name if c.isprintable() and c not in '"\\') or "upload"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        parts.append((head, path))
    tail = f"--{boundary}--\r\n".encode()
    length = sum(len(head) + path.stat().st_size + 2 for head, path in parts) + len(tail)

    async def stream() -> AsyncIterator[bytes]:
        for head, path in parts:
            yield head
            handle = await asyncio.to_thread(path.open, "rb")
            try:
                while chunk := await asyncio.to_thread(handle.read, UPLOAD_CHUNK):
                    yield chunk
            finally:
                await asyncio.to_thread(handle.close)
            yield b"\r\n"
        yield tail

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length)}
    return stream(), headers


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

    def client_id(self) -> str:
        """The stable client id: settings, else the file, else a new uuid written to the file."""
        if self._settings.nemo_client_id:
            return self._settings.nemo_client_id.strip()
        path = self._settings.nemo_client_id_file
        with contextlib.suppress(FileNotFoundError):
            existing = path.read_text("utf-8").strip()
            if existing:
                return existing[:64]
        path.parent.mkdir(parents=True, exist_ok=True)
        made = str(uuid.uuid4())
        path.write_text(made + "\n", "utf-8")
        logger.info("made a new NemoVideo client id in %s", path)
        return made

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
        client_id = await asyncio.to_thread(self.client_id)
        if stale is None:
            kept = await asyncio.to_thread(self._read_token, client_id)
            if kept is not None and not kept.expiring(datetime.now(UTC)):
                return kept
        auth = await self._anonymous_token(client_id)
        await asyncio.to_thread(self._write_token, client_id, auth)
        logger.info("NemoVideo anonymous token obtained for user %s", auth.user_id)
        return auth

    async def _anonymous_token(self, client_id: str) -> Auth:
        headers = {"X-Client-Id": client_id, **self._attribution("cli")}
        try:
            body = await self._send_with_retries("POST", "/api/auth/anonymous-token", headers=headers, safe=True)
        except NemoApiError as err:
            raise self.to_error(err, None) from err
        data = unwrap(body)
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise BackendUnavailable("NemoVideo gave no token")
        expires = _parse_time(data.get("expires_at"))
        return Auth(token=token, user_id=_str_or_none(data.get("user_id")), registered=False, expires_at=expires)

    def _read_token(self, client_id: str) -> Auth | None:
        try:
            record = json.loads(self.token_file.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("client_id") != client_id or not record.get("token"):
            return None
        return Auth(
            token=str(record["token"]),
            user_id=_str_or_none(record.get("user_id")),
            registered=False,
            expires_at=_parse_time(record.get("expires_at")),
        )

    def _write_token(self, client_id: str, auth: Auth) -> None:
        """Owner-only file (0600), written beside and renamed into place."""
        record = {
            "client_id": client_id,
            "token": auth.token,
            "user_id": auth.user_id,
            "expires_at": auth.expires_at.isoformat() if auth.expires_at else None,
        }
        path = self.token_file
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(tmp, path)

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
        """The project exception for a decoded error (§9)."""
        auth = auth or self._auth
        logger.warning("NemoVideo refused a call: HTTP %d, code %s", err.status, err.code)
        if err.code == _CODE_SESSION:
            return SessionNotFound("NemoVideo session not found")
        if err.code == _CODE_CREDITS:
            if auth is not None and not auth.registered and auth.user_id:
                link = f"{REGISTER_URL}?bind={auth.user_id}"
                return BackendRefused(
                    f"The free NemoVideo credits are used up. Register to keep going (your drafts come along): {link}"
                )
            return BackendRefused("The NemoVideo account is out of credits; top it up to keep going.")
        if err.code == _CODE_FORMAT:
            return InputRejected(f"NemoVideo can't use that file. Send {formats_sentence()}.")
        if err.code == _CODE_TOO_LARGE:
            return InputRejected(
                "That file is too large for NemoVideo; trim it shorter or compress it, then send it again."
            )
        if err.status == 402:
            link = f"{REGISTER_URL}?bind={auth.user_id}" if auth is not None and auth.user_id else REGISTER_URL
            return BackendRefused(f"Exporting needs a registered NemoVideo account: register to export at {link}")
        if err.is_auth:
            return ServiceError("NemoVideo refused the access token", status=401, code=err.code)
        if err.status == 429:
            return ServiceError("NemoVideo is rate limiting us", status=429, code=err.code)
        return ServiceError(f"NemoVideo answered HTTP {err.status} (code {err.code})", status=err.status, code=err.code)

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


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
