"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the Telegram adapter.

It speaks enough of the Bot API (https://core.telegram.org/bots/api) for python-telegram-bot's real
``Application``/``Bot`` to run against it::

    async with FakeBotApi() as fake:
        app = (
            ApplicationBuilder().token(fake.token)
            .base_url(fake.base_url).base_file_url(fake.base_file_url).build()
        )
        ...
        fake.push_message(chat_id=1, user_id=1, text="hi")
        call = await fake.wait_for("sendMessage")

Requests are accepted as JSON, urlencoded or multipart/form-data bodies (PTB sends form data whose
non-string values are JSON-encoded, and multipart when files are attached) and as query strings.
Errors have the real API's shape and wording: ``{"ok": false, "error_code": 400, "description":
"Bad Request: ..."}``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer, UploadedFile

MB = 1024 * 1024
#: The public Bot API lets bots download files up to 20 MB and upload up to 50 MB.
PUBLIC_DOWNLOAD_LIMIT = 20 * MB
PUBLIC_UPLOAD_LIMIT = 50 * MB
MAX_TEXT = 4096
MAX_CAPTION = 1024

#: Parameters whose value is always a plain string, never JSON (a text of "123" stays a string).
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "file_id",
        "action",
        "inline_message_id",
        "url",
        "language_code",
        "business_connection_id",
        "message_effect_id",
    }
)
#: Media kinds a message can carry, with the folder the real API puts their file_path in.
_MEDIA_FOLDERS = {
    "video": "videos",
    "document": "documents",
    "audio": "music",
    "voice": "voice",
    "animation": "animations",
    "photo": "photos",
}
_DEFAULT_MIME = {
    "video": "video/mp4",
    "document": "application/octet-stream",
    "audio": "audio/mpeg",
    "voice": "audio/ogg",
    "animation": "video/mp4",
}


class ApiError(Exception):
    """An error answer of the Bot API (status, description and optional response parameters)."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body the real API sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    """A 400 error with the API's ``Bad Request: ...`` wording."""
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class ApiCall:
    """One recorded bot call: method, decoded parameters, uploaded files and the outcome."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    ok: bool = True
    result: Any = None
    error: str | None = None


@dataclass
class StoredFile:
    """A file the fake knows: added by a test or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    data: bytes
    size: int
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    size_announced: bool = True
    """Whether messages carrying it say its size (the API may leave ``file_size`` out)."""


@dataclass
class _Failure:
    """A scripted error for the next ``times`` calls of a method."""

    error: ApiError
    times: int


def _decode_value(key: str, value: str) -> Any:
    """Undo PTB's form encoding: non-string values arrive JSON-encoded."""
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities the real client/server would attach: bot commands, @mentions and URLs."""
    found: list[tuple[int, int, str]] = []
    for pattern, kind in (
        (r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?", "bot_command"),
        (r"(?<![\w@])@[A-Za-z0-9_]{5,32}", "mention"),
        (r"https?://[^\s]+", "url"),
    ):
        for match in re.finditer(pattern, text):
            found.append((match.start(), match.end(), kind))
    found.sort()
    entities: list[dict[str, Any]] = []
    last_end = -1
    for start, end, kind in found:
        if start < last_end:
            continue
        entities.append({"type": kind, "offset": _utf16_len(text[:start]), "length": _utf16_len(text[start:end])})
        last_end = end
    return entities


class FakeBotApi(LoopbackServer):
    """An aiohttp server on 127.0.0.1 that behaves like the Telegram Bot API for one bot.

    Test side: :meth:`add_file`, :meth:`push_message`, :meth:`push_callback_query` feed it; :attr:`sent`
    and :meth:`wait_for` show what the bot did; :meth:`fail_next` scripts errors (e.g. flood limits).
    ``download_limit``/``upload_limit`` default to the public API's 20 MB / 50 MB (``None`` = no limit,
    like a local Bot API server).
    """

    def __init__(
        self,
        token: str = "123456789:TEST-fake-token_ABCdefGHIjkl",
        *,
        bot_username: str = "music_cog_test_bot",
        bot_first_name: str = "Music Cog",
        download_limit: int | None = PUBLIC_DOWNLOAD_LIMIT,
        upload_limit: int | None = PUBLIC_UPLOAD_LIMIT,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.download_limit = download_limit
        self.upload_limit = upload_limit
        #: Every call but ``getUpdates`` (polling noise), in arrival order.
        self.sent: list[ApiCall] = []
        #: Every call including ``getUpdates``.
        self.calls: list[ApiCall] = []
        self.files: dict[str, StoredFile] = {}
        #: Messages by (chat_id, message_id): the users' and the bot's.
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.webhook_deleted = False
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._consumed: set[int] = set()
        self._failures: dict[str, list[_Failure]] = {}
        self._changed: asyncio.Event | None = None
        self._closing = False
        super().__init__()

    # ------------------------------------------------------------------ lifecycle
    @property
    def max_request_bytes(self) -> int:  # type: ignore[override]
        return max(self.upload_limit or 0, 2100 * MB) + MB

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/file/{bot_token}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{bot_token}/{method}", self._handle_method)

    async def start(self) -> None:
        self._changed = asyncio.Event()
        self._closing = False
        await super().start()

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._closing = True
        self._notify()
        await super().stop()

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.root}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)`` (PTB appends the token)."""
        return f"{self.root}/file/bot"

    # ------------------------------------------------------------------ test side: input
    def bot_user(self) -> dict[str, Any]:
        """The bot's ``User`` object as getMe returns it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def add_file(
        self,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        kind: str = "document",
        size: int | None = None,
        size_announced: bool = True,
        **meta: Any,
    ) -> str:
        """Store a file "on Telegram's servers" and return its file_id.

        ``size`` overrides the announced size (to test limits without allocating the bytes), and
        ``size_announced=False`` leaves it out of the messages (getFile still knows it); ``meta``
        (width, height, duration, performer, ...) is copied into the media object of pushed messages.
        """
        number = next(self._file_ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind in ("video", "animation"):
            suffix = ".mp4"
        file_id = f"FAKE{kind.upper()}{number:06d}AgADfileid"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            size=len(data) if size is None else size,
            file_path=f"{_MEDIA_FOLDERS.get(kind, 'documents')}/file_{number}{suffix}",
            file_name=file_name,
            mime_type=mime_type or _DEFAULT_MIME.get(kind),
            meta=dict(meta),
            size_announced=size_announced,
        )
        self.files[file_id] = stored
        return file_id

    def add_chat(
        self, chat_id: int, *, chat_type: str = "private", title: str | None = None, user_id: int | None = None
    ) -> dict[str, Any]:
        """Make a chat known (the real API refuses to send to chats the bot has never seen)."""
        if chat_type == "private":
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": f"User{user_id or chat_id}"}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title or f"Group {chat_id}"}
        self.chats.setdefault(chat_id, chat)
        return self.chats[chat_id]

    def user(self, user_id: int, *, language_code: str = "en") -> dict[str, Any]:
        """A human ``User`` object."""
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "username": f"user{user_id}",
            "language_code": language_code,
        }

    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        video: str | bytes | None = None,
        document: str | bytes | None = None,
        audio: str | bytes | None = None,
        voice: str | bytes | None = None,
        animation: str | bytes | None = None,
        photo: str | bytes | None = None,
        media_group_id: str | None = None,
        caption: str | None = None,
        chat_type: str = "private",
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
        language_code: str = "en",
    ) -> dict[str, Any]:
        """Queue an update with a message from a user; returns the message object.

        Media arguments take a file_id from :meth:`add_file` or raw bytes (stored on the fly); a ``photo``
        arrives as the real API sends one, a list of sizes (a thumbnail and the full picture).
        ``media_group_id`` makes the message part of an album (push one message per item, as Telegram does).
        ``entities``/``caption_entities`` default to auto-detected commands, mentions and URLs.
        """
        chat = self.add_chat(chat_id, chat_type=chat_type, user_id=user_id)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, language_code=language_code),
        }
        if text is not None:
            message["text"] = text
            ents = detect_entities(text) if entities is None else entities
            if ents:
                message["entities"] = ents
        media = {"video": video, "document": document, "audio": audio, "voice": voice, "animation": animation}
        for kind, value in media.items():
            if value is None:
                continue
            file_id = self.add_file(value, kind=kind) if isinstance(value, bytes) else value
            message[kind] = self._media_object(self.files[file_id], kind)
            if kind == "animation":  # the real API sends animations as documents too
                message["document"] = self._media_object(self.files[file_id], "document")
        if photo is not None:
            file_id = self.add_file(photo, kind="photo") if isinstance(photo, bytes) else photo
            message["photo"] = self._photo_sizes(self.files[file_id])
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if caption is not None:
            message["caption"] = caption
            ents = detect_entities(caption) if caption_entities is None else caption_entities
            if ents:
                message["caption_entities"] = ents
        if reply_to_message_id is not None:
            replied = self.messages.get((chat_id, reply_to_message_id))
            if replied is None:
                replied = {"message_id": reply_to_message_id, "date": int(time.time()), "chat": chat}
            message["reply_to_message"] = replied
        self.messages[(chat_id, message["message_id"])] = message
        self._push_update({"message": message})
        return message

    def push_callback_query(
        self, chat_id: int, user_id: int, message_id: int, data: str, *, language_code: str = "en"
    ) -> str:
        """Queue a button press on message ``message_id``; returns the callback query id."""
        chat = self.add_chat(chat_id, user_id=user_id)
        message = self.messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
        }
        query_id = f"{next(self._callback_ids)}{user_id}"
        self._open_callbacks.add(query_id)
        self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id, language_code=language_code),
                    "message": message,
                    "chat_instance": f"instance{chat_id}",
                    "data": data,
                }
            }
        )
        return query_id

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (default: a flood-limit 429)."""
        params: dict[str, Any] | None = None
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
            params = {"retry_after": retry_after}
        error = ApiError(error_code, description or "Bad Request: scripted failure", params)
        self._failures.setdefault(method, []).append(_Failure(error, times))

    # ------------------------------------------------------------------ test side: inspection
    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (through a higher getUpdates offset)."""
        return list(self._updates)

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method."""
        return [call for call in self.sent if call.method == method]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
    ) -> ApiCall:
        """Await the earliest call of ``method`` (matching ``predicate``) not returned by an earlier wait.

        Each call is handed out once, so consecutive waits walk through the bot's calls in order.
        Raises ``TimeoutError`` with a summary of what the bot did call.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, call in enumerate(self.calls):
                if index in self._consumed or call.method != method:
                    continue
                if predicate is None or predicate(call):
                    self._consumed.add(index)
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [c.method for c in self.sent]
                raise TimeoutError(f"no {method} call within {timeout}s; bot called: {seen}")
            assert self._changed is not None
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    # ------------------------------------------------------------------ internals
    def _notify(self) -> None:
        """Wake everything waiting for a new call or update."""
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _push_update(self, body: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **body})
        self._notify()

    def _photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        """A photo as the real API sends it: a small thumbnail (another file) and the picture itself."""
        width, height = stored.meta.get("width", 640), stored.meta.get("height", 480)
        thumb = self.add_file(stored.data[:64], kind="photo")
        sizes = [(self.files[thumb], 90, 90 * height // max(1, width)), (stored, width, height)]
        return [
            {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.size, "width": w, "height": h}
            for f, w, h in sizes
        ]

    def _media_object(self, stored: StoredFile, kind: str) -> dict[str, Any]:
        obj: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.size_announced:
            obj["file_size"] = stored.size
        mime_type = stored.mime_type or _DEFAULT_MIME.get(kind)
        if mime_type:
            obj["mime_type"] = mime_type
        if stored.file_name and kind in ("video", "document", "audio", "animation"):
            obj["file_name"] = stored.file_name
        if kind in ("video", "animation"):
            obj.update(width=stored.meta.get("width", 640), height=stored.meta.get("height", 360))
        if kind in ("video", "animation", "audio", "voice"):
            obj["duration"] = stored.meta.get("duration", 1)
        for key in ("performer", "title"):
            if kind == "audio" and key in stored.meta:
                obj[key] = stored.meta[key]
        return obj

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        """Decode query string plus JSON, urlencoded or multipart body."""
        params: dict[str, Any] = {k: _decode_value(k, v) for k, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if request.method != "POST" or not request.body_exists:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            params.update(body)
            return params, files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
            elif isinstance(value, str):
                params[key] = _decode_value(key, value)
        return params, files

    async def _handle_method(self, request: web.Request) -> web.Response:
        bot_token = request.match_info["bot_token"]
        method = request.match_info["method"]
        if not bot_token.startswith("bot") or bot_token[3:] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        try:
            params, files = await self._read_params(request)
        except ApiError as exc:
            return web.json_response(exc.payload(), status=exc.code)
        call = ApiCall(method=method, params=params, files=files)
        self.calls.append(call)
        if method.lower() != "getupdates":
            self.sent.append(call)
        try:
            call.result = await self._dispatch(method, params, files)
        except ApiError as exc:
            call.ok, call.error = False, exc.description
            self._notify()
            return web.json_response(exc.payload(), status=exc.code)
        self._notify()
        return web.json_response({"ok": True, "result": call.result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["bot_token"] != f"bot{self.token}":
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _dispatch(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        failures = self._failures.get(method)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.pop(0)
            raise failure.error
        handler = self._methods().get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        if self.upload_limit is not None and sum(len(f.data) for f in files.values()) > self.upload_limit:
            raise ApiError(413, "Request Entity Too Large")
        return await handler(params, files)

    def _methods(self) -> dict[str, Callable[[dict[str, Any], dict[str, UploadedFile]], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
            "sendvideo": self._send_video,
            "senddocument": self._send_document,
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
        }

    # ------------------------------------------------------------------ Bot API methods
    async def _get_me(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return self.bot_user()

    async def _get_updates(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            assert self._changed is not None
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                break
        return self._updates[:limit]

    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_deleted = True
        return True

    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" is required')
        self.commands = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return self.commands

    async def _delete_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        self.commands = []
        return True

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError) as exc:
            raise bad_request("chat not found") from exc
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _new_bot_message(self, chat: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user(),
        }
        reply_to = params.get("reply_to_message_id")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id")
        if reply_to is not None:
            replied = self.messages.get((chat["id"], int(reply_to)))
            if replied is None:
                raise bad_request("message to be replied not found")
            message["reply_to_message"] = replied
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params)
        text = str(params.get("text") or "")
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        message = self._new_bot_message(chat, params)
        message["text"] = text
        return self._store(message)

    def _find_message(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        chat = self._chat(params)
        try:
            message_id = int(params.get("message_id") or 0)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"message to {what} not found") from exc
        message = self.messages.get((chat["id"], message_id))
        if message is None:
            raise bad_request(f"message to {what} not found")
        return message

    async def _edit_message_text(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if params.get("inline_message_id"):
            return True
        message = self._find_message(params, "edit")
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = str(params.get("text") or "")
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        markup = params.get("reply_markup")
        if text == message["text"] and markup == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly the "
                "same as a current content and reply markup of the message"
            )
        message = {**message, "text": text, "edit_date": int(time.time())}
        message.pop("reply_markup", None)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return self._store(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if params.get("inline_message_id"):
            return True
        message = self._find_message(params, "edit")
        markup = params.get("reply_markup")
        if markup == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly the "
                "same as a current content and reply markup of the message"
            )
        message = {**message, "edit_date": int(time.time())}
        message.pop("reply_markup", None)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return self._store(message)

    async def _send_chat_action(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        self._chat(params)
        if not params.get("action"):
            raise bad_request("wrong parameter action in request")
        return True

    async def _get_file(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if self.download_limit is not None and stored.size > self.download_limit:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _input_file(
        self, kind: str, params: dict[str, Any], files: dict[str, UploadedFile], meta: dict[str, Any]
    ) -> StoredFile:
        """The file a send* call refers to: an upload, ``attach://name`` or an existing file_id."""
        value = params.get(kind)
        upload = files.get(kind)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            file_id = self.add_file(
                upload.data,
                file_name=upload.filename,
                mime_type=upload.content_type if upload.content_type != "application/octet-stream" else None,
                kind=kind,
                **meta,
            )
            return self.files[file_id]
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if value in (None, ""):
            raise bad_request(f"there is no {kind} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _check_caption(self, params: dict[str, Any], message: dict[str, Any]) -> None:
        caption = params.get("caption")
        if caption:
            if len(str(caption)) > MAX_CAPTION:
                raise bad_request("message caption is too long")
            message["caption"] = str(caption)

    async def _send_video(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params)
        meta = {k: params[k] for k in ("width", "height", "duration") if params.get(k) is not None}
        stored = self._input_file("video", params, files, meta)
        message = self._new_bot_message(chat, params)
        self._check_caption(params, message)
        message["video"] = self._media_object(stored, "video")
        return self._store(message)

    async def _send_document(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat = self._chat(params)
        stored = self._input_file("document", params, files, {})
        message = self._new_bot_message(chat, params)
        self._check_caption(params, message)
        message["document"] = self._media_object(stored, "document")
        return self._store(message)

    async def _answer_callback_query(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        return True

    async def _delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        message = self._find_message(params, "delete")
        del self.messages[(message["chat"]["id"], message["message_id"])]
        return True
