"""A tiny HTTP forward proxy on 127.0.0.1 for download tests: it records what it is asked.

Plain-HTTP requests come with an absolute URL and are forwarded (without the proxy's own
headers); ``CONNECT host:port`` opens a tunnel and relays bytes both ways. With
``credentials`` set, requests without that ``Proxy-Authorization`` get 407.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
import threading
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "proxy-connection", "proxy-authorization", "keep-alive",
               "transfer-encoding"}


class FakeProxy:
    """``url`` to hand to a client; ``requests`` holds (method, target, headers)."""

    def __init__(self, credentials: str | None = None) -> None:
        self.credentials = credentials
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FakeProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _allowed(self) -> bool:
        self.owner.requests.append((self.command, self.path, dict(self.headers)))
        wanted = self.owner.credentials
        if wanted is None or self.headers.get("Proxy-Authorization") == \
                "Basic " + base64.b64encode(wanted.encode()).decode():
            return True
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="test"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_HEAD(self) -> None:
        self._forward()

    def do_GET(self) -> None:
        self._forward()

    def _forward(self) -> None:
        if not self._allowed():
            return
        target = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = HTTPConnection(target.hostname or "", target.port or 80, timeout=10)
        try:
            upstream.request(self.command, target._replace(scheme="", netloc="").geturl(),
                             headers=headers)
            answer = upstream.getresponse()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                shutil.copyfileobj(answer, self.wfile)
        finally:
            upstream.close()

    def do_CONNECT(self) -> None:
        if not self._allowed():
            return
        host, _, port = self.path.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            relay = threading.Thread(target=_pipe, args=(upstream, self.connection),
                                     daemon=True)
            relay.start()
            _pipe(self.connection, upstream)
            relay.join(10)
        self.close_connection = True


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes until ``source`` closes, then close ``sink``'s sending side."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
