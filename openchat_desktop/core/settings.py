"""The settings file: versioned JSON, validated key by key, written atomically.

A bad or unknown value never stops the app: it is reset to its default, a warning is recorded
in ``warnings`` and the damaged file is kept as ``settings.json.bak``.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.files import write_json_atomically
from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY, defaults

FORMAT_VERSION = 1
log = logging.getLogger(__name__)
Observer = Callable[[str, Any], None]


class Settings:
    """App-wide settings backed by one JSON file.

    ``subscribe(prefix, callback)`` calls ``callback(key, value)`` whenever a key that starts
    with ``prefix`` changes (plain callbacks: the Qt layer wraps them in signals).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.warnings: list[str] = []
        self._values = defaults()
        self._observers: list[tuple[str, Observer]] = []
        if path is not None and path.exists():
            self._load(path)

    # -- reading and writing values -------------------------------------------------------
    def get(self, key: str) -> Any:
        if key not in self._values:
            raise SettingsError(f"unknown setting: {key}")
        value = self._values[key]
        return list(value) if isinstance(value, list) else value

    def set(self, key: str, value: Any) -> None:
        """Validate and store one value; raise SettingsError with a one-line reason."""
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None:
            raise SettingsError(f"unknown setting: {key}")
        try:
            value = setting.validate(value)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        if self._values[key] == value:
            return
        self._values[key] = value
        for prefix, observer in list(self._observers):
            if key.startswith(prefix):
                observer(key, value)

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.set(key, value)

    def snapshot(self) -> dict[str, Any]:
        """A copy of all values (the settings dialog restores it on Cancel)."""
        return {key: self.get(key) for key in self._values}

    def section(self, prefix: str) -> dict[str, Any]:
        """Values whose key starts with ``prefix.``, keyed by the rest of the name."""
        start = prefix + "."
        return {k[len(start):]: self.get(k) for k in self._values if k.startswith(start)}

    def reset(self, keys: list[str] | None = None) -> None:
        fresh = defaults()
        for key in keys if keys is not None else list(fresh):
            self.set(key, fresh[key])

    def subscribe(self, prefix: str, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` on changes under ``prefix``; returns a function that unsubscribes."""
        entry = (prefix, observer)
        self._observers.append(entry)
        return lambda: self._observers.remove(entry) if entry in self._observers else None

    # -- the file ------------------------------------------------------------------------
    def save(self) -> None:
        """Write the file atomically (temp file + os.replace); no-op without a path."""
        if self.path is None:
            return
        payload = {"version": FORMAT_VERSION, "settings": self._values}
        write_json_atomically(self.path, payload, ensure_ascii=False, indent=2, sort_keys=True)

    def _load(self, path: Path) -> None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._warn(f"The settings file could not be read ({exc.__class__.__name__}); "
                       "defaults are used.")
            self._keep_backup(path)
            return
        values = raw.get("settings") if isinstance(raw, dict) else None
        if not isinstance(values, dict):
            self._warn("The settings file has an unexpected layout; defaults are used.")
            self._keep_backup(path)
            return
        if self._apply_loaded(values):
            self._keep_backup(path)

    def _apply_loaded(self, values: dict[str, Any]) -> bool:
        """Take each valid value; return True when anything had to be reset or dropped."""
        damaged = False
        for key, value in values.items():
            setting = SETTINGS_BY_KEY.get(key)
            if setting is None:
                self._warn(f"Unknown setting {key!r} was ignored.")
                damaged = True
                continue
            try:
                self._values[key] = setting.validate(value)
            except ValueError as exc:
                self._warn(f"Setting reset to its default: {exc}.")
                damaged = True
        return damaged

    def _warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)

    def _keep_backup(self, path: Path) -> None:
        try:
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        except OSError as exc:
            log.warning("could not keep a backup of the settings file: %s", exc)
