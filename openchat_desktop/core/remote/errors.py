"""Every way talking to a remote server can fail, as one human line.

The line names the server (host:port), says what happened and, where one helps, what to do.
It never holds the API key, the request body or a traceback: the URL is reduced to its host,
and a server's own message is cut to one short line. ``httpx`` is imported only where an
exception is sorted, so the window can use ``RemoteError`` without loading it.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from openchat_desktop.core.errors import OpenChatError

SERVER_MESSAGE_CHARS = 160


class RemoteError(OpenChatError):
    """A remote server could not be reached or did not answer as an OpenAI-compatible one.

    ``kind`` sorts it for code (refused, dns, tls, timeout, auth, not_found, rate_limited,
    server, cut, malformed, incompatible, bad_request, privacy, config); ``retry_after``
    is the server's wait in seconds for a 429, when it gave one."""

    def __init__(self, message: str, kind: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


def host_of(url: str) -> str:
    """``host:port`` of ``url`` (never its path, query or credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def from_exception(exc: BaseException, host: str) -> RemoteError:
    """The one line for an httpx transport failure (nothing was answered)."""
    import httpx

    text = str(exc).lower()
    if isinstance(exc, httpx.TimeoutException):
        what = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
        return RemoteError(f"Timed out {what} {host}: the server is busy, down or "
                           "unreachable.", "timeout")
    if isinstance(exc, httpx.ProxyError):
        return RemoteError(f"The proxy refused the connection to {host}: check the "
                           "connection's proxy.", "refused")
    if _is_tls(exc, text):
        return RemoteError(f"TLS failure talking to {host}: the server's certificate is not "
                           "trusted (self-signed? set the connection's CA file) or it does "
                           "not speak HTTPS (try http://).", "tls")
    if isinstance(exc, httpx.ConnectError):
        if any(word in text for word in ("name or service", "nodename", "getaddrinfo",
                                         "name resolution", "no address")):
            return RemoteError(f"Cannot find the server {host}: the name does not resolve "
                               "(check the spelling, the network or the VPN).", "dns")
        return RemoteError(f"Cannot connect to {host}: the connection was refused (is the "
                           "server running, and on that port?).", "refused")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return RemoteError(f"{host} closed the connection before the reply was complete.",
                           "cut")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return RemoteError(f"The connection's URL is not valid: {exc}".splitlines()[0],
                           "config")
    return RemoteError(f"Talking to {host} failed: {type(exc).__name__}", "refused")


def _is_tls(exc: BaseException, text: str) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return any(word in text for word in ("certificate", "ssl", "tls", "wrong version number"))


def from_status(status: int, body: bytes, headers: Mapping[str, str], host: str,
                model: str = "") -> RemoteError:
    """The one line for an HTTP error status, with the server's own short reason."""
    reason = server_message(body)
    said = f" (the server says: {reason})" if reason else ""
    if status in (401, 403):
        return RemoteError(f"{host} refused the API key ({status}): set the right key for "
                           f"this connection{said}.", "auth")
    if status == 404:
        what = f"the model {model}" if model else "that address"
        return RemoteError(f"{host} does not know {what} (404): it may have been unloaded or "
                           "renamed, or the base URL lacks /v1; see the server's model list"
                           f"{said}.", "not_found")
    if status == 429:
        wait = retry_after(headers)
        when = f"try again in {wait:g} s" if wait is not None else "try again shortly"
        return RemoteError(f"{host} is rate-limiting requests (429): {when}{said}.",
                           "rate_limited", wait)
    if status >= 500:
        return RemoteError(f"{host} failed with a server error ({status}){said}.", "server")
    if status in (400, 413, 422):
        return RemoteError(f"{host} rejected the request ({status}){said}.", "bad_request")
    return RemoteError(f"{host} answered with HTTP {status}{said}.", "incompatible")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (only the delta-seconds form; a date is rare here)."""
    value = headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def server_message(body: bytes) -> str:
    """The ``error.message`` (or ``detail``) of an error body, short and on one line; "" for a
    body that is not JSON (an HTML page says nothing we want to show)."""
    try:
        data: Any = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, UnicodeDecodeError):
        return ""
    message: Any = ""
    if isinstance(data, dict):
        error = data.get("error")
        message = error.get("message", "") if isinstance(error, dict) else error or ""
        message = message or data.get("detail") or data.get("message") or ""
    text = " ".join(str(message).split())
    return text[:SERVER_MESSAGE_CHARS] + ("…" if len(text) > SERVER_MESSAGE_CHARS else "")


def not_openai(host: str, what: str) -> RemoteError:
    return RemoteError(f"{host} does not look like an OpenAI-compatible server ({what}); "
                       "check the base URL (it usually ends in /v1).", "incompatible")


def stream_cut(host: str) -> RemoteError:
    return RemoteError(f"The reply from {host} ended early: the stream closed without "
                       "[DONE] (the server stopped or the network dropped).", "cut")


def malformed(host: str) -> RemoteError:
    return RemoteError(f"{host} sent a stream that is not valid server-sent events JSON.",
                       "malformed")
