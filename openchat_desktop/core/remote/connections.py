"""Where the remote servers are: named connections in their own JSON file.

``connections.json`` sits in the config folder beside (not inside) ``settings.json``, is
written atomically, and never holds an API key (those live in ``keys.py``'s store). Extra
headers are kept here: they are for routing (``X-Tenant``); a secret belongs in the key.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openchat_desktop.core.files import write_json_atomically
from openchat_desktop.core.remote.errors import RemoteError
from openchat_desktop.core.remote.model_ref import NAME_PATTERN

FILE_NAME = "connections.json"
FORMAT_VERSION = 1
# Headers the client sets itself; a connection may not replace them.
RESERVED_HEADERS = frozenset({"authorization", "content-type", "content-length", "host",
                              "accept", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class Connection:
    """One OpenAI-compatible server. ``base_url`` ends where ``/chat/completions`` is
    appended (``http://gpu-box:8000/v1``). ``public_ok`` records the user's one-time "yes,
    send my conversations to this host" for a host that is not loopback or private.
    ``sampling_extras`` sends top-k, min-p and repeat penalty, which llama.cpp, vLLM and
    Ollama take and the OpenAI service refuses. ``proxy`` empty means the environment's
    proxy variables; ``ca_file`` adds a certificate bundle for a self-signed server."""

    name: str
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    public_ok: bool = False
    sampling_extras: bool = True
    proxy: str = ""
    ca_file: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Connection:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        return validated(cls(**values))


def validated(connection: Connection) -> Connection:
    """``connection`` with its URL tidied; raises RemoteError (kind "config") with one line."""
    if not NAME_PATTERN.match(connection.name):
        raise RemoteError(f"Connection name {connection.name!r} is not valid: use letters, "
                          "digits, '.', '_' or '-' (no '/'), at most 64.", "config")
    url = connection.base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(f"Base URL {url!r} is not valid: give http:// or https://, a host "
                          "and usually /v1, e.g. http://gpu-box:8000/v1.", "config")
    if parts.username or parts.password:
        raise RemoteError("Put the API key in the key field, not in the base URL.", "config")
    for key, value in connection.headers.items():
        if not key or any(c in key for c in " :\r\n") or any(c in value for c in "\r\n"):
            raise RemoteError(f"Header {key!r} is not valid: give NAME=VALUE.", "config")
        if key.lower() in RESERVED_HEADERS:
            raise RemoteError(f"Header {key} is set by OpenChat itself (the API key goes in "
                              "the key field).", "config")
    return replace(connection, base_url=url, headers=dict(connection.headers))


def is_private_host(host: str) -> bool:
    """True for loopback, private (RFC 1918, ULA), link-local and CGNAT addresses and for
    names that resolve only to such; the conversation then stays on the user's network.
    A name that does not resolve counts as public: better one question too many."""
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return _private_address(host)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).split("%")[0] for info in infos}
    return bool(addresses) and all(_private_address(a) for a in addresses)


def _private_address(text: str) -> bool:
    address = ipaddress.ip_address(text.strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    shared = ipaddress.ip_network("100.64.0.0/10")  # CGNAT, e.g. Tailscale
    return (address.is_loopback or address.is_private or address.is_link_local
            or (address.version == 4 and address in shared))


class ConnectionStore:
    """The connections file: ``all()``, ``get(name)``, ``put(connection)``, ``remove(name)``.
    Each change is written at once, atomically. A damaged file reads as empty plus a
    ``warnings`` line (it is kept as ``.bak`` before the next write replaces it)."""

    def __init__(self, config_dir: Path) -> None:
        self.path = Path(config_dir) / FILE_NAME
        self.warnings: list[str] = []
        self._items: dict[str, Connection] = {}
        self._damaged = False
        if self.path.exists():
            self._load()

    def all(self) -> list[Connection]:
        return sorted(self._items.values(), key=lambda c: c.name.lower())

    def get(self, name: str) -> Connection | None:
        return self._items.get(name)

    def require(self, name: str) -> Connection:
        """The connection ``name``; raises RemoteError naming the known ones."""
        found = self._items.get(name)
        if found is None:
            known = ", ".join(c.name for c in self.all()) or "none yet"
            raise RemoteError(f"No connection named {name!r} (known: {known}); add one with "
                              "`openchat connections add`.", "config")
        return found

    def put(self, connection: Connection) -> Connection:
        connection = validated(connection)
        self._items[connection.name] = connection
        self._save()
        return connection

    def remove(self, name: str) -> bool:
        if self._items.pop(name, None) is None:
            return False
        self._save()
        return True

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            items = [Connection.from_dict(item) for item in raw["connections"]]
        except (OSError, ValueError, KeyError, TypeError, RemoteError) as exc:
            self._damaged = True
            self.warnings.append(f"The connections file could not be read ({exc}); starting "
                                 "with no connections.".replace("\n", " "))
            return
        self._items = {item.name: item for item in items}

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._damaged and self.path.exists():
            os.replace(self.path, self.path.with_suffix(".json.bak"))
            self._damaged = False
        payload = {"version": FORMAT_VERSION,
                   "connections": [c.to_dict() for c in self.all()]}
        write_json_atomically(self.path, payload, ensure_ascii=False, indent=2)


_host_cache: dict[Path, tuple[int, dict[str, str]]] = {}


def connection_host(config_dir: Path, name: str) -> str:
    """``host:port`` of connection ``name`` ("" when there is none), for labels drawn often
    (under each reply): the file is read again only when it changed."""
    path = Path(config_dir) / FILE_NAME
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return ""
    cached = _host_cache.get(path)
    if cached is None or cached[0] != stamp:
        from openchat_desktop.core.remote.errors import host_of

        hosts = {c.name: host_of(c.base_url) for c in ConnectionStore(config_dir).all()}
        cached = _host_cache[path] = (stamp, hosts)
    return cached[1].get(name, "")
