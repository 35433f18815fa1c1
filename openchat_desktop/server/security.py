"""The server's front door, as plain ASGI middleware (so streaming and hang-ups pass through
untouched): Host check, CORS, API key, body size, and one log line per request.

Every request is treated as hostile, as llama.cpp's server does:
- bound to loopback, a ``Host`` other than localhost, 127.0.0.1 or [::1] (any port) is refused
  with 403: a web page that rebinds its own DNS name to 127.0.0.1 gets nothing;
- a browser ``Origin`` not listed is refused with 403; a listed one gets exactly itself back
  (never ``*``), and its preflight is answered here;
- with an API key, every path but ``/health`` needs ``Authorization: Bearer KEY``, compared in
  constant time; the key is never logged;
- a body over the limit is refused with 413 before it is read into memory.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from openchat_desktop.server.config import LOOPBACK_NAMES, ServerConfig
from openchat_desktop.server.errors import error_bytes

log = logging.getLogger("openchat.server")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
OPEN_PATHS = frozenset({"/health"})
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "authorization, content-type"
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*$")


class Guard:
    """The checks above, in that order, then the app; logs one line per request: method,
    path, status, tokens (a route sets ``request.state.tokens``) and time."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        self._key = config.api_key.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = [0]

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self._handle(scope, receive, send_logged)
        finally:
            state = scope.get("state") or {}
            log.info("%s %s %d %s%.3f s", scope.get("method"), scope.get("path"), status[0],
                     f"{state['tokens']} tokens " if "tokens" in state else "",
                     time.perf_counter() - started)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        refusal = self._refuse_host(headers)
        if refusal:
            await _send_error(send, 403, refusal, "forbidden_host")
            return
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin):
            await _send_error(send, 403, f"Origin {origin[:100]} is not allowed; add it to the "
                              "server's allowed browser origins", "forbidden_origin")
            return
        if origin is not None and scope["method"] == "OPTIONS" \
                and "access-control-request-method" in headers:
            await _send_preflight(send, origin, headers.get("access-control-request-headers"))
            return
        if origin is not None:
            send = _with_cors(send, origin)
        if self._key and scope["path"] not in OPEN_PATHS:
            problem = self._check_key(headers)
            if problem:
                await _send_error(send, 401, problem, "invalid_api_key",
                                  [(b"www-authenticate", b"Bearer")])
                return
        body = await self._read_body(scope, receive, headers, send)
        if body is None:
            return
        if body and "json" not in headers.get("content-type", ""):
            # `curl -d '{...}'` sends a form content type; the body is JSON all the same
            # (and a foreign page cannot use this: its Origin was refused above).
            scope["headers"] = [(k, v) for k, v in scope["headers"]
                                if k.lower() != b"content-type"]
            scope["headers"].append((b"content-type", b"application/json"))
        await self.app(scope, _replay(body, receive), send)

    def _refuse_host(self, headers: dict[str, str]) -> str:
        if not self.config.loopback_only:
            return ""
        host = headers.get("host", "")
        name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") \
            else host.rsplit(":", 1)[0]
        if name.lower() in LOOPBACK_NAMES:
            return ""
        return (f"Host {host[:100]!r} is not this computer: the server answers only "
                "localhost, 127.0.0.1 and [::1]")

    def _origin_allowed(self, origin: str) -> bool:
        allowed = self.config.cors_origins
        return origin in allowed or ("*" in allowed and not self._key)

    def _check_key(self, headers: dict[str, str]) -> str:
        given = headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if not given:
            return "Missing API key: send the header 'Authorization: Bearer YOUR_KEY'"
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode("utf-8"), self._key):
            return "Invalid API key"
        return ""

    async def _read_body(self, scope: Scope, receive: Receive, headers: dict[str, str],
                         send: Send) -> bytes | None:
        """The whole body, at most ``max_body_bytes``; None after answering 413."""
        limit = self.config.max_body_bytes
        too_large = f"The request body is larger than the limit of {limit // 1024} KB"
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _send_error(send, 413, too_large, "request_too_large")
            return None
        chunks: list[bytes] = []
        size = 0
        more = scope["method"] in ("POST", "PUT", "PATCH")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(send, 413, too_large, "request_too_large")
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once, then the real channel (where only the disconnect can come)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_cors(send: Send, origin: str) -> Send:
    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []),
                                  (b"access-control-allow-origin", origin.encode("latin-1")),
                                  (b"vary", b"Origin")]
        await send(message)

    return send_with_cors


async def _send_preflight(send: Send, origin: str, requested: str | None) -> None:
    # The origin is one the user listed: the headers its page asks for (the openai package
    # sends a dozen x-stainless-* ones) are allowed as asked, when they are plain names.
    allowed = requested if requested and _HEADER_NAME.match(requested) else ALLOWED_HEADERS
    headers = [(b"access-control-allow-origin", origin.encode("latin-1")),
               (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
               (b"access-control-allow-headers", allowed.encode("latin-1")),
               (b"access-control-max-age", b"600"), (b"vary", b"Origin"),
               (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _send_error(send: Send, status: int, message: str, code: str,
                      extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = error_bytes(status, message, code)
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
