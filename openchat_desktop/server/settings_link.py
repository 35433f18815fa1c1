"""The ``server.*`` settings as a ``ServerConfig``, command-line overrides applied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.server.config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig

NETWORK_HOST = "0.0.0.0"


class SettingsReader(Protocol):
    def get(self, key: str) -> Any: ...


def setting(settings: SettingsReader, key: str, default: Any) -> Any:
    """``settings.get(key)``, or ``default`` where the schema has no such key."""
    try:
        return settings.get(key)
    except (SettingsError, KeyError):
        return default


def config_from_settings(settings: SettingsReader, *, host: str | None = None,
                         port: int | None = None, api_key: str | None = None,
                         cors_origins: Sequence[str] | None = None) -> ServerConfig:
    """The saved server settings; each argument given overrides its setting. Raises
    ``SettingsError`` for an unsafe combination (the network without an API key)."""
    if host is None:
        host = NETWORK_HOST if setting(settings, "server.allow_network", False) \
            else DEFAULT_HOST
    if port is None:
        port = int(setting(settings, "server.port", DEFAULT_PORT))
    if api_key is None:
        api_key = str(setting(settings, "server.api_key", ""))
    if cors_origins is None:
        saved = setting(settings, "server.cors_origins", "")
        # Saved as text, several separated by spaces or commas (a form's one line).
        cors_origins = saved.replace(",", " ").split() if isinstance(saved, str) else saved
    return ServerConfig(host=host, port=port, api_key=api_key,
                        cors_origins=tuple(o.strip().rstrip("/") for o in cors_origins
                                           if o.strip())).check()
