"""Settings › Model loading: the kept conversation states' size cap and their Clear button."""

from __future__ import annotations

from fixtures.apps import AppMaker
from pytestqt.qtbot import QtBot

from openchat_desktop.ui.settings_dialog import SettingsDialog


def test_clear_removes_the_kept_states_and_the_cap_follows_its_setting(
        qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    cache = app.ctx.worker.state_cache
    assert cache is not None and cache.folder == app.ctx.paths.state_cache_dir
    cache.park("fp", list(range(300)), b"state" * 100, 1)
    assert cache.flush() and cache.disk_usage() > 0
    app.window.menu_actions["settings"].trigger()
    dialog = app.window.commands.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    field = dialog.field("cache.state_cache_mb")
    field.set_value(64)
    field.edited.emit("cache.state_cache_mb", field.value())
    assert cache.disk_cap == 64 << 20
    dialog.clear_states_button.click()
    assert cache.names() == [] and cache.disk_usage() == 0
    assert not list(app.ctx.paths.state_cache_dir.iterdir())
    assert not dialog.clear_states_button.isEnabled()
    dialog.reject()
