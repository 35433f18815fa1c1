"""Persistence across a restart, model load errors, and the single-instance handshake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeEngine, FakeOptions
from fixtures.apps import AppMaker, send
from PySide6.QtCore import QByteArray
from pytestqt.qtbot import QtBot

from openchat_desktop.core.gguf.info import read_gguf_info
from openchat_desktop.core.llm.sampling import LoadSettings
from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.ui.single_instance import SingleInstance, server_name


def test_conversations_selection_and_settings_survive_a_restart(
        qtbot: QtBot, make_app: AppMaker) -> None:
    first = make_app()
    send(qtbot, first, "Remember me")
    chosen = first.ctx.session.current_id
    first.ctx.session.new_conversation()
    send(qtbot, first, "Another one")
    first.ctx.session.open(chosen or 0)
    first.ctx.settings.set("ui.font_size", 15)
    first.ctx.settings.set("ui.language", "zh_CN")
    first.window.menu_actions["toggle_settings_panel"].setChecked(False)
    first.window.resize(700, 500)  # the offscreen screen is 800x600
    first.close()

    second = make_app()
    assert second.ctx.session.current_id == chosen
    assert second.texts()[0] == "Remember me"
    assert len(second.ctx.store.list_conversations()) == 2
    assert second.ctx.settings.get("ui.font_size") == 15
    assert second.ctx.i18n.language == "zh_CN"
    second.window.restore_state()
    assert not second.window.menu_actions["toggle_settings_panel"].isChecked()
    assert second.window.size().width() == 700


def test_interrupted_reply_is_marked_after_a_crash(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    send(qtbot, app, "Hi")
    conv_id = app.ctx.session.current_id or 0
    reply = app.ctx.store.active_path(conv_id)[-1]
    app.ctx.store.update_message(reply.id, "half an ans", status="streaming")
    app.close()
    again = make_app()
    notice = again.widgets()[-1]._notice
    assert notice.isVisible() and "interrupted" in notice.text()


def checking_factory(options: FakeOptions) -> Any:
    """A fake engine that reads the GGUF header first, as the real one does."""
    def make(settings: LoadSettings) -> FakeEngine:
        if settings.model_path.name != "fake-model.gguf":
            read_gguf_info(settings.model_path)
        return FakeEngine(settings, options)
    return make


def test_bad_model_shows_the_error_dialog_and_the_app_stays_usable(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path, fake_model: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("openchat_desktop.ui.error_dialog.ErrorDialog.open", lambda self: None)
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"this is not a model" * 10)
    app = make_app(factory=checking_factory(FakeOptions()), start=False)
    app.ctx.session.new_conversation()
    app.ctx.session.set_conversation_setting(MODEL_PATH_KEY, str(bad))
    with qtbot.waitSignal(app.ctx.worker.load_failed, timeout=5000):
        app.ctx.session.ensure_model_loaded()
    dialog = app.window.error_dialog
    assert dialog is not None and "could not be loaded" in dialog.message
    assert str(app.ctx.paths.log_file) in dialog.log_label.text()
    dialog.copy_button.click()
    assert dialog.message in dialog.copied_text()
    assert app.window.status.model_label.text() == "Model not loaded"
    with qtbot.waitSignal(app.ctx.worker.loaded, timeout=5000):
        app.window.settings_panel.model_picker.choose(str(fake_model))
    send(qtbot, app, "Still there?")
    assert app.texts()[-1].startswith("Hello")


def test_dropping_a_non_model_is_refused(qtbot: QtBot, make_app: AppMaker, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("openchat_desktop.ui.error_dialog.ErrorDialog.open", lambda self: None)
    app = make_app()
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello", encoding="utf-8")
    app.window.settings_panel.model_picker.use_file(str(bad))
    qtbot.waitUntil(lambda: app.window.error_dialog is not None, timeout=5000)
    assert "cannot be used as a model" in app.window.error_dialog.message
    assert MODEL_PATH_KEY not in app.ctx.session.conversation_overrides()


def test_second_launch_raises_the_first(qtbot: QtBot, openchat_home: Path,
                                        make_app: AppMaker) -> None:
    name = server_name(openchat_home / "data")
    first = SingleInstance(name)
    assert first.listen()
    app = make_app()
    first.activated.connect(app.window.bring_to_front)
    app.window.showMinimized()
    second = SingleInstance(name)
    with qtbot.waitSignal(first.activated, timeout=5000):
        assert second.notify_running()
    assert not app.window.isMinimized()
    first.close()
    assert not SingleInstance(name).notify_running(timeout_ms=200)


def test_second_gui_launch_exits_and_raises_the_first(qtbot: QtBot,
                                                       openchat_home: Path) -> None:
    first = SingleInstance(server_name(openchat_home / "data"))
    assert first.listen()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OPENCHAT_HOME": str(openchat_home)}
    second = subprocess.Popen([sys.executable, "-m", "openchat_desktop", "gui"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with qtbot.waitSignal(first.activated, timeout=60_000):
            pass
        assert second.wait(timeout=60) == 0
    finally:
        if second.poll() is None:
            second.kill()
        second.communicate()
        first.close()


def test_window_state_round_trip(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    app.window.save_state()
    state = app.ctx.store.get_state("ui.window")
    assert QByteArray.fromBase64(state["geometry"].encode("ascii")).size() > 0


def test_without_any_model_the_status_bar_says_where_to_get_one(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCHAT_STARTER_MODEL", str(tmp_path / "missing.gguf"))
    monkeypatch.setattr("openchat_desktop.core.models.choice.starter_model_path", lambda: None)
    app = make_app(start=False)
    app.ctx.settings.set("model.default", "")
    app.window.start()
    assert "Model Manager" in app.window.status.model_label.text()
