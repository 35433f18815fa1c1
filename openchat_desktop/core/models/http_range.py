"""One streamed HTTP GET on the standard library: the downloader's byte-range transfer.

httpx hands a body over in ~64 KB pieces copied through h11; here ``http.client`` reads it
straight from the socket into the caller's buffer, which is what lets a download keep up
with curl. This module follows redirects (dropping the Authorization header once one leaves
the original server, as the Hub's redirects to its CDN do), goes through HTTP proxies
(CONNECT for https addresses; without one set, the ``*_proxy`` variables that httpx would
follow) and turns every failure into one of the HubErrors of
``hub_errors``: no http.client, socket or ssl exception gets out.
"""

from __future__ import annotations

import base64
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection
from typing import cast
from urllib.parse import SplitResult, unquote, urljoin, urlsplit
from urllib.request import getproxies, proxy_bypass

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models.hub_errors import (
    HubOfflineError,
    interrupted_error,
    offline_error,
    status_error,
)

MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PORTS = {"http": 80, "https": 443}


@dataclass
class RangeResponse:
    """An open answer: status, headers (lower-case names) and ``readinto`` for the body.

    ``readinto(buffer)`` fills at most ``len(buffer)`` bytes with at most one socket read,
    so that pause and cancel stay prompt on a slow line, and returns 0 at the end.
    """

    status: int
    headers: dict[str, str]
    readinto: Callable[[memoryview], int]


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy: where it listens, whether it speaks TLS, and its Basic credentials."""

    label: str  # scheme://host:port, without the credentials, for messages
    host: str
    port: int
    tls: bool
    auth: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, url: str) -> Proxy:
        """The proxy at ``url`` (``http://[user:pass@]host[:port]``; https for TLS)."""
        parts = urlsplit(url if "://" in url else f"http://{url}")
        scheme = parts.scheme.lower()
        if scheme not in _PORTS:
            raise HubError(f"The proxy type {scheme}:// is not supported for downloads; "
                           "use an http:// proxy")
        try:
            host, port = parts.hostname, parts.port or _PORTS[scheme]
        except ValueError:
            host = None
        if not host:
            raise HubError("Not a valid proxy address (expected http://host:port)")
        auth = {}
        if parts.username is not None:
            secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            auth["Proxy-Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
        return cls(f"{scheme}://{parts.netloc.rpartition('@')[2]}", host, port,
                   scheme == "https", auth)


class RangeTransport:
    """Opens streamed GETs for one Hub endpoint, through an optional proxy."""

    def __init__(self, endpoint: str, proxy: str | None, timeout: float,
                 ssl_context: Callable[[], ssl.SSLContext]) -> None:
        self.endpoint, self.timeout = endpoint, timeout
        self._proxy_url = proxy
        self._ssl_context = ssl_context

    @contextmanager
    def open(self, url: str, headers: Mapping[str, str], what: str) -> Iterator[RangeResponse]:
        """GET ``url``; statuses below 400, and 416, are handed over, others raise."""
        sent, origin = dict(headers), _origin(urlsplit(url))
        for _ in range(MAX_REDIRECTS + 1):
            target = urlsplit(url)
            if target.scheme not in _PORTS or not target.hostname:
                raise HubError(f"Unexpected download address for {what}: {url}")
            proxy = self._proxy_for(target)
            if _origin(target) != origin:  # another server (a CDN) gets no token
                sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            conn, response = self._connect(target, proxy), None
            try:
                response = self._request(conn, target, proxy, sent)
                location = response.getheader("Location")
                if response.status in _REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                if response.status >= 400 and response.status != 416:
                    raise status_error(response.status,
                                       cast(Mapping[str, str], response.headers), what)
                yield RangeResponse(response.status,
                                    {k.lower(): v for k, v in response.getheaders()},
                                    self._reader(response))
                return
            finally:
                if response is not None:
                    response.close()  # the socket lives on in the response until this
                conn.close()
        raise HubError(f"Too many redirects while downloading {what} (more than "
                       f"{MAX_REDIRECTS})")

    def _proxy_for(self, target: SplitResult) -> Proxy | None:
        """The proxy set for this client, else the environment's (as httpx would use)."""
        if self._proxy_url:
            return Proxy.parse(self._proxy_url)
        found = getproxies()
        address = found.get(target.scheme) or found.get("all")
        if not address or proxy_bypass(cast(str, target.hostname)):
            return None
        return Proxy.parse(address)

    def _connect(self, target: SplitResult, proxy: Proxy | None) -> HTTPConnection:
        """An open connection to ``target``'s server, or to the proxy (tunnelled for https)."""
        https, host = target.scheme == "https", cast(str, target.hostname)
        port = target.port or _PORTS[target.scheme]
        if proxy is not None and https and proxy.tls:
            raise HubError(f"Downloads over https cannot go through the TLS proxy "
                           f"{proxy.label}; use its http:// address")
        if proxy is None:
            conn = self._connection(https, host, port)
        elif https:
            conn = self._connection(True, proxy.host, proxy.port)
            conn.set_tunnel(host, port, headers=proxy.auth)
        else:
            conn = self._connection(proxy.tls, proxy.host, proxy.port)
        try:
            conn.connect()
        except (OSError, HTTPException, ValueError) as exc:
            conn.close()
            raise self._connect_failed(exc, proxy) from exc
        cast(socket.socket, conn.sock).settimeout(self.timeout)
        return conn

    def _connection(self, tls: bool, host: str, port: int) -> HTTPConnection:
        opening = min(self.timeout, 15.0)
        if not tls:
            return HTTPConnection(host, port, timeout=opening)
        try:
            context = self._ssl_context()
        except (OSError, ValueError) as exc:  # e.g. $SSL_CERT_FILE names a missing file
            raise HubError(f"Cannot load the TLS certificates to trust: {exc}") from exc
        return HTTPSConnection(host, port, timeout=opening, context=context)

    def _connect_failed(self, exc: Exception, proxy: Proxy | None) -> HubOfflineError:
        """The error for a connection that could not be opened (or tunnelled)."""
        label = proxy.label if proxy else None
        if proxy is not None and str(exc).startswith("Tunnel connection failed"):
            detail = str(exc).partition(": ")[2]  # http.client's words for a refused CONNECT
            return HubOfflineError(f"The proxy {label} refused the connection ({detail})")
        return offline_error(self.endpoint, label)

    def _request(self, conn: HTTPConnection, target: SplitResult, proxy: Proxy | None,
                 headers: dict[str, str]) -> HTTPResponse:
        """Send the GET and read the answer's head."""
        path = target._replace(scheme="", netloc="", fragment="").geturl() or "/"
        if proxy is not None and target.scheme == "http":  # a forward proxy: absolute URL
            path, headers = target._replace(fragment="").geturl(), {**headers, **proxy.auth}
        with self._guarded():
            conn.request("GET", path, headers=headers)
            return conn.getresponse()

    def _reader(self, response: HTTPResponse) -> Callable[[memoryview], int]:
        """``readinto`` for the body: one socket read, Content-Length or chunks honoured."""
        def readinto(buffer: memoryview) -> int:
            with self._guarded():
                if response.chunked:  # rare for files: http.client decodes the chunks
                    data = response.read1(len(buffer))
                    buffer[:len(data)] = data
                    return len(data)
                if response.length is not None:
                    buffer = buffer[:response.length]
                count = response.fp.readinto1(buffer) if buffer else 0
                if response.length is not None:
                    response.length -= count
                return count
        return readinto

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """A broken or stalled connection, once open, as a TransientHubError."""
        try:
            yield
        except TimeoutError as exc:
            raise interrupted_error(self.endpoint, timed_out=True) from exc
        except (OSError, HTTPException, ValueError) as exc:
            raise interrupted_error(self.endpoint, timed_out=False) from exc


def range_start(headers: Mapping[str, str]) -> int | None:
    """Where a 206 answer's ``Content-Range: bytes A-B/N`` starts (None: unreadable)."""
    value = {key.lower(): item for key, item in headers.items()}.get("content-range", "")
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _origin(url: SplitResult) -> tuple[str, str, int | None]:
    """(scheme, host, port): what decides whether a redirect leaves the server."""
    try:
        port = url.port
    except ValueError:
        port = None
    return url.scheme, (url.hostname or "").lower(), port or _PORTS.get(url.scheme)
