"""The app settings seen from Qt: a ``changed`` signal and debounced saving.

The core ``Settings`` validates and stores values; this bridge turns its plain callbacks into
a signal and writes the file at most every ``save_delay_ms`` (a slider dragged across fifty
values writes once), and at once on ``flush()`` when the app quits.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from openchat_desktop.core.settings import Settings

log = logging.getLogger(__name__)
SAVE_DELAY_MS = 500


class SettingsBridge(QObject):
    """Wraps the core ``Settings`` for the GUI thread.

    Signals:
        changed(str key, object value): a value changed (after validation).
        save_failed(str message): the settings file could not be written.
    """

    changed = Signal(str, object)
    save_failed = Signal(str)

    def __init__(self, settings: Settings, save_delay_ms: int = SAVE_DELAY_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(save_delay_ms)
        self._timer.timeout.connect(self._on_save_timer_timeout)
        self._unsubscribe = settings.subscribe("", self._on_setting_changed)

    @property
    def settings(self) -> Settings:
        """The wrapped core settings (read-only use; change values through the bridge)."""
        return self._settings

    @property
    def warnings(self) -> list[str]:
        """Problems found while reading the file (values reset to their defaults)."""
        return list(self._settings.warnings)

    @property
    def save_pending(self) -> bool:
        return self._timer.isActive()

    def get(self, key: str) -> Any:
        return self._settings.get(key)

    def section(self, prefix: str) -> dict[str, Any]:
        """Values under ``prefix.``, keyed by the rest of the name (``section("sampling")``)."""
        return self._settings.section(prefix)

    def set(self, key: str, value: Any) -> None:
        """Validate and store a value (raises SettingsError); saved shortly after."""
        self._settings.set(key, value)

    def update(self, values: dict[str, Any]) -> None:
        self._settings.update(values)

    def reset(self, keys: list[str] | None = None) -> None:
        """Put ``keys`` (default: all) back to their declared defaults."""
        self._settings.reset(keys)

    def snapshot(self) -> dict[str, Any]:
        """Every value, for ``restore`` (the settings dialog's Cancel)."""
        return self._settings.snapshot()

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back the values of a ``snapshot``; only the keys that differ emit ``changed``."""
        self._settings.update(snapshot)

    def save(self) -> None:
        """Ask for a save; it happens once the values have been still for a moment."""
        self._timer.start()

    def flush(self) -> None:
        """Write now if a save is pending (call at quit)."""
        if self._timer.isActive():
            self._timer.stop()
            self._write()

    def close(self) -> None:
        """Flush and stop listening to the core settings."""
        self.flush()
        self._unsubscribe()

    def _on_setting_changed(self, key: str, value: Any) -> None:
        self.changed.emit(key, value)
        self.save()

    @Slot()
    def _on_save_timer_timeout(self) -> None:
        self._write()

    def _write(self) -> None:
        try:
            self._settings.save()
        except OSError as exc:
            log.warning("settings not saved: %s", exc)
            self.save_failed.emit(f"The settings could not be saved: {exc.strerror or exc}")
