"""The Hub client the settings describe, shared by the download and catalog services.

``hub.endpoint``, ``hub.token`` and ``hub.proxy`` may change while the app runs (the settings
dialog, a mirror typed in after an "offline" message). Each distinct combination gets its own
``HubClient``; the newest one serves new requests, and older ones stay open until ``close``
because a download that started with them may still be running.
"""

from __future__ import annotations

import threading

from openchat_desktop.core.models.hub import HubClient, resolve_endpoint
from openchat_desktop.services.settings_bridge import SettingsBridge

HUB_KEYS = ("hub.endpoint", "hub.token", "hub.proxy")
DOWNLOAD_TIMEOUT_S = 30.0

_Key = tuple[str, str, str]


class HubClients:
    """Hands out the ``HubClient`` for the current Hub settings (``HF_ENDPOINT`` honoured).

    Call ``current`` on the GUI thread (it reads the settings); the client it returns may then
    be used from any thread.
    """

    def __init__(self, settings: SettingsBridge, timeout: float = DOWNLOAD_TIMEOUT_S) -> None:
        self._settings = settings
        self._timeout = timeout
        self._clients: dict[_Key, HubClient] = {}
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """The Hub address in use: the setting, else ``$HF_ENDPOINT``, else huggingface.co."""
        return resolve_endpoint(str(self._settings.get("hub.endpoint") or ""))

    def current(self) -> HubClient:
        """The client for the settings as they are now (built on first use: no network)."""
        endpoint, token, proxy = key = self._key()
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = HubClient(endpoint or None, token or None, proxy or None,
                                   timeout=self._timeout)
                self._clients[key] = client
            return client

    def close(self) -> None:
        """Close every client (at quit, after the downloads have stopped)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _key(self) -> _Key:
        endpoint, token, proxy = (str(self._settings.get(key) or "").strip() for key in HUB_KEYS)
        return endpoint, token, proxy
