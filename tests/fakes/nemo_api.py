"""A fake NemoVideo Skill API on 127.0.0.1 for the Nemo backend's tests (protocol: shared/nemo-protocol.md).

Every endpoint of the spec, scriptable per test::

    async with FakeNemoApi() as fake:
        fake.queue_turn(Turn([adk_text("Added lo-fi music.")], draft=draft_with_bgm("Lo-fi")))
        fake.fail("state", http=503)            # the next GET state answers 503
        fake.fail("run_sse", code=2001)         # ... or a body code, or drop=True (connection closed)
        ...
        fake.requests                           # every request, headers included

The API is served as ``http://127.0.0.1:<port>``; render outputs point at ``http://localhost:<port>/cdn/…``,
the same server under another host name, so tests can check the token never goes there.
Agent turns are :class:`Turn` objects: a list of steps (an event dict, a raw SSE string, :class:`Sleep`,
or :data:`DROP` to cut the connection mid-stream) and an optional new draft applied when the turn starts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

ALLOWED = {
    "video": ("mp4", "mov", "avi", "webm", "mkv"),
    "image": ("jpg", "jpeg", "png", "gif", "webp"),
    "audio": ("mp3", "wav", "m4a", "aac"),
}
HEARTBEAT_COMMENT = ": keep-alive\n\n"
HEARTBEAT_EMPTY = "data: \n\n"
HEARTBEAT_EVENT: dict[str, Any] = {"type": "heartbeat"}


@dataclass(frozen=True)
class Sleep:
    seconds: float


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()
"""A turn step: close the connection without ending the chunked body (a network drop)."""

Step = dict[str, Any] | str | Sleep | _Drop


@dataclass
class Turn:
    """One scripted agent turn: its steps, and what it does to the session's state when it starts."""

    steps: list[Step] = field(default_factory=list)
    draft: dict[str, Any] | None = None
    mutate: Callable[[dict[str, Any]], None] | None = None


@dataclass
class Failure:
    """A scripted error for the next ``times`` requests of a route."""

    code: int | None = None
    http: int = 200
    drop: bool = False
    message: str = "scripted failure"
    times: int = 1


@dataclass
class Recorded:
    method: str
    path: str
    host: str
    headers: dict[str, str]
    body: Any = None
    files: list[tuple[str, str, int]] = field(default_factory=list)
    route: str = ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class RenderJob:
    id: str
    session_id: str
    outcome: str
    polls: int = 0
    cancelled: bool = False


# ----- event builders ----------------------------------------------------------------------------------


def adk_text(text: str, *, partial: bool = False) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex[:8],
        "invocationId": "e-1",
        "author": "nemo_agent",
        "partial": partial,
        "content": {"role": "model", "parts": [{"text": text}]},
        "actions": {"stateDelta": {}},
    }


def adk_tool(name: str) -> dict[str, Any]:
    return {
        "author": "nemo_agent",
        "content": {"role": "model", "parts": [{"functionCall": {"id": "c1", "name": name, "args": {}}}]},
    }


def adk_tool_result(name: str) -> dict[str, Any]:
    return {
        "author": "nemo_agent",
        "content": {"role": "user", "parts": [{"functionResponse": {"id": "c1", "name": name, "response": {}}}]},
    }


def adk_error(code: int | str, message: str = "failed") -> dict[str, Any]:
    return {"author": "nemo_agent", "errorCode": code, "errorMessage": message}


def simple_text(text: str) -> dict[str, Any]:
    return {"type": "text", "content": text}


def simple_tool(name: str) -> dict[str, Any]:
    return {"type": "tool_call", "name": name}


def simple_tool_result(name: str) -> dict[str, Any]:
    return {"type": "tool_result", "name": name}


def draft_with(
    *, video: str = "clip", bgm: str | None = None, volume: float = 0.35, title: str | None = None, seconds: float = 10
) -> dict[str, Any]:
    """A draft in the short-key form (``t``/``tt``/``sg``/``d``/``m``)."""
    ms = int(seconds * 1000)
    tracks: list[dict[str, Any]] = [{"tt": 0, "sg": [{"n": video, "st": 0, "d": ms}]}]
    if bgm is not None:
        tracks.append({"tt": 1, "sg": [{"n": bgm, "st": 0, "d": ms, "v": volume}]})
    if title is not None:
        tracks.append({"tt": 7, "sg": [{"tx": title, "st": 0, "d": 3000}]})
    return {"t": tracks, "d": ms, "m": {"title": "clip", "width": 320, "height": 180}}


# ----- the server ------------------------------------------------------------------------------------


class FakeNemoApi(LoopbackServer):
    """An aiohttp server on 127.0.0.1 that behaves like the NemoVideo Skill API (see module doc)."""

    def __init__(self, *, video_bytes: bytes = b"\x00\x00\x00\x18ftypmp42 not really a video") -> None:
        self.video_bytes = video_bytes
        self.requests: list[Recorded] = []
        self.turn_messages: list[str] = []
        self.turns: deque[Turn] = deque()
        self.failures: dict[str, deque[Failure]] = {}
        self.tokens: dict[str, str] = {}
        """Valid tokens → user id."""
        self.issued: list[tuple[str, str]] = []
        """(client id, token) for every anonymous token handed out."""
        self.registered_token = "nmv_usr_registered_SECRET_0123456789"
        self.tokens[self.registered_token] = "usr_registered"
        self.auth_error_http = 401
        self.sessions: dict[str, dict[str, Any]] = {}
        """Nemo session id → {"task_id", "state"}."""
        self.credits = {"available": 100, "frozen": 0}
        self.renders: dict[str, RenderJob] = {}
        self.render_outcomes: deque[str] = deque()
        """Per submitted render: "ok" (default) or "fail"."""
        self.polls_to_complete = 2
        self.poll_shape = "top"
        """"top": bare ``{status, progress, output: {url}}``; "data": ``{success, data: {status, outputUrl}}``."""
        self.max_upload_bytes = 50 * 1024 * 1024
        self._ids = itertools.count(5529798706024415232)
        super().__init__()

    # ----- lifecycle -------------------------------------------------------------------------------

    shutdown_timeout_s = 0.5
    max_request_bytes = 200 * 1024 * 1024

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/auth/anonymous-token", self._anonymous_token)
        r.add_post("/api/auth/claim-token", self._claim_token)
        r.add_post("/api/tasks/me/with-session/nemo_agent", self._new_session)
        r.add_post("/run_sse", self._run_sse)
        r.add_post("/api/upload-video/nemo_agent/me/{sid}", self._upload)
        r.add_get("/api/credits/balance/simple", self._credits)
        r.add_get("/api/state/nemo_agent/me/{sid}/latest", self._state)
        r.add_post("/api/render/proxy/lambda", self._render_submit)
        r.add_get("/api/render/proxy/lambda/{rid}", self._render_poll)
        r.add_post("/api/render/proxy/lambda/{rid}/cancel", self._render_cancel)
        r.add_get("/api/render/proxy/{rid}/download", self._render_download)
        r.add_get("/cdn/{name}", self._cdn)

    @property
    def url(self) -> str:
        return self.root

    @property
    def cdn_base(self) -> str:
        return f"http://localhost:{self.port}/cdn"

    # ----- test side ---------------------------------------------------------------------------------

    def queue_turn(self, turn: Turn) -> None:
        self.turns.append(turn)

    def fail(
        self,
        route: str,
        *,
        code: int | None = None,
        http: int = 200,
        drop: bool = False,
        message: str = "scripted failure",
        times: int = 1,
    ) -> None:
        """Script an error for ``route`` (``auth``, ``claim``, ``session``, ``run_sse``, ``upload``,
        ``credits``, ``state``, ``render``, ``poll``, ``cancel``, ``download``, ``cdn``)."""
        self.failures.setdefault(route, deque()).append(Failure(code, http, drop, message, times))

    def expire_tokens(self) -> None:
        """Every anonymous token becomes invalid (the next call gets 1001)."""
        for token in [t for t in self.tokens if t != self.registered_token]:
            del self.tokens[token]

    def forget_session(self, session_id: str) -> None:
        """The session disappears server-side (the next call gets 1002)."""
        self.sessions.pop(session_id, None)

    def state_of(self, session_id: str) -> dict[str, Any]:
        return self.sessions[session_id]["state"]

    def by_route(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    # ----- helpers -------------------------------------------------------------------------------------

    async def _record(self, request: web.Request, route: str, body: Any = None) -> Recorded:
        recorded = Recorded(
            method=request.method,
            path=request.path,
            host=request.host,
            headers=dict(request.headers),
            body=body,
            route=route,
        )
        self.requests.append(recorded)
        return recorded

    def _failure(self, route: str) -> Failure | None:
        queue = self.failures.get(route)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.popleft()
        return failure

    async def _scripted(self, request: web.Request, route: str) -> web.StreamResponse | None:
        failure = self._failure(route)
        if failure is None:
            return None
        if failure.drop:
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # aiohttp gives up on the request quietly
        body: dict[str, Any] = {"message": failure.message}
        if failure.code is not None:
            body["code"] = failure.code
        return web.json_response(body, status=failure.http)

    def _user(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        return self.tokens.get(auth.removeprefix("Bearer "))

    def _auth_error(self) -> web.Response:
        return web.json_response({"code": 1001, "message": "token invalid or expired"}, status=self.auth_error_http)

    @staticmethod
    def _ok(data: Any) -> web.Response:
        return web.json_response({"code": 0, "message": "success", "data": data})

    @staticmethod
    def _code(code: int, message: str, http: int = 200) -> web.Response:
        return web.json_response({"code": code, "message": message}, status=http)

    async def _guard(self, request: web.Request, route: str) -> web.StreamResponse | None:
        """Scripted failures first, then the token."""
        scripted = await self._scripted(request, route)
        if scripted is not None:
            return scripted
        if self._user(request) is None:
            return self._auth_error()
        return None

    def _session(self, sid: str) -> dict[str, Any] | None:
        return self.sessions.get(sid)

    # ----- auth ----------------------------------------------------------------------------------------

    async def _anonymous_token(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "auth")
        scripted = await self._scripted(request, "auth")
        if scripted is not None:
            return scripted
        client_id = request.headers.get("X-Client-Id")
        if not client_id:
            return web.json_response({"message": "X-Client-Id required"}, status=400)
        token = f"nmv_usr_anon_{uuid.uuid4().hex}"
        user_id = f"anon_{uuid.uuid5(uuid.NAMESPACE_OID, client_id).hex[:12]}"
        self.tokens[token] = user_id
        self.issued.append((client_id, token))
        return self._ok({"token": token, "user_id": user_id, "credits": 100, "expires_at": "2099-01-01T00:00:00Z"})

    async def _claim_token(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await self._record(request, "claim", body)
        denied = await self._guard(request, "claim")
        if denied is not None:
            return denied
        return self._ok({"claim_token": f"clm_{uuid.uuid4().hex[:16]}", "expires_in": 604800})

    # ----- sessions and state --------------------------------------------------------------------------

    async def _new_session(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await self._record(request, "session", body)
        denied = await self._guard(request, "session")
        if denied is not None:
            return denied
        sid = str(next(self._ids))
        task_id = f"task_{uuid.uuid4().hex[:8]}"
        self.sessions[sid] = {
            "task_id": task_id,
            "task_name": body.get("task_name", ""),
            "language": body.get("language"),
            "state": {"draft": {}, "video_infos": [], "canvas_config": {}, "video_analyses": {}, "generated_media": []},
        }
        return self._ok({"task_id": task_id, "session_id": sid, "user_id": self._user(request)})

    async def _state(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "state")
        denied = await self._guard(request, "state")
        if denied is not None:
            return denied
        sid = request.match_info["sid"]
        session = self._session(sid)
        if session is None:
            return self._code(1002, "session not found")
        return self._ok(
            {
                "session_id": sid,
                "task_id": session["task_id"],
                "task_name": session["task_name"],
                "state": json.loads(json.dumps(session["state"])),
            }
        )

    async def _credits(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "credits")
        denied = await self._guard(request, "credits")
        if denied is not None:
            return denied
        available, frozen = self.credits["available"], self.credits["frozen"]
        return self._ok({"available": available, "frozen": frozen, "total": available + frozen})

    # ----- upload --------------------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        sid = request.match_info["sid"]
        recorded = await self._record(request, "upload")
        names: list[tuple[str, int]] = []
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                data = await part.read()  # type: ignore[union-attr]
                recorded.files.append((part.name or "", part.filename or "", len(data)))  # type: ignore[union-attr]
                if part.name == "files":  # type: ignore[union-attr]
                    names.append((part.filename or "", len(data)))  # type: ignore[union-attr]
        else:
            body = await request.json()
            recorded.body = body
            if body.get("source_type") != "url":
                return self._code(400, "source_type must be url", http=400)
            names = [(PurePosixPath(u.split("?", 1)[0]).name, 0) for u in body.get("urls", [])]
        denied = await self._guard(request, "upload")
        if denied is not None:
            return denied
        session = self._session(sid)
        if session is None:
            return self._code(1002, "session not found")
        if not names:
            return self._code(400, "no files", http=400)
        files = []
        for name, size in names:
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            kind = next((k for k, exts in ALLOWED.items() if ext in exts), None)
            if kind is None:
                return self._code(4001, f"unsupported file: {ext}")
            if size > self.max_upload_bytes:
                return self._code(4002, "file too large")
            info = {
                "filename": name,
                "file_type": kind,
                "cdn_url": f"{self.cdn_base}/uploads/{uuid.uuid4().hex[:8]}_{name}",
                "duration": 10.0,
                "width": 320 if kind != "audio" else 0,
                "height": 180 if kind != "audio" else 0,
                "fps": 30 if kind == "video" else 0,
                "hash": uuid.uuid4().hex,
            }
            files.append(info)
            session["state"]["video_infos"].append(info)
        return self._ok({"files": files, "session_state_applied": True})

    # ----- the agent -----------------------------------------------------------------------------------

    async def _run_sse(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await self._record(request, "run_sse", body)
        denied = await self._guard(request, "run_sse")
        if denied is not None:
            return denied
        session = self._session(str(body.get("session_id")))
        if session is None:
            return self._code(1002, "session not found")
        parts = body.get("new_message", {}).get("parts", [])
        self.turn_messages.append("".join(p.get("text", "") for p in parts if isinstance(p, dict)))
        turn = self.turns.popleft() if self.turns else Turn([adk_text("OK.")])
        if turn.draft is not None:
            session["state"]["draft"] = turn.draft
        if turn.mutate is not None:
            turn.mutate(session["state"])
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        try:
            for step in turn.steps:
                if isinstance(step, Sleep):
                    await asyncio.sleep(step.seconds)
                elif isinstance(step, _Drop):
                    assert request.transport is not None
                    request.transport.close()
                    return response
                elif isinstance(step, str):
                    await response.write(step.encode())
                else:
                    await response.write(f"data: {json.dumps(step)}\n\n".encode())
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client went away (timeout or cancellation)
        return response

    # ----- render --------------------------------------------------------------------------------------

    async def _render_submit(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await self._record(request, "render", body)
        denied = await self._guard(request, "render")
        if denied is not None:
            return denied
        if request.headers.get("X-Skill-Source") is None:
            return web.json_response({"success": False, "error": "export requires a plan"}, status=402)
        rid = str(body.get("id", ""))
        if not rid or rid in self.renders:
            return web.json_response({"success": False, "error": "duplicate render id"})
        if not body.get("draft") or body.get("sessionId") not in self.sessions:
            return web.json_response({"success": False, "error": "bad render request"}, status=400)
        outcome = self.render_outcomes.popleft() if self.render_outcomes else "ok"
        self.renders[rid] = RenderJob(rid, str(body["sessionId"]), outcome)
        return web.json_response({"success": True, "data": {"id": rid, "status": "pending", "progress": 5}})

    async def _render_poll(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "poll")
        denied = await self._guard(request, "poll")
        if denied is not None:
            return denied
        job = self.renders.get(request.match_info["rid"])
        if job is None:
            return web.json_response({"success": False, "error": "not found"}, status=404)
        job.polls += 1
        url = f"{self.cdn_base}/{job.id}.mp4"
        error = None
        if job.cancelled:
            status, progress = "failed", 0
            error = "cancelled"
        elif job.polls >= self.polls_to_complete:
            status, progress = ("failed", 50) if job.outcome == "fail" else ("completed", 100)
            error = "lambda crashed" if job.outcome == "fail" else None
        else:
            status, progress = "processing", 100 * job.polls // (self.polls_to_complete + 1)
        done = status == "completed"
        if self.poll_shape == "top":
            top: dict[str, Any] = {"id": job.id, "status": status, "progress": progress}
            if done:
                top["output"] = {"url": url, "duration": 10.0, "size": len(self.video_bytes)}
            if error:
                top["error"] = error
            return web.json_response(top)
        data: dict[str, Any] = {"status": status, "progress": progress, "createdAt": "2026-01-01T00:00:00Z"}
        if done:
            data["outputUrl"] = url
            data["completedAt"] = "2026-01-01T00:01:00Z"
        if error:
            data["error"] = error
        return web.json_response({"success": True, "data": data})

    async def _render_cancel(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "cancel")
        denied = await self._guard(request, "cancel")
        if denied is not None:
            return denied
        job = self.renders.get(request.match_info["rid"])
        if job is not None:
            job.cancelled = True
        return web.json_response({"success": True, "data": {"id": request.match_info["rid"], "status": "cancelled"}})

    async def _render_download(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "download")
        denied = await self._guard(request, "download")
        if denied is not None:
            return denied
        if request.match_info["rid"] not in self.renders:
            return web.json_response({"success": False, "error": "not found"}, status=404)
        return web.Response(body=self.video_bytes, content_type="video/mp4")

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, "cdn")
        scripted = await self._scripted(request, "cdn")
        if scripted is not None:
            return scripted
        return web.Response(body=self.video_bytes, content_type="video/mp4")


# ----- for the backend's tests -------------------------------------------------------------------------

FAST: dict[str, Any] = {
    "rate_limit_wait_s": 0.01,
    "retry_backoff_s": 0.01,
    "idle_timeout_s": 5.0,
    "progress_interval_s": 0.0,
    "recovery_waits_s": (0.01, 0.01, 0.01, 0.01, 0.01),
    "poll_interval_s": 0.01,
    "render_timeout_s": 10.0,
}
"""Constructor arguments that make ``NemoBackend`` wait milliseconds instead of minutes."""
