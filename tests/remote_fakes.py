"""What the remote-engine tests share: a keychain in memory, the real ``llama_cpp.server``
started on a free port, and a small server of our own that misbehaves on purpose.

The misbehaving server picks its behaviour from the first path segment of the URL, so one
server serves every case: ``http://127.0.0.1:PORT/cut/v1`` cuts its stream, ``/slow/v1``
waits before answering, and so on (see ``MODES``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from keyring.backend import KeyringBackend

MODES = ("ok", "endless", "slow", "cut", "badjson", "ratelimit", "error500", "html", "auth",
         "nodone", "reasoning", "midfail")
START_TIMEOUT_S = 60.0


class MemoryKeyring(KeyringBackend):
    """A keychain that lives in this process only: no test touches a real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LlamaServer:
    """A running ``llama_cpp.server``: its ``base_url`` (ends in /v1), ``model`` id, ``key``."""

    process: subprocess.Popen[bytes]
    base_url: str
    model: str
    key: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def start_llama_server(model_path: Path, key: str = "", alias: str = "starter",
                       threads: int = 2, n_ctx: int = 1024) -> LlamaServer:
    """Start the real server on a free port; returns once ``/v1/models`` answers."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
               "--model_alias", alias, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--verbose", "false"]
    if key:
        command += ["--api_key", key]
    return _wait_ready(command, port, key, alias)


def start_openchat_serve(model_path: Path, key: str = "") -> LlamaServer:
    """Start ``openchat serve`` (the local API server issue's) on a free port; its model id
    is read back from ``/v1/models``."""
    port = free_port()
    command = [sys.executable, "-m", "openchat_desktop", "serve", "--port", str(port),
               "--model", str(model_path), "--ctx-size", "1024", "--threads", "2"]
    if key:
        command += ["--api-key-env", "OPENCHAT_TEST_SERVE_KEY"]
    server = _wait_ready(command, port, key, "", {"OPENCHAT_TEST_SERVE_KEY": key})
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    models = httpx.get(f"{server.base_url}/models", headers=headers, timeout=5).json()
    server.model = models["data"][0]["id"]
    return server


def _wait_ready(command: list[str], port: int, key: str, model: str,
                env: dict[str, str] | None = None) -> LlamaServer:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "NO_PROXY": "127.0.0.1", **(env or {})})
    server = LlamaServer(process, f"http://127.0.0.1:{port}/v1", model, key)
    deadline = time.monotonic() + START_TIMEOUT_S
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[2]} exited at start")
        try:
            if httpx.get(f"{server.base_url}/models", headers=headers, timeout=1).is_success:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{command[2]} did not answer within a minute")


def _chunk(content: str = "", reasoning: str = "", finish: str | None = None) -> bytes:
    delta = {"content": content} if content else {}
    if reasoning:
        delta = {"reasoning_content": reasoning}
    payload = {"id": "x", "object": "chat.completion.chunk",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


@dataclass
class Misbehaving:
    """The server's state: ``disconnects`` holds when a streaming client went away."""

    port: int = 0
    disconnects: list[float] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/v1"


class _Handler(BaseHTTPRequestHandler):
    state: Misbehaving
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    @property
    def mode(self) -> str:
        return self.path.strip("/").split("/")[0]

    def do_GET(self) -> None:
        if self.mode in ("html", "ratelimit", "error500", "auth", "slow"):
            return self._fail()
        self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.state.requests.append(json.loads(self.rfile.read(length) or b"{}"))
        if self.mode in ("html", "ratelimit", "error500", "auth", "slow"):
            return self._fail()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        getattr(self, f"_stream_{self.mode}", self._stream_ok)()
        self.close_connection = True

    def _fail(self) -> None:
        if self.mode == "slow":
            time.sleep(3)
            return self._json(200, {"data": []})
        if self.mode == "html":
            return self._send(200, b"<html><body>Welcome to nginx!</body></html>",
                              "text/html")
        if self.mode == "ratelimit":
            return self._json(429, {"error": {"message": "Too many requests"}},
                              {"Retry-After": "7"})
        if self.mode == "auth":
            return self._json(401, {"error": {"message": "Invalid API key"}})
        self._json(500, {"error": {"message": "CUDA out of memory"}})

    def _stream_ok(self) -> None:
        for piece in ("Hello", ", ", "world"):
            self.wfile.write(_chunk(piece))
        self.wfile.write(_chunk(finish="stop") + b"data: [DONE]\n\n")

    def _stream_reasoning(self) -> None:
        self.wfile.write(_chunk(reasoning="thinking...") + _chunk("Answer"))
        self.wfile.write(_chunk(finish="stop") + b"data: [DONE]\n\n")

    def _stream_cut(self) -> None:
        self.wfile.write(_chunk("Partial") + _chunk(" reply"))

    _stream_nodone = _stream_cut

    def _stream_badjson(self) -> None:
        self.wfile.write(_chunk("Fine") + b"data: {not json\n\n")

    def _stream_midfail(self) -> None:
        self.wfile.write(_chunk("Half") + b'data: {"error": {"message": "model crashed"}}\n\n')

    def _stream_endless(self) -> None:
        try:
            while True:
                self.wfile.write(_chunk("tick "))
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:
            self.state.disconnects.append(time.perf_counter())

    def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: int, body: bytes, kind: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def misbehaving_server() -> Iterator[Misbehaving]:
    state = Misbehaving()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
