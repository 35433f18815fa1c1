"""API keys of connections: in the operating system's keychain, else in a private file.

The ``keyring`` package reaches the macOS Keychain, the Windows Credential Manager and the
Secret Service (GNOME Keyring, KWallet). A headless Linux box has none of them; there the keys
go to ``connection-keys.json`` in the config folder, readable only by the user (0600), and
``where()`` says so, so the settings can tell the user. A key never goes into
``settings.json``, an export, a log line or an error message.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail

from openchat_desktop.core.files import write_json_atomically

log = logging.getLogger(__name__)
SERVICE = "OpenChat Desktop"
FILE_NAME = "connection-keys.json"


def _account(connection: str) -> str:
    return f"connection:{connection}"


def system_keyring() -> KeyringBackend | None:
    """The keychain ``keyring`` found, or None when it found none that works."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    if getattr(backend, "backends", None) == []:  # a chainer with nothing to chain
        return None
    return backend


class KeyStore:
    """``get(name)``, ``set(name, key)``, ``delete(name)`` and ``where()``.

    ``backend`` defaults to whatever keychain the system offers; tests pass a memory one
    (or ``keyring.backends.fail.Keyring()`` for the file)."""

    def __init__(self, config_dir: Path, backend: KeyringBackend | None = None,
                 use_system: bool = True) -> None:
        self.file = Path(config_dir) / FILE_NAME
        self._backend = backend if backend is not None else (
            system_keyring() if use_system else None)
        if isinstance(self._backend, fail.Keyring):
            self._backend = None

    @property
    def uses_keychain(self) -> bool:
        return self._backend is not None

    def where(self) -> str:
        """One line for the settings: where the keys are kept."""
        if self._backend is not None:
            name = getattr(self._backend, "name", type(self._backend).__name__)
            return f"API keys are kept in the system keychain ({name})."
        return (f"No system keychain was found: API keys are kept in {self.file}, readable "
                "only by you.")

    def get(self, connection: str) -> str:
        """The key of ``connection``, or "" when it has none."""
        if self._backend is not None:
            try:
                return self._backend.get_password(SERVICE, _account(connection)) or ""
            except keyring.errors.KeyringError as exc:
                log.warning("keychain read failed: %s", type(exc).__name__)
        return self._read_file().get(connection, "")

    def set(self, connection: str, key: str) -> None:
        """Store ``key`` (an empty one deletes it)."""
        if not key:
            self.delete(connection)
            return
        if self._backend is not None:
            try:
                self._backend.set_password(SERVICE, _account(connection), key)
                return
            except keyring.errors.KeyringError as exc:
                # A locked or refused keychain: the file is better than losing the key.
                log.warning("keychain write failed (%s); using the key file",
                            type(exc).__name__)
        keys = self._read_file()
        keys[connection] = key
        self._write_file(keys)

    def delete(self, connection: str) -> None:
        if self._backend is not None:
            try:
                self._backend.delete_password(SERVICE, _account(connection))
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                log.warning("keychain delete failed: %s", type(exc).__name__)
        keys = self._read_file()
        if keys.pop(connection, None) is not None:
            self._write_file(keys)

    def _read_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("key file unreadable: %s", type(exc).__name__)
            return {}
        keys = data.get("keys", {}) if isinstance(data, dict) else {}
        return {str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else {}

    def _write_file(self, keys: dict[str, str]) -> None:
        write_json_atomically(self.file, {"version": 1, "keys": keys}, private=True)
