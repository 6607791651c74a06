"""A fake Discord on 127.0.0.1 (REST + gateway + CDN) for end-to-end tests of the Discord adapter.

Enough of Discord's API v10 for discord.py's real ``Client`` to log in, connect, sync slash commands and
answer interactions and messages::

    async with FakeDiscord() as fake:
        # point discord.py at fake.base_url / fake.gateway_url, log in with fake.token
        fake.push_command("music", {"video": fake.add_attachment(data, "trip.mp4"), "mood": "calm"})
        call = await fake.wait_for("edit_original")

The gateway speaks plain JSON text frames: HELLO on connect, READY + GUILD_CREATE after IDENTIFY,
HEARTBEAT_ACK for every heartbeat, and DISPATCH events the test pushes (``INTERACTION_CREATE``,
``MESSAGE_CREATE``). Every REST call is recorded as an ``ApiCall`` (a short name such as ``"followup"``,
the JSON payload, uploaded files and the answer) so tests assert on what the bot really sent. Attachments
are served from ``/cdn/attachments/...``, the way Discord's CDN serves them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakes.loopback import LoopbackServer, UploadedFile

DISCORD_EPOCH_MS = 1420070400000
MIB = 1024 * 1024


_IDS = itertools.count(1)


def snowflake(at_s: float | None = None) -> int:
    """A Discord id whose timestamp is ``at_s`` (Unix seconds, default now); unique within the process."""
    ms = int((time.time() if at_s is None else at_s) * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (next(_IDS) % 4096)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class ApiCall:
    """One recorded REST call: a short name, path parameters, JSON payload, files and the answer."""

    name: str
    path: dict[str, str]
    payload: dict[str, Any]
    files: list[UploadedFile] = field(default_factory=list)
    result: Any = None
    query: dict[str, str] = field(default_factory=dict)


class FakeDiscord(LoopbackServer):
    """One bot application, one guild with one text channel, and any users the test makes up."""

    def __init__(self, *, guild_premium_tier: int = 0) -> None:
        self.token = "FAKE.discord.token-abc123"
        self.app_id = snowflake()
        self.bot_user = self.user(self.app_id, "musiccog", bot=True)
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.guild_premium_tier = guild_premium_tier
        self.guild_locale = "en-US"
        self.calls: list[ApiCall] = []
        self.identify: dict[str, Any] | None = None
        self.commands: dict[str, list[dict[str, Any]]] = {}
        """Synced commands by scope: ``"global"`` or the guild id."""
        self.messages: dict[int, dict[str, Any]] = {}
        self._cdn: dict[str, tuple[bytes, str]] = {}
        self._ws: web.WebSocketResponse | None = None
        self._ready = asyncio.Event()
        self._changed = asyncio.Condition()
        self._seq = itertools.count(1)
        self._seen: set[int] = set()
        self._originals: dict[str, int] = {}
        self._token_channels: dict[str, int] = {}
        super().__init__()

    # ----- life ------------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        api = "/api/v10"
        wh = api + "/webhooks/{app}/{token}"
        routes = [
            ("GET", api + "/users/@me", self._me),
            ("GET", api + "/oauth2/applications/@me", self._application),
            ("GET", api + "/gateway/bot", self._gateway_bot),
            ("GET", api + "/gateway", self._gateway_bot),
            ("PUT", api + "/applications/{app}/commands", self._sync),
            ("PUT", api + "/applications/{app}/guilds/{guild}/commands", self._sync),
            ("POST", api + "/interactions/{id}/{token}/callback", self._callback),
            ("PATCH", wh + "/messages/@original", self._edit_original),
            ("DELETE", wh + "/messages/@original", self._delete_original),
            ("POST", wh, self._followup),
            ("POST", api + "/channels/{channel}/messages", self._channel_message),
            ("PATCH", api + "/channels/{channel}/messages/{message}", self._edit_message),
            ("DELETE", api + "/channels/{channel}/messages/{message}", self._delete_message),
            ("POST", api + "/channels/{channel}/typing", self._typing),
            ("GET", "/cdn/attachments/{channel}/{id}/{name}", self._cdn_get),
            ("GET", "/gateway", self._gateway),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        await super().stop()

    @property
    def base_url(self) -> str:
        return f"{self.root}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{self.root.replace('http://', 'ws://', 1)}/gateway"

    # ----- what a test pushes ----------------------------------------------------------------------

    @staticmethod
    def user(user_id: int, name: str = "someone", *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
        }

    def add_attachment(
        self, data: bytes, filename: str, *, size: int | None = None, content_type: str = "video/mp4"
    ) -> dict[str, Any]:
        """An attachment payload served by the CDN; ``size`` may claim more than ``len(data)`` (limit tests)."""
        attachment_id = str(snowflake())
        path = f"/cdn/attachments/{self.channel_id}/{attachment_id}/{filename}"
        self._cdn[path] = (data, content_type)
        url = self.root + path
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data) if size is None else size,
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    def push_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: int = 1001,
        channel_id: int | None = None,
        dm: bool = False,
        attachment_size_limit: int = 10 * MIB,
        created_at_s: float | None = None,
    ) -> dict[str, Any]:
        """A slash command; an option whose value is an attachment payload becomes an attachment option."""
        data: dict[str, Any] = {"id": str(snowflake()), "name": name, "type": 1, "options": []}
        resolved: dict[str, Any] = {}
        for key, value in (options or {}).items():
            if isinstance(value, dict):
                resolved.setdefault("attachments", {})[value["id"]] = value
                data["options"].append({"name": key, "type": 11, "value": value["id"]})
            elif isinstance(value, int):
                data["options"].append({"name": key, "type": 4, "value": value})
            else:
                data["options"].append({"name": key, "type": 3, "value": value})
        if resolved:
            data["resolved"] = resolved
        payload = self._interaction(2, data, user_id, channel_id, dm, attachment_size_limit, created_at_s)
        self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def push_button(
        self,
        custom_id: str,
        message: dict[str, Any],
        *,
        user_id: int = 1001,
        dm: bool = False,
        attachment_size_limit: int = 10 * MIB,
    ) -> dict[str, Any]:
        """A press of one of ``message``'s buttons."""
        data = {"custom_id": custom_id, "component_type": 2}
        channel_id = int(message["channel_id"])
        payload = self._interaction(3, data, user_id, channel_id, dm, attachment_size_limit, None)
        payload["message"] = message
        self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def push_message(
        self,
        content: str = "",
        *,
        user_id: int = 1001,
        channel_id: int | None = None,
        dm: bool = False,
        attachments: list[dict[str, Any]] | None = None,
        mention_bot: bool = False,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user's message in the guild channel (or a DM with ``dm=True``)."""
        channel = channel_id or (snowflake() if dm else self.channel_id)
        if mention_bot:
            content = f"<@{self.app_id}> {content}".strip()
        message = self._message(
            channel, self.user(user_id), content, attachments=attachments or [], guild=not dm, reference=reply_to
        )
        if mention_bot:
            message["mentions"] = [self.bot_user]
        self.dispatch("MESSAGE_CREATE", message)
        return message

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event on the gateway (queued until the bot has identified)."""

        async def send() -> None:
            await self._ready.wait()
            assert self._ws is not None
            await self._ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

        asyncio.get_running_loop().create_task(send())

    def update_guild(self, *, locale: str) -> None:
        """The server's settings change (GUILD_UPDATE): its preferred locale."""
        self.guild_locale = locale
        self.dispatch("GUILD_UPDATE", self._guild())

    async def wait_ready(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def wait_for(
        self, name: str | tuple[str, ...], predicate: Callable[[ApiCall], bool] | None = None, timeout: float = 30.0
    ) -> ApiCall:
        """The first recorded call named ``name`` (or any of several names) and matching ``predicate`` not yet
        returned by ``wait_for``."""
        seen = self._seen
        names = (name,) if isinstance(name, str) else name

        def find() -> ApiCall | None:
            for index, call in enumerate(self.calls):
                if index not in seen and call.name in names and (predicate is None or predicate(call)):
                    seen.add(index)
                    return call
            return None

        async def wait() -> ApiCall:
            async with self._changed:
                while (found := find()) is None:
                    await self._changed.wait()
                return found

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            names = [f"{c.name}:{c.payload.get('content')!r}" for c in self.calls]
            raise AssertionError(f"no {name} call within {timeout} s; calls: {names}") from None

    def calls_to(self, name: str) -> list[ApiCall]:
        return [call for call in self.calls if call.name == name]

    # ----- payload builders -------------------------------------------------------------------------

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: int,
        channel_id: int | None,
        dm: bool,
        attachment_size_limit: int,
        created_at_s: float | None,
    ) -> dict[str, Any]:
        channel = channel_id or (snowflake() if dm else self.channel_id)
        payload: dict[str, Any] = {
            "id": str(snowflake(created_at_s)),
            "application_id": str(self.app_id),
            "type": kind,
            "token": f"itoken-{snowflake()}",
            "version": 1,
            "data": data,
            "channel_id": str(channel),
            "locale": "en-US",
            "attachment_size_limit": attachment_size_limit,
            "app_permissions": "0",
        }
        self._token_channels[payload["token"]] = channel
        if dm:
            payload["channel"] = {"id": str(channel), "type": 1, "recipients": [self.user(user_id)]}
            payload["user"] = self.user(user_id)
        else:
            payload["guild_id"] = str(self.guild_id)
            payload["channel"] = {"id": str(channel), "type": 0, "guild_id": str(self.guild_id), "name": "general"}
            payload["member"] = {
                "user": self.user(user_id),
                "roles": [],
                "joined_at": _now_iso(),
                "permissions": "0",
                "flags": 0,
            }
        return payload

    def _message(
        self,
        channel_id: int,
        author: dict[str, Any],
        content: str,
        *,
        attachments: list[dict[str, Any]],
        guild: bool,
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        reference: dict[str, Any] | None = None,
        flags: int = 0,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": str(snowflake()),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": embeds or [],
            "components": components or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
        }
        if guild:
            message["guild_id"] = str(self.guild_id)
        if reference is not None:
            message["type"] = 19
            message["message_reference"] = {"message_id": reference["id"], "channel_id": reference["channel_id"]}
            message["referenced_message"] = reference
        self.messages[int(message["id"])] = message
        return message

    # ----- REST ------------------------------------------------------------------------------------

    async def _record(self, name: str, request: web.Request, result: Any = None) -> ApiCall:
        payload, files = await _read_body(request)
        call = ApiCall(name, dict(request.match_info), payload, files, result, dict(request.query))
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()
        return call

    def _authorised(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise web.HTTPUnauthorized(text=json.dumps({"message": "401: Unauthorized", "code": 0}))

    async def _me(self, request: web.Request) -> web.Response:
        self._authorised(request)
        return _json({**self.bot_user, "verified": True, "mfa_enabled": False, "flags": 0})

    async def _application(self, request: web.Request) -> web.Response:
        self._authorised(request)
        return _json(
            {
                "id": str(self.app_id),
                "name": "musiccog",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.user(1, "owner"),
                "verify_key": "00",
                "flags": 0,
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        self._authorised(request)
        await self._record("gateway_bot", request)
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _sync(self, request: web.Request) -> web.Response:
        self._authorised(request)
        call = await self._record("sync", request)
        body: list[dict[str, Any]] = call.payload.get("items", [])
        scope = request.match_info.get("guild", "global")
        answer = [
            {**command, "id": str(snowflake()), "application_id": str(self.app_id), "version": "1"}
            | ({"guild_id": scope} if scope != "global" else {})
            for command in body
        ]
        self.commands[scope] = answer
        call.result = answer
        return _json(answer)

    async def _callback(self, request: web.Request) -> web.Response:
        call = await self._record("callback", request)
        result = {
            "interaction": {
                "id": request.match_info["id"],
                "type": 2,
                "response_message_loading": call.payload.get("type") == 5,
                "response_message_ephemeral": False,
            },
            "resource": {"type": call.payload.get("type")},
        }
        call.result = result
        return _json(result)

    def _stored(self, call: ApiCall, channel_id: int, message_id: int | None = None) -> dict[str, Any]:
        """The message a send/edit call leaves behind (attachments get CDN URLs like the real ones)."""
        previous = self.messages.get(message_id) if message_id is not None else None
        attachments = [self.add_attachment(f.data, f.filename or "file") for f in call.files]
        if previous is not None and "attachments" not in call.payload and not call.files:
            attachments = previous["attachments"]
        payload = call.payload
        message = self._message(
            channel_id,
            self.bot_user,
            payload.get("content") if "content" in payload else (previous or {}).get("content", ""),
            attachments=attachments,
            guild=channel_id == self.channel_id,
            embeds=payload.get("embeds") if "embeds" in payload else (previous or {}).get("embeds"),
            components=payload.get("components") if "components" in payload else (previous or {}).get("components"),
        )
        if previous is not None:
            del self.messages[int(message["id"])]
            message["id"] = previous["id"]
            message["edited_timestamp"] = _now_iso()
        message["content"] = message["content"] or ""
        self.messages[int(message["id"])] = message
        call.result = message
        return message

    async def _edit_original(self, request: web.Request) -> web.Response:
        call = await self._record("edit_original", request)
        token = request.match_info["token"]
        originals = self._originals
        channel = self._interaction_channel(token)
        message = self._stored(call, channel, originals.get(token))
        originals[token] = int(message["id"])
        return _json(message)

    async def _delete_original(self, request: web.Request) -> web.Response:
        await self._record("delete_original", request)
        return web.Response(status=204)

    async def _followup(self, request: web.Request) -> web.Response:
        call = await self._record("followup", request)
        message = self._stored(call, self._interaction_channel(request.match_info["token"]))
        return _json(message)

    async def _channel_message(self, request: web.Request) -> web.Response:
        self._authorised(request)
        call = await self._record("channel_message", request)
        return _json(self._stored(call, int(request.match_info["channel"])))

    async def _edit_message(self, request: web.Request) -> web.Response:
        self._authorised(request)
        call = await self._record("edit_message", request)
        message_id = int(request.match_info["message"])
        return _json(self._stored(call, int(request.match_info["channel"]), message_id))

    async def _delete_message(self, request: web.Request) -> web.Response:
        self._authorised(request)
        await self._record("delete_message", request)
        return web.Response(status=204)

    async def _typing(self, request: web.Request) -> web.Response:
        self._authorised(request)
        await self._record("typing", request)
        return web.Response(status=204)

    async def _cdn_get(self, request: web.Request) -> web.Response:
        found = self._cdn.get(request.path)
        if found is None:
            raise web.HTTPNotFound()
        await self._record("cdn", request)
        return web.Response(body=found[0], content_type=found[1])

    def _interaction_channel(self, token: str) -> int:
        return self._token_channels.get(token, self.channel_id)

    # ----- gateway ---------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_json({"op": 11})
            elif frame["op"] == 2:
                self.identify = frame["d"]
                await self._on_identify(ws, frame["d"])
        return ws

    async def _on_identify(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        if identify.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
        }
        await ws.send_json({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
        await ws.send_json({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": self._guild()})
        self._ready.set()

    def _guild(self) -> dict[str, Any]:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": str((1 << 41) - 1),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
        }
        return {
            "id": str(self.guild_id),
            "name": "Fake guild",
            "icon": None,
            "owner_id": "1",
            "features": [],
            "premium_tier": self.guild_premium_tier,
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "channels": [{"id": str(self.channel_id), "type": 0, "name": "general", "position": 0}],
            "members": [
                {"user": self.bot_user, "roles": [], "joined_at": _now_iso(), "deaf": False, "mute": False, "flags": 0}
            ],
            "member_count": 2,
            "unavailable": False,
            "large": False,
            "preferred_locale": self.guild_locale,
        }


def _json(data: Any) -> web.Response:
    """A JSON answer whose Content-Type is exactly ``application/json`` (discord.py compares it verbatim)."""
    return web.Response(body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


async def _read_body(request: web.Request) -> tuple[dict[str, Any], list[UploadedFile]]:
    """JSON, or multipart with ``payload_json`` and ``files[n]`` parts, as discord.py sends them."""
    if request.content_type.startswith("multipart/"):
        payload: dict[str, Any] = {}
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read()
            name = part.name or ""
            if name == "payload_json":
                payload = json.loads(data)
            else:
                files.append(UploadedFile(name, part.filename, part.headers.get("Content-Type"), bytes(data)))
        return payload, files
    if not request.can_read_body:
        return {}, []
    text = await request.text()
    body = json.loads(text) if text else {}
    return (body if isinstance(body, dict) else {"items": body}), []
