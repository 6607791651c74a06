"""bot/links.py against a small HTTP server on 127.0.0.1 (no internet): SSRF guard, caps, sniffing."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot import links
from bot.config import Settings
from bot.errors import InputRejected
from bot.language import say
from bot.links import fetch_url, is_forbidden_address

MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 400  # ~100 KB, ftyp-headed
CAP = 1_000_000


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.release = threading.Event()
        self.clip = MP4

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up early (a refused or capped download does) are expected here, not errors."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/octet-stream", **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Host", "")))
        port = self.server.port
        path = self.path.split("?", 1)[0]
        try:
            if path == "/clip.mp4":
                self._send(200, self.server.clip, "video/mp4")
            elif path == "/rel":
                self._send(302, b"", Location="/clip.mp4")
            elif path == "/to-localhost":
                self._send(302, b"", Location=f"http://localhost:{port}/clip.mp4")
            elif path == "/to-metadata":
                self._send(301, b"", Location="http://169.254.169.254/latest/meta-data/")
            elif path == "/to-ftp":
                self._send(302, b"", Location="ftp://127.0.0.1/clip.mp4")
            elif path.startswith("/loop/"):
                n = int(path.rsplit("/", 1)[1])
                self._send(302, b"", Location=f"/loop/{n + 1}")
            elif path == "/big-cl":
                self.send_response(200)
                self.send_header("Content-Length", str(50 * CAP))
                self.end_headers()
                self.wfile.write(MP4[:1000])
            elif path == "/chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                block = MP4[:65536]
                for _ in range(40):  # ~2.6 MB > CAP
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                self.wfile.write(b"0\r\n\r\n")
            elif path == "/page.html":
                self._send(200, b"<!DOCTYPE html><html><body>Watch my video!</body></html>", "text/html")
            elif path == "/data.json":
                self._send(200, json.dumps({"video": "nope"}).encode(), "application/json")
            elif path == "/garbage":
                self._send(200, b"\x00\x01\x02\x03" * 300)
            elif path == "/empty":
                self._send(200, b"")
            elif path == "/missing":
                self._send(404, b"not found", "text/plain")
            elif path == "/stall":
                self.send_response(200)
                self.send_header("Content-Length", str(len(MP4)))
                self.end_headers()
                self.wfile.write(MP4[:100])
                self.wfile.flush()
                self.server.release.wait(10)
            elif path == "/drip":
                self.send_response(200)
                self.send_header("Content-Length", str(len(MP4)))
                self.end_headers()
                for i in range(0, 2000, 20):
                    if self.server.release.is_set():
                        break
                    self.wfile.write(MP4[i : i + 20])
                    self.wfile.flush()
                    time.sleep(0.1)
            else:
                self._send(404, b"", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


def _settings(allowed: str = "127.0.0.1", **kw: object) -> Settings:
    base: dict[str, object] = {
        "link_allowed_hosts": allowed,
        "link_timeout_s": 5.0,
        "link_read_timeout_s": 0.5,
        "link_connect_timeout_s": 10.0,  # loopback on a loaded 2-core box can take over a second
        "link_max_redirects": 3,
    }
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def _fetch(url: str, dest: Path, settings: Settings, max_bytes: int = CAP) -> Path:
    return asyncio.run(fetch_url(url, dest, max_bytes=max_bytes, settings=settings))


def _rejected(url: str, dest: Path, settings: Settings, max_bytes: int = CAP) -> str:
    with pytest.raises(InputRejected) as info:
        _fetch(url, dest, settings, max_bytes)
    assert list(dest.iterdir()) == [] if dest.exists() else True, "partial file left behind"
    reason = info.value.reason
    assert reason.endswith(".") and "\n" not in reason and "Error" not in reason
    return reason


# ----- happy paths ---------------------------------------------------------------------------------


def test_downloads_mp4_from_allowed_host(server: _Server, tmp_path: Path) -> None:
    path = _fetch(f"http://127.0.0.1:{server.port}/clip.mp4", tmp_path / "dl", _settings())
    assert path.read_bytes() == MP4
    assert path.parent == tmp_path / "dl"
    assert path.name.startswith("link-") and path.suffix == ".mp4"
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_real_clip_from_mediagen(server: _Server, tmp_path: Path) -> None:
    from tests.mediagen import make_clip

    clip = make_clip(tmp_path / "src.mp4", duration_s=0.5, size=(64, 36), fps=10)
    server.clip = clip.read_bytes()
    path = _fetch(f"http://127.0.0.1:{server.port}/clip.mp4?name=../../etc/passwd", tmp_path / "dl", _settings())
    assert path.read_bytes() == clip.read_bytes()
    assert path.parent == tmp_path / "dl" and ".." not in path.name


def test_relative_redirect_followed_and_rechecked(server: _Server, tmp_path: Path) -> None:
    path = _fetch(f"http://127.0.0.1:{server.port}/rel", tmp_path, _settings())
    assert path.read_bytes() == MP4
    assert [p for p, _ in server.requests] == ["/rel", "/clip.mp4"]


def test_connects_to_vetted_ip_with_original_host_header(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once by our check; httpx gets the IP, the server still sees the real Host."""
    calls: list[str] = []

    async def fake_resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(links, "_getaddrinfo", fake_resolve)
    path = _fetch(f"http://media.test:{server.port}/clip.mp4", tmp_path, _settings("media.test"))
    assert path.read_bytes() == MP4
    assert calls == ["media.test"]
    assert server.requests == [("/clip.mp4", f"media.test:{server.port}")]


# ----- SSRF guard ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/clip.mp4",
        "http://localhost:{port}/clip.mp4",
        "http://[::1]:{port}/clip.mp4",
        "http://0.0.0.0:{port}/clip.mp4",
        "http://[::ffff:127.0.0.1]:{port}/clip.mp4",
        "http://2130706433:{port}/clip.mp4",
        "http://127.0.0.1/clip.mp4",
        "http://10.1.2.3/clip.mp4",
        "http://192.168.1.1/clip.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://224.0.0.1/clip.mp4",
        "https://[ff02::1]/clip.mp4",
        "http://[2002:7f00:1::]/clip.mp4",
        "http://100.64.0.1/clip.mp4",
    ],
)
def test_private_destinations_refused_without_connecting(
    server: _Server, tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Open the test server's port too, so that it is the address check (not the port rule) that refuses.
    monkeypatch.setattr(links, "_OPEN_PORTS", frozenset({80, 443, server.port}))
    reason = _rejected(url.format(port=server.port), tmp_path, _settings(allowed=""))
    assert reason == say(links._PRIVATE)
    assert server.requests == []


def test_private_address_on_other_port_refused(server: _Server, tmp_path: Path) -> None:
    assert _rejected(f"http://127.0.0.1:{server.port}/clip.mp4", tmp_path, _settings(allowed="")) == say(
        links._BAD_PORT
    )
    assert server.requests == []


def test_any_private_address_among_resolved_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    monkeypatch.setattr(links, "_getaddrinfo", fake_resolve)
    assert _rejected("https://mixed.example/v.mp4", tmp_path, _settings(allowed="")) == say(links._PRIVATE)


def test_redirect_from_allowed_host_to_private_refused(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(links, "_OPEN_PORTS", frozenset({80, 443, server.port}))
    assert _rejected(f"http://127.0.0.1:{server.port}/to-localhost", tmp_path, _settings()) == say(links._PRIVATE)
    assert _rejected(f"http://127.0.0.1:{server.port}/to-metadata", tmp_path, _settings()) == say(links._PRIVATE)
    assert _rejected(f"http://127.0.0.1:{server.port}/to-ftp", tmp_path, _settings()) == say(links._BAD_SCHEME)
    assert [p for p, _ in server.requests] == ["/to-localhost", "/to-metadata", "/to-ftp"]


def test_too_many_redirects(server: _Server, tmp_path: Path) -> None:
    reason = _rejected(f"http://127.0.0.1:{server.port}/loop/0", tmp_path, _settings(link_max_redirects=3))
    assert reason == say(links._TOO_MANY_REDIRECTS)
    assert [p for p, _ in server.requests] == ["/loop/0", "/loop/1", "/loop/2", "/loop/3"]


def test_port_limited_unless_allow_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def must_not_resolve(host: str, port: int) -> list[str]:
        raise AssertionError("resolved a host on a refused port")

    monkeypatch.setattr(links, "_getaddrinfo", must_not_resolve)
    assert _rejected("http://example.com:8080/v.mp4", tmp_path, _settings(allowed="")) == say(links._BAD_PORT)
    assert _rejected("https://example.com:22/v.mp4", tmp_path, _settings(allowed="")) == say(links._BAD_PORT)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:secret@127.0.0.1:{port}/clip.mp4", links._USERINFO),
        ("http://user@example.com/clip.mp4", links._USERINFO),
        ("ftp://127.0.0.1:{port}/clip.mp4", links._BAD_SCHEME),
        ("file:///etc/passwd", links._BAD_SCHEME),
        ("javascript:alert(1)", links._BAD_SCHEME),
        ("not a link at all", links._NOT_A_LINK),
        ("http://", links._NOT_A_LINK),
    ],
)
def test_bad_urls(server: _Server, tmp_path: Path, url: str, expected: str) -> None:
    reason = _rejected(url.format(port=server.port), tmp_path, _settings())
    assert reason == say(expected)
    assert "secret" not in reason
    assert server.requests == []


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("255.255.255.255", True),
        ("224.0.0.1", True),
        ("239.255.255.250", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("fec0::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::1", True),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", True),  # 6to4 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True),  # Teredo
        ("64:ff9b::a00:1", True),  # NAT64 of 10.0.0.1
    ],
)
def test_is_forbidden_address(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


# ----- size, content, time ---------------------------------------------------------------------------


def test_content_length_over_cap(server: _Server, tmp_path: Path) -> None:
    reason = _rejected(f"http://127.0.0.1:{server.port}/big-cl", tmp_path, _settings())
    assert reason.startswith("That video is too big") and "1 MB" in reason


def test_chunked_stream_over_cap_removes_partial_file(server: _Server, tmp_path: Path) -> None:
    reason = _rejected(f"http://127.0.0.1:{server.port}/chunked", tmp_path, _settings())
    assert reason.startswith("That video is too big")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["/page.html", "/data.json"])
def test_web_page_refused(server: _Server, tmp_path: Path, path: str) -> None:
    assert _rejected(f"http://127.0.0.1:{server.port}{path}", tmp_path, _settings()) == say(links._WEB_PAGE)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/garbage", links._NOT_MEDIA), ("/empty", links._EMPTY), ("/missing", links._HTTP_ERROR)],
)
def test_other_bad_content(server: _Server, tmp_path: Path, path: str, expected: str) -> None:
    assert _rejected(f"http://127.0.0.1:{server.port}{path}", tmp_path, _settings()) == say(expected)


def test_stalled_server_times_out(server: _Server, tmp_path: Path) -> None:
    started = time.monotonic()
    assert _rejected(f"http://127.0.0.1:{server.port}/stall", tmp_path, _settings()) == say(links._TOO_SLOW)
    assert time.monotonic() - started < 3


def test_total_timeout_on_slow_drip(server: _Server, tmp_path: Path) -> None:
    started = time.monotonic()
    reason = _rejected(f"http://127.0.0.1:{server.port}/drip", tmp_path, _settings(link_timeout_s=1.0))
    assert reason == say(links._TOO_SLOW)
    assert time.monotonic() - started < 3


def test_connection_refused_is_a_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert _rejected(f"http://127.0.0.1:{port}/clip.mp4", tmp_path, _settings()) == say(links._UNREACHABLE)


@pytest.mark.parametrize(
    ("head", "ext"),
    [
        (b"\x00\x00\x00\x14ftypqt  ", ".mov"),
        (b"\x00\x00\x00\x20ftypM4A ", ".m4a"),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00webm", ".webm"),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00matroska", ".mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", ".avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", ".wav"),
        (b"G" + b"\x00" * 187 + b"G\x00", ".ts"),
        (b"OggS\x00\x02", ".ogg"),
        (b"ID3\x04\x00", ".mp3"),
        (b"\xff\xfb\x90\x00", ".mp3"),
        (b"fLaC\x00\x00", ".flac"),
    ],
)
def test_sniff_containers(head: bytes, ext: str) -> None:
    assert links._sniff(head + b"\x00" * 16) == ext


# ----- the one capped download -------------------------------------------------------------------


class _TooBig(Exception):
    def __init__(self, declared: int | None) -> None:
        super().__init__(declared)
        self.declared = declared


class _Chunked(httpx.AsyncByteStream):
    """A body without ``Content-Length``: only the streamed count can catch an oversize one."""

    def __init__(self, data: bytes, chunk: int = 100) -> None:
        self.data, self.chunk = data, chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.chunk):
            yield self.data[start : start + self.chunk]


def _save(
    response: httpx.Response, target: Path, max_bytes: int, check_head: Callable[[bytes], object] | None = None
) -> bytes:
    async def main() -> bytes:
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(lambda request: response)) as client,
            client.stream("GET", "https://example.com/v.mp4") as opened,
        ):
            return await links.save_capped(opened, target, max_bytes=max_bytes, too_big=_TooBig, check_head=check_head)

    return asyncio.run(main())


def test_save_capped_saves_the_body_and_hands_back_its_head(tmp_path: Path) -> None:
    body = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8
    heads: list[bytes] = []
    head = _save(httpx.Response(200, stream=_Chunked(body)), tmp_path / "v.mp4", len(body), heads.append)
    assert (tmp_path / "v.mp4").read_bytes() == body
    assert heads == [head] and len(head) >= links.HEAD_BYTES and body.startswith(head)
    assert _save(httpx.Response(200, content=b"short"), tmp_path / "s", 10, heads.append) == b"short"
    assert heads[-1] == b"short"  # a body shorter than a head is still checked
    assert _save(httpx.Response(200, content=b""), tmp_path / "e", 10, heads.append) == b""
    assert len(heads) == 2  # nothing to check in an empty body


@pytest.mark.parametrize(("declared", "expected"), [(True, 2000), (False, None)])
def test_save_capped_refuses_an_oversize_body_and_leaves_nothing(
    tmp_path: Path, declared: bool, expected: int | None
) -> None:
    body = b"x" * 2000
    response = httpx.Response(200, content=body) if declared else httpx.Response(200, stream=_Chunked(body))
    with pytest.raises(_TooBig) as info:
        _save(response, tmp_path / "v.mp4", 1000)
    assert info.value.declared == expected  # the announced size when there was one
    assert list(tmp_path.iterdir()) == []


def test_save_capped_lets_the_head_check_refuse_before_writing(tmp_path: Path) -> None:
    page = b"<!doctype html><html>" + b" " * 5000
    with pytest.raises(InputRejected) as info:
        _save(httpx.Response(200, stream=_Chunked(page)), tmp_path / "v.mp4", 10_000, links._sniff)
    assert info.value.reason == say(links._WEB_PAGE)
    assert list(tmp_path.iterdir()) == []
