"""SettingsBridge: change signals, snapshot/restore, debounced and flushed saving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.settings import Settings
from openchat_desktop.services.settings_bridge import SettingsBridge


def saved(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text(encoding="utf-8"))["settings"])


def test_set_emits_changed_and_saves_once_after_a_pause(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    bridge = SettingsBridge(Settings(path), save_delay_ms=100)
    with qtbot.waitSignal(bridge.changed) as changed:
        bridge.set("ui.font_size", 14)
    assert changed.args == ["ui.font_size", 14]
    for size in range(15, 20):
        bridge.set("ui.font_size", size)
    assert bridge.save_pending and not path.exists()
    qtbot.waitUntil(path.exists, timeout=2000)
    assert saved(path)["ui.font_size"] == 19 and bridge.get("ui.font_size") == 19


def test_flush_writes_at_once_and_bad_values_change_nothing(qtbot: QtBot,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    bridge = SettingsBridge(Settings(path), save_delay_ms=60_000)
    bridge.set("sampling.temperature", 0.3)
    bridge.flush()
    assert saved(path)["sampling.temperature"] == 0.3 and not bridge.save_pending
    with qtbot.assertNotEmitted(bridge.changed), pytest.raises(SettingsError):
        bridge.set("sampling.temperature", "hot")
    assert SettingsBridge(Settings(path)).section("sampling")["temperature"] == 0.3


def test_restore_puts_back_a_snapshot(qtbot: QtBot) -> None:
    bridge = SettingsBridge(Settings())
    snapshot = bridge.snapshot()
    bridge.update({"ui.theme": "dark", "sampling.top_k": 5})
    changes: list[tuple[str, object]] = []
    bridge.changed.connect(lambda key, value: changes.append((key, value)))
    bridge.restore(snapshot)
    assert sorted(changes) == [("sampling.top_k", 40), ("ui.theme", "system")]
    assert bridge.snapshot() == snapshot
    bridge.flush()  # no file: nothing to write, nothing fails


def test_unwritable_file_reports_save_failed(qtbot: QtBot, tmp_path: Path) -> None:
    folder = tmp_path / "settings.json"
    folder.mkdir()
    bridge = SettingsBridge(Settings(folder), save_delay_ms=10)
    with qtbot.waitSignal(bridge.save_failed, timeout=2000) as failed:
        bridge.set("ui.theme", "light")
    assert "could not be saved" in str(failed.args)
