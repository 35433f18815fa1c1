"""A Hugging Face Hub look-alike on 127.0.0.1 for download tests, with fault injection.

It speaks the parts of the Hub protocol that huggingface_hub and the downloader use:
``HEAD``/``GET /{repo}/resolve/{rev}/{file}`` (ETag, X-Repo-Commit, X-Linked-Etag,
X-Linked-Size, Range/206/416), ``/api/models?search=``, ``/api/models/{repo}[/revision/{rev}]``
(``siblings``, with ``lfs`` when ``blobs=true``) and ``/api/models/{repo}/tree/{rev}``;
errors carry ``X-Error-Code`` like the real Hub (GatedRepo, RepoNotFound, EntryNotFound).
Like the real Hub, which sends LFS files to a CDN, file GETs can be redirected (``redirect_to``)
to ``/cdn/{repo}/resolve/...``, which serves files without asking for a token. ``start(tls)``
serves https with the given server context.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import gguf_factory

TOKEN = "hf_fake_token"
REPO = "test-org/Tiny-Chat-GGUF"  # the repos the ``fake_hub`` fixture serves
FILE = "tiny-chat.Q4_K_M.gguf"
GATED = "gated-org/Secret-GGUF"
_SEND_BLOCK = 64 * 1024
_FAST_BLOCK = 1024 * 1024  # unthrottled: fewer, larger writes (a real server uses sendfile)
_FAST_THROTTLE_BPS = 50_000_000  # a link this fast gets the large writes too
_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_API_MODEL = re.compile(r"^/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?$")
_API_TREE = re.compile(r"^/api/models/([^/]+/[^/]+)/tree/([^/]+)$")


def make_gguf(payload_bytes: int = 256 * 1024, seed: int = 0) -> bytes:
    """A valid GGUF model whose weights are ``payload_bytes`` of pseudo-random data."""
    columns = max(1, payload_bytes // (64 * 4))
    weights = hashlib.shake_256(f"weights-{seed}".encode()).digest(64 * columns * 4)
    tensors = [gguf_factory.Tensor("token_embd.weight", (64, columns),
                                   gguf_factory.GGMLType.F32, data=weights),
               *gguf_factory.model_tensors()[1:]]
    return gguf_factory.build_gguf(tensors=tensors).data


@dataclass
class Faults:
    """What to break. Counters count down as faults are served."""

    drop_after: int | None = None  # cut each GET body after this many bytes...
    drop_times: int = 1  # ...this many times (-1: every time)
    fail_status: int = 500
    fail_times: int = 0  # answer the next N requests with ``fail_status``
    corrupt: bool = False  # serve different bytes than the advertised SHA-256
    throttle_bps: int | None = None
    ignore_range: bool = False
    chunked: bool = False  # send file bodies with Transfer-Encoding: chunked


@dataclass
class FakeRepo:
    """A repository: files by path, and its single commit."""

    repo_id: str
    files: dict[str, bytes]
    gated: bool = False
    commit: str = ""
    downloads: int = 100
    likes: int = 5

    def sha256(self, path: str) -> str:
        return hashlib.sha256(self.files[path]).hexdigest()


@dataclass
class FakeHub:
    """The server: ``url`` to point clients at, ``repos`` to serve, ``faults`` to inject."""

    repos: dict[str, FakeRepo] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    bytes_sent: int = 0
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    # File GETs answer 302 to this prefix + the path: another hub's ``url + "/cdn"`` (another
    # server), "/cdn" (the same one), or the hub's own ``url`` (a redirect loop).
    redirect_to: str | None = None
    redirect_status: int = 302
    scheme: str = "http"

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def add_repo(self, repo_id: str, files: dict[str, bytes], gated: bool = False) -> FakeRepo:
        commit = hashlib.sha1(repo_id.encode()).hexdigest()
        repo = FakeRepo(repo_id, dict(files), gated, commit)
        self.repos[repo_id] = repo
        return repo

    def start(self, tls: ssl.SSLContext | None = None) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def write_file(self, repo_id: str, path: str, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.repos[repo_id].files[path])
        return target


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hang up mid-answer on purpose (pause, cancel, dropped connections).
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def closed_port_url() -> str:
    """An address on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeHub

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    def _route(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        faults = self.fake.faults
        with self.fake.lock:
            self.fake.requests.append((self.command, self.path, dict(self.headers)))
            failing = faults.fail_times > 0
            faults.fail_times -= 1 if failing else 0
        if failing:
            self._error(faults.fail_status, "", "Internal Error", head)
        elif path.startswith("/cdn/") and (match := _RESOLVE.match(path[4:])):
            self._resolve(match.group(1), match.group(2), match.group(3), head, cdn=True)
        elif (match := _RESOLVE.match(path)) and self.fake.redirect_to and not head:
            self.send_response(self.fake.redirect_status)
            self.send_header("Location", self.fake.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif match:
            self._resolve(match.group(1), match.group(2), match.group(3), head)
        elif path == "/api/models":
            self._search(query)
        elif match := _API_TREE.match(path):
            self._tree(match.group(1), match.group(2))
        elif match := _API_MODEL.match(path):
            self._info(match.group(1), match.group(2), query)
        else:
            self._error(404, "", "Not found")

    def _json(self, value: object) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, head: bool = False) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _repo(self, repo_id: str, head: bool = False) -> FakeRepo | None:
        repo = self.fake.repos.get(repo_id)
        if repo is None:  # the real Hub says 401 for missing and private repos alike
            self._error(401, "RepoNotFound", "Repository not found", head)
        return repo

    def _search(self, query: dict[str, list[str]]) -> None:
        words = query.get("search", [""])[0].lower()
        limit = int(query.get("limit", ["1000"])[0])
        hits = [{"id": repo.repo_id, "downloads": repo.downloads, "likes": repo.likes,
                 "lastModified": "2024-05-01T12:00:00.000Z", "gated": repo.gated,
                 "tags": ["gguf"]}
                for repo in self.fake.repos.values() if words in repo.repo_id.lower()]
        hits.sort(key=lambda hit: -int(hit["downloads"]))  # type: ignore[call-overload]
        self._json(hits[:limit])

    def _info(self, repo_id: str, revision: str | None, query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id)
        if repo is None:
            return
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for name, data in repo.files.items():
            sibling: dict[str, object] = {"rfilename": name}
            if blobs:
                sibling["size"] = len(data)
                sibling["blobId"] = hashlib.sha1(data).hexdigest()
                sibling["lfs"] = {"size": len(data), "sha256": repo.sha256(name),
                                  "pointerSize": 134}
            siblings.append(sibling)
        self._json({"id": repo.repo_id, "sha": repo.commit, "private": False,
                    "gated": repo.gated, "downloads": repo.downloads, "likes": repo.likes,
                    "tags": ["gguf"], "siblings": siblings})

    def _tree(self, repo_id: str, revision: str) -> None:
        repo = self._repo(repo_id)
        if repo is None:
            return
        self._json([{"type": "file", "path": name, "size": len(data),
                     "oid": hashlib.sha1(data).hexdigest(),
                     "lfs": {"oid": repo.sha256(name), "size": len(data), "pointerSize": 134}}
                    for name, data in repo.files.items()])

    def _resolve(self, repo_id: str, revision: str, name: str, head: bool,
                 cdn: bool = False) -> None:
        repo = self._repo(repo_id, head)
        if repo is None:
            return
        if repo.gated and not cdn and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted",
                               head)
        if revision not in ("main", repo.commit):
            return self._error(404, "RevisionNotFound", "Invalid rev id", head)
        if name not in repo.files:
            return self._error(404, "EntryNotFound", f"{name} does not exist", head)
        self._send_file(repo, name, head)

    def _send_file(self, repo: FakeRepo, name: str, head: bool) -> None:
        data, faults = repo.files[name], self.fake.faults
        if faults.corrupt:
            data = bytes(b ^ 0xFF for b in data[:16]) + data[16:]
        start, end, status = 0, len(data) - 1, 200
        wanted = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if wanted and not faults.ignore_range and not head:
            start = int(wanted.group(1))
            end = min(end, int(wanted.group(2))) if wanted.group(2) else end
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        sha = repo.sha256(name)
        self.send_response(status)
        self.send_header("ETag", f'"{sha}"')
        self.send_header("X-Repo-Commit", repo.commit)
        self.send_header("X-Linked-Etag", f'"{sha}"')
        self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        if faults.chunked and not head:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if not head:
            self._stream(memoryview(data)[start:end + 1])

    def _stream(self, body: memoryview) -> None:
        faults = self.fake.faults
        with self.fake.lock:
            cut = faults.drop_after if faults.drop_after is not None and \
                faults.drop_times != 0 else None
            if cut is not None and faults.drop_times > 0:
                faults.drop_times -= 1
        sent, started = 0, time.monotonic()
        throttled = faults.throttle_bps and faults.throttle_bps < _FAST_THROTTLE_BPS
        step = _SEND_BLOCK if throttled else _FAST_BLOCK
        while sent < len(body):
            stop = len(body) if cut is None else min(len(body), cut)
            block = body[sent:min(stop, sent + step)]
            if not block:
                break
            try:
                if faults.chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                else:
                    self.wfile.write(block)
            except OSError:  # the client went away (pause, cancel)
                return
            sent += len(block)
            with self.fake.lock:
                self.fake.bytes_sent += len(block)
            if faults.throttle_bps:
                time.sleep(max(0.0, started + sent / faults.throttle_bps - time.monotonic()))
        if cut is not None and sent < len(body):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif faults.chunked:
            self.wfile.write(b"0\r\n\r\n")


def random_bytes(size: int) -> bytes:
    """Incompressible test data of ``size`` bytes."""
    return os.urandom(size)
