"""How the API server listens and what it allows: one frozen value, checked once."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY

# Declared with the setting (why this port: see there).
DEFAULT_PORT: int = SETTINGS_BY_KEY["server.port"].default
DEFAULT_HOST = "127.0.0.1"
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_WAITING = 16
REQUEST_TIMEOUT_S = 600.0
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class ServerConfig:
    """Where to listen and the safety limits. ``api_key`` "" means none (loopback only);
    ``cors_origins`` are exact origins such as ``http://localhost:5173``."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str = field(default="", repr=False)  # never printed, never logged
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES
    max_waiting: int = MAX_WAITING
    request_timeout_s: float = REQUEST_TIMEOUT_S

    @property
    def loopback_only(self) -> bool:
        """Whether the server listens on this computer only (then Host headers are checked)."""
        return is_loopback(self.host)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def check(self) -> ServerConfig:
        """Raise ``SettingsError`` (one line) for a config that would be unsafe or invalid."""
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port {self.port} is not between 0 (any free port) and 65535")
        if not self.loopback_only and not self.api_key:
            raise SettingsError(f"listening on {self.host} lets other computers in: set an API "
                                "key (--api-key or --api-key-env) first")
        for origin in self.cors_origins:
            if origin == "*" and self.api_key:
                raise SettingsError("CORS origin '*' with an API key would hand the key to any "
                                    "web page: list the exact origins")
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise SettingsError(f"CORS origin {origin!r} must look like "
                                    "http://host[:port] or https://host[:port]")
        return self


def is_loopback(host: str) -> bool:
    if host.strip("[]") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
