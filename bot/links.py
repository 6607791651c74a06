"""Download a video a user sent as an http(s) link: safely, under a size cap and timeouts (issue 5, "Links").

``fetch_url(url, dest_dir, max_bytes=..., settings=...)`` returns the path of the downloaded file or raises
``InputRejected`` with one plain sentence (a phrase of the "links" section of ``bot.language``); it never
leaves a partial file behind.

Guards, in order, for the first URL and again for every redirect hop:

1. Only ``http``/``https``; no ``user:password@`` in the URL; ports 80/443 only (unless allow-listed).
2. The host is resolved with DNS (``loop.getaddrinfo``) and the link is refused if ANY address it resolves
   to is private, loopback, link-local, multicast, reserved, unspecified, shared (CGNAT) or not globally
   routable, including IPv4 addresses hidden in IPv6 forms (IPv4-mapped, 6to4, Teredo, NAT64).
   Hosts named in ``settings.link_allowed_hosts`` skip this refusal and the port rule (tests, operators).
3. The connection goes to one of the addresses that was just vetted, never to a fresh resolution, so
   a DNS answer that changes between the check and the connect (DNS rebinding) cannot redirect us.

How (3) is done: the request URL carries the vetted IP literal instead of the host name, the ``Host``
header carries the original ``host[:port]``, and for https the documented httpx/httpcore request
extension ``sni_hostname`` carries the original name, so TLS SNI and certificate verification are done
against the real host name, not the IP. This uses only public httpx API (no private transport
internals, no custom network backend) and httpx never resolves a name at all. Environment proxies are
ignored (``trust_env=False``): a proxy would do its own resolution and defeat the check. Redirects are
followed by hand (``follow_redirects=False``) so every hop goes through (1)-(3), up to
``settings.link_max_redirects``.

The body is streamed to a hidden ``.part`` file by :func:`save_capped`, the project's one capped
streaming download (Discord attachments and NemoVideo results use it too): ``Content-Length`` above the
cap is refused before reading, the streamed byte count is enforced too (for chunked or lying servers),
and the first bytes must look like a video/audio container (MP4/MOV/M4A ``ftyp``, Matroska/WebM, AVI, WAV, MPEG-TS/PS,
Ogg, MP3, AAC, FLAC, FLV, ASF). The final name is ``link-<random>.<ext from the sniffed type>``; nothing
from the URL reaches the file system.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from bot.config import Settings, get_settings
from bot.errors import InputRejected

__all__ = ["HEAD_BYTES", "check_public_url", "fetch_url", "is_forbidden_address", "save_capped", "sniff_media"]

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SCHEMES = {"http": 80, "https": 443}
_OPEN_PORTS = frozenset({80, 443})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
HEAD_BYTES = 512
"""How much of a body :func:`save_capped` hands to ``check_head`` (enough to tell the container)."""
_CHUNK = 64 * 1024
_MAX_CONNECT_ATTEMPTS = 4
_USER_AGENT = "BestMusicCog/0.1 (+video link fetcher)"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

# The phrase keys of the sentences users see (``bot.language``, section "links").
_NOT_A_LINK = "link_not_a_link"
_BAD_SCHEME = "link_bad_scheme"
_USERINFO = "link_userinfo"
_BAD_PORT = "link_bad_port"
_PRIVATE = "link_private"
_NO_HOST = "link_no_host"
_UNREACHABLE = "link_unreachable"
_TOO_SLOW = "link_too_slow"
_TOO_MANY_REDIRECTS = "link_too_many_redirects"
_BAD_REDIRECT = "link_bad_redirect"
_HTTP_ERROR = "link_http_error"
_EMPTY = "link_empty"
_WEB_PAGE = "link_web_page"
_NOT_MEDIA = "link_not_media"
_FAILED = "link_failed"


def _too_big(max_bytes: int) -> InputRejected:
    """The link's body is over the cap; the limit in the largest unit that keeps it a whole number."""
    mb = max_bytes / 1_000_000
    if mb >= 1:
        return InputRejected("link_too_big_mb", limit_mb=f"{mb:.0f}")
    if max_bytes >= 1000:
        return InputRejected("link_too_big_kb", limit_kb=max_bytes // 1000)
    return InputRejected("link_too_big_bytes", limit_bytes=max_bytes)


# ----- address checks ----------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (IPv4-mapped, 6to4, Teredo server and client, NAT64)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_forbidden_address(ip: IPAddress) -> bool:
    """True if a link must not make us connect to ``ip`` (anything but a plain public unicast address)."""
    if isinstance(ip, ipaddress.IPv6Address) and any(is_forbidden_address(v4) for v4 in _embedded_ipv4(ip)):
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return True
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _allowed_hosts(settings: Settings) -> frozenset[str]:
    parts = settings.link_allowed_hosts.replace(";", ",").replace(" ", ",").split(",")
    return frozenset(_norm_host(p.strip().strip("[]")) for p in parts if p.strip())


def _norm_host(host: str) -> str:
    return host.lower().rstrip(".")


async def _getaddrinfo(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, as strings (a seam for tests)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


async def _vet(url: httpx.URL, allowed: frozenset[str]) -> tuple[str, list[str]]:
    """Check one hop's URL; return its ASCII host name and the vetted addresses to connect to."""
    if url.scheme not in _SCHEMES:
        raise InputRejected(_BAD_SCHEME)
    if url.userinfo:
        raise InputRejected(_USERINFO)
    try:
        host = url.raw_host.decode("ascii")
    except UnicodeDecodeError:
        raise InputRejected(_NOT_A_LINK) from None
    if not host:
        raise InputRejected(_NOT_A_LINK)
    port = url.port or _SCHEMES[url.scheme]
    trusted = _norm_host(host) in allowed
    if not trusted and port not in _OPEN_PORTS:
        raise InputRejected(_BAD_PORT)
    try:
        addresses = await _getaddrinfo(host, port)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        logger.info("link host %r did not resolve: %s", host, exc)
        raise InputRejected(_NO_HOST) from exc
    vetted: list[str] = []
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            raise InputRejected(_NO_HOST) from None
        if not trusted and is_forbidden_address(ip):
            logger.warning("link refused: host %r resolves to non-public address %s", host, ip)
            raise InputRejected(_PRIVATE)
        if str(ip) not in vetted:
            vetted.append(str(ip))
    if not vetted:
        raise InputRejected(_NO_HOST)
    return host, vetted


# ----- content sniffing --------------------------------------------------------------------------

_MOV_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def _sniff(head: bytes) -> str:
    """The file extension for a recognised video/audio container, else ``InputRejected``."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return ".mov"
        if brand in (b"M4A ", b"M4B "):
            return ".m4a"
        if brand.startswith(b"3g"):
            return ".3gp"
        return ".mp4"
    if len(head) >= 8 and head[4:8] in _MOV_ATOMS:
        return ".mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm" if b"webm" in head[:64] else ".mkv"
    if head.startswith(b"RIFF") and len(head) >= 12:
        if head[8:12] == b"AVI ":
            return ".avi"
        if head[8:12] == b"WAVE":
            return ".wav"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return ".ts"
    if head.startswith(b"\x00\x00\x01\xba"):
        return ".mpg"
    if head.startswith(b"OggS"):
        return ".ogg"
    if head.startswith(b"fLaC"):
        return ".flac"
    if head.startswith(b"ID3"):
        return ".mp3"
    if head.startswith(b"FLV\x01"):
        return ".flv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return ".wmv"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS AAC: sync, layer 00
            return ".aac"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame sync, layer set
            return ".mp3"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<", b"{", b"[")) or b"<html" in head.lower():
        raise InputRejected(_WEB_PAGE)
    raise InputRejected(_NOT_MEDIA)


def sniff_media(head: bytes) -> str:
    """The file extension for a recognised video/audio container from a body's first :data:`HEAD_BYTES`
    bytes, else ``InputRejected`` (a web page, or not media): the links' check, for the upload page too."""
    return _sniff(head)


# ----- download ----------------------------------------------------------------------------------


async def check_public_url(url: str, settings: Settings | None = None) -> str:
    """The link, normalised, if it points at a public address (the same rules as :func:`fetch_url`'s first
    hop), for handing to a service that fetches it itself. Raises ``InputRejected`` otherwise."""
    settings = settings or get_settings()
    parsed = _parse_link(url)
    await _vet(parsed, _allowed_hosts(settings))
    return str(parsed)


def _parse_link(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise InputRejected(_NOT_A_LINK) from None
    if not parsed.scheme:
        raise InputRejected(_NOT_A_LINK)
    return parsed


async def fetch_url(url: str, dest_dir: Path, *, max_bytes: int, settings: Settings | None = None) -> Path:
    """Download the video at ``url`` into ``dest_dir`` and return its path (see the module docstring).

    Raises ``InputRejected`` (a sentence safe to show the user) for every failure; no partial file is left.
    """
    settings = settings or get_settings()
    start = _parse_link(url)
    token = uuid.uuid4().hex
    part = dest_dir / f".link-{token}.part"
    done = False
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        async with asyncio.timeout(settings.link_timeout_s):
            ext = await _download(start, part, max_bytes, settings)
        final = dest_dir / f"link-{token}{ext}"
        part.replace(final)
        done = True
        return final
    except InputRejected:
        raise
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise InputRejected(_TOO_SLOW) from exc
    except (httpx.TransportError, ConnectionError) as exc:
        logger.info("link download failed: %s", type(exc).__name__)
        raise InputRejected(_UNREACHABLE) from exc
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        logger.warning("link download failed", exc_info=True)
        raise InputRejected(_FAILED) from exc
    finally:
        if not done:
            part.unlink(missing_ok=True)


async def _download(start: httpx.URL, part: Path, max_bytes: int, settings: Settings) -> str:
    allowed = _allowed_hosts(settings)
    timeout = httpx.Timeout(
        connect=settings.link_connect_timeout_s,
        read=settings.link_read_timeout_s,
        write=settings.link_read_timeout_s,
        pool=settings.link_connect_timeout_s,
    )
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity", "Accept": "video/*, audio/*, */*;q=0.5"}
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout, headers=headers) as client:
        current = start
        for _hop in range(max(0, settings.link_max_redirects) + 1):
            host, addresses = await _vet(current, allowed)
            response = await _open(client, current, host, addresses)
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location", "").strip()
                    if not location:
                        raise InputRejected(_BAD_REDIRECT)
                    try:
                        current = current.join(location)
                    except (httpx.InvalidURL, ValueError):
                        raise InputRejected(_BAD_REDIRECT) from None
                    continue
                if not 200 <= response.status_code < 300:
                    logger.info("link answered HTTP %s", response.status_code)
                    raise InputRejected(_HTTP_ERROR)
                return await _save(response, part, max_bytes)
            finally:
                await response.aclose()
    raise InputRejected(_TOO_MANY_REDIRECTS)


async def _open(client: httpx.AsyncClient, url: httpx.URL, host: str, addresses: list[str]) -> httpx.Response:
    """Send GET ``url`` to one of the vetted ``addresses`` (in order), keeping Host and SNI as ``host``."""
    host_header = url.netloc.decode("ascii")
    extensions: dict[str, str] = {}
    if url.scheme == "https" and not _is_ip_literal(host):
        extensions["sni_hostname"] = host
    last: httpx.ConnectError | None = None
    for address in addresses[:_MAX_CONNECT_ATTEMPTS]:
        request = client.build_request(
            "GET", url.copy_with(host=address), headers={"Host": host_header}, extensions=extensions
        )
        try:
            return await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            last = exc
    assert last is not None
    raise last


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _save(response: httpx.Response, part: Path, max_bytes: int) -> str:
    """Stream the body to ``part`` under the cap, sniffing the first bytes; return the file extension."""
    head = await save_capped(
        response, part, max_bytes=max_bytes, too_big=lambda _size: _too_big(max_bytes), check_head=_sniff
    )
    if not head:
        raise InputRejected(_EMPTY)
    return _sniff(head)


# ----- the one capped download -------------------------------------------------------------------


async def save_capped(
    response: httpx.Response,
    target: Path,
    *,
    max_bytes: int,
    too_big: Callable[[int | None], Exception],
    check_head: Callable[[bytes], object] | None = None,
) -> bytes:
    """Stream an opened ``response``'s body into ``target``, at most ``max_bytes``; return its first bytes.

    The one capped streaming download: links (:func:`fetch_url`), Discord attachments and NemoVideo
    results all save through it, so the cap cannot be forgotten in one of them. The caller opens the
    response (``stream=True``), checks its status and closes it; this function only saves the body:

    - a ``Content-Length`` over the cap raises ``too_big(declared_bytes)`` before a byte is read, and the
      streamed count is enforced too (chunked or lying servers): ``too_big(None)``;
    - ``check_head`` sees the first chunks, at least :data:`HEAD_BYTES` bytes (the whole body if shorter and
      not empty), before any byte is written, and may raise to refuse the body early (a web page, not a video);
    - writes go through a thread (a slow disk never stalls the event loop), and on any failure
      ``target`` is removed: no partial file is left behind.

    Returns the head ``check_head`` saw: the body's first chunks, at least :data:`HEAD_BYTES` bytes unless the
    body is shorter (``b""`` for an empty one).
    """
    declared = _declared_length(response)
    if declared is not None and declared > max_bytes:
        raise too_big(declared)
    received = 0
    head = bytearray()
    handle = await asyncio.to_thread(target.open, "wb")
    try:
        try:
            async for chunk in response.aiter_bytes(_CHUNK):
                received += len(chunk)
                if received > max_bytes:
                    raise too_big(None)
                if len(head) < HEAD_BYTES:  # still collecting the head: nothing written yet
                    head += chunk
                    if len(head) < HEAD_BYTES:
                        continue
                    if check_head is not None:
                        check_head(bytes(head))
                    chunk = bytes(head)
                await asyncio.to_thread(handle.write, chunk)
            if 0 < len(head) < HEAD_BYTES:  # the whole body is shorter than a head
                if check_head is not None:
                    check_head(bytes(head))
                await asyncio.to_thread(handle.write, bytes(head))
        finally:
            await asyncio.to_thread(handle.close)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return bytes(head)


def _declared_length(response: httpx.Response) -> int | None:
    declared = response.headers.get("content-length")
    if declared is None:
        return None
    try:
        return int(declared)
    except ValueError:
        return None
