"""HTTP plumbing for remote servers: one ``httpx.Client`` per connection, the model list, and
the watcher that ends a streamed reply on Stop.

Stop has to free the server's slot quickly, but the worker thread is blocked inside a socket
read between two tokens. ``StopWatch`` waits for the stop ``Event`` on its own small thread
and shuts the reply's socket down: the blocked read returns at once and the server sees the
connection close (llama.cpp, vLLM and Ollama abort the generation on that).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from openchat_desktop import __version__
from openchat_desktop.core.remote import errors
from openchat_desktop.core.remote.connections import Connection

CONNECT_TIMEOUT_S = 10.0
# Between two chunks of a reply: a big model's first token after a long prompt can take
# minutes on a busy server, so this is generous; Stop never waits for it.
READ_TIMEOUT_S = 300.0
STOP_POLL_S = 0.01
DEFAULT_N_CTX = 32768  # when the server does not say; only caps max_tokens


@dataclass(frozen=True)
class RemoteModel:
    """One entry of a server's ``/models``: its id and its context length when given."""

    id: str
    n_ctx: int = 0


def http_client(connection: Connection, key: str, read_timeout: float = READ_TIMEOUT_S,
                connect_timeout: float = CONNECT_TIMEOUT_S) -> httpx.Client:
    """A client for ``connection``: its headers, the key as a bearer token, its proxy (else the
    environment's), its CA file added to the system's trust."""
    headers = {**connection.headers, "User-Agent": f"OpenChat/{__version__}"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    verify: ssl.SSLContext | bool = True
    if connection.ca_file:
        try:
            verify = ssl.create_default_context(cafile=connection.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise errors.RemoteError(f"The CA file of {connection.name} cannot be used "
                                     f"({type(exc).__name__}).", "config") from None
    timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
    try:
        return httpx.Client(base_url=connection.base_url + "/", headers=headers,
                            timeout=timeout, verify=verify, trust_env=True,
                            proxy=connection.proxy or None)
    except ValueError as exc:  # a bad proxy URL
        raise errors.RemoteError(f"The proxy of {connection.name} is not valid: {exc}"
                                 .splitlines()[0], "config") from None


def list_models(client: httpx.Client, host: str) -> list[RemoteModel]:
    """The server's models; raises RemoteError with one line."""
    try:
        response = client.get("models")
    except httpx.HTTPError as exc:
        raise errors.from_exception(exc, host) from None
    if response.status_code != 200:
        raise errors.from_status(response.status_code, response.content, response.headers,
                                 host)
    try:
        data = response.json()
        items = data["data"]
        return [RemoteModel(str(item["id"]), _context_of(item)) for item in items]
    except (ValueError, KeyError, TypeError):
        raise errors.not_openai(host, "its /models answer is not a model list") from None


def _context_of(item: dict[str, Any]) -> int:
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    for value in (item.get("max_model_len"), item.get("context_length"),
                  item.get("max_context_length"), (meta or {}).get("n_ctx"),
                  (meta or {}).get("n_ctx_train")):
        if isinstance(value, int) and value > 0:
            return value
    return 0


def open_stream(client: httpx.Client, body: dict[str, Any], host: str,
                model: str) -> httpx.Response:
    """POST ``chat/completions`` and return the open streaming response once its status is
    200; raises RemoteError for anything else (the body is read to say why)."""
    request = client.build_request("POST", "chat/completions",
                                   content=json.dumps(body).encode("utf-8"),
                                   headers={"Content-Type": "application/json",
                                            "Accept": "text/event-stream"})
    try:
        response = client.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise errors.from_exception(exc, host) from None
    kind = response.headers.get("content-type", "").lower()
    if response.status_code == 200 and ("event-stream" in kind or not kind):
        return response
    try:
        content = response.read()
    except httpx.HTTPError:
        content = b""
    finally:
        response.close()
    if response.status_code == 200:
        what = "a web page" if "html" in kind else kind.split(";")[0] or "no content type"
        raise errors.not_openai(host, f"it answered a streaming chat request with {what}")
    raise errors.from_status(response.status_code, content, response.headers, host, model)


class StopWatch:
    """Shuts ``response``'s socket down as soon as ``stop`` is set; ``done()`` ends the watch.
    ``fired`` says whether it did."""

    def __init__(self, response: httpx.Response, stop: threading.Event) -> None:
        self._response = response
        self._stop = stop
        self._done = threading.Event()
        self.fired = False
        self._thread = threading.Thread(target=self._watch, name="remote-stop", daemon=True)
        self._thread.start()

    def done(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        # Polled rather than a blocking wait: the stop Event belongs to the caller and may
        # never be set, and this thread must end with the reply.
        while not self._done.is_set():
            if self._stop.wait(STOP_POLL_S):
                if not self._done.is_set():
                    self.fired = True
                    abort(self._response)
                return

    def join(self, timeout: float = 1.0) -> None:
        self._thread.join(timeout)


def abort(response: httpx.Response) -> None:
    """Cut ``response``'s connection now, from any thread: a socket shutdown wakes the read
    that another thread is blocked in (closing the file descriptor would not)."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        try:
            # socket.socket's own shutdown, not SSLSocket's, which would also drop the TLS
            # object under the reading thread's feet.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
            return
        except OSError:
            return
    response.close()
