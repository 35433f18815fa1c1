"""The settings dialog (snapshot, Cancel, OK), the conversation panel and its presets."""

from __future__ import annotations

import json

import pytest
from fixtures.apps import AppMaker, send
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox
from pytestqt.qtbot import QtBot

from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY
from openchat_desktop.ui.settings_dialog import TABS, SettingsDialog
from openchat_desktop.ui.settings_panel import PANEL_KEYS


def open_dialog(app) -> SettingsDialog:  # type: ignore[no-untyped-def]
    app.window.menu_actions["settings"].trigger()
    dialog = app.window.commands.settings_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def edit(dialog: SettingsDialog, key: str, value: object) -> None:
    field = dialog.field(key)
    field.set_value(value)
    field.edited.emit(key, field.value())


def test_dialog_cancel_restores_every_value(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    before = app.ctx.settings.snapshot()
    dialog = open_dialog(app)
    edit(dialog, "ui.theme", "dark")
    edit(dialog, "sampling.temperature", 1.5)
    edit(dialog, "hub.endpoint", "https://hf-mirror.com")
    assert app.ctx.settings.get("ui.theme") == "dark"  # previewed live
    assert app.window.theme.effective == "dark"
    dialog.reject()
    assert app.ctx.settings.snapshot() == before
    assert app.window.theme.effective == "light"
    assert app.window.commands.settings_dialog is None or not dialog.isVisible()


def test_dialog_ok_applies_and_saves(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    dialog = open_dialog(app)
    edit(dialog, "sampling.top_k", 12)
    edit(dialog, "ui.font_size", 14)
    edit(dialog, "hub.token", "hf_secret")
    dialog.accept()
    saved = json.loads(app.ctx.paths.settings_file.read_text(encoding="utf-8"))["settings"]
    assert saved["sampling.top_k"] == 12 and saved["ui.font_size"] == 14
    assert saved["hub.token"] == "hf_secret"
    assert app.window.chat_view._column.font().pointSize() == 14


def test_dialog_covers_the_app_settings_with_schema_bounds(qtbot: QtBot,
                                                           make_app: AppMaker) -> None:
    dialog = open_dialog(make_app())
    keys = [key for _title, tab in TABS for key in tab]
    assert {"ui.theme", "ui.language", "ui.font_size", "ui.send_key", "model.default",
            "hub.endpoint", "hub.token", "hub.proxy"} <= set(keys)
    temperature = dialog.field("sampling.temperature").editor
    assert isinstance(temperature, QDoubleSpinBox)
    assert temperature.maximum() == SETTINGS_BY_KEY["sampling.temperature"].maximum
    assert temperature.toolTip() == SETTINGS_BY_KEY["sampling.temperature"].help
    dialog.reject()


def test_panel_edits_override_this_conversation_only(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    panel = app.window.settings_panel
    assert set(PANEL_KEYS) >= {"sampling.temperature", "sampling.seed", "model.ctx_size",
                               "model.n_gpu_layers", "model.threads", "chat.system_prompt"}
    seed = panel.form.fields["sampling.seed"].editor
    assert isinstance(seed, QSpinBox) and seed.minimum() == -1
    assert seed.specialValueText() == "Random"
    field = panel.form.fields["sampling.temperature"]
    field.editor.setValue(0.3)
    panel.apply_pending()
    assert app.ctx.session.conversation_sampling().temperature == pytest.approx(0.3)
    assert app.ctx.settings.get("sampling.temperature") == 0.8  # the app default is untouched
    assert panel.form.labels["sampling.temperature"].font().bold()
    send(qtbot, app, "Hi")
    assert app.factory is not None
    assert app.factory.engine.sampling[-1].temperature == pytest.approx(0.3)
    panel.reset_button.click()
    assert app.ctx.session.conversation_overrides() == {}
    assert field.value() == pytest.approx(0.8)


def test_panel_system_prompt_reaches_the_model(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    panel = app.window.settings_panel
    panel.form.fields["chat.system_prompt"].editor.setPlainText("Answer like a pirate.")
    panel.apply_pending()
    send(qtbot, app, "Hello")
    assert app.factory is not None
    assert app.factory.engine.prompts[-1][0].content == "Answer like a pirate."


def test_presets_save_apply_delete(qtbot: QtBot, make_app: AppMaker,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    panel = app.window.settings_panel
    bar = panel.presets
    assert bar.combo.currentIndex() == -1 and not bar.apply_button.isEnabled()
    bar.combo.setCurrentIndex(bar.combo.findData("Precise"))
    bar.apply_button.click()
    assert app.ctx.session.conversation_sampling().temperature == pytest.approx(0.2)
    panel.form.fields["sampling.top_k"].editor.setValue(7)
    panel.apply_pending()
    monkeypatch.setattr("openchat_desktop.ui.preset_bar.QInputDialog.getText",
                        lambda *_a, **_k: ("My  preset", True))
    bar.save_button.click()
    assert bar.combo.currentData() == "My preset"
    assert bar.store.get("My preset")["sampling.top_k"] == 7
    assert json.loads(bar.store.path.read_text(encoding="utf-8"))["presets"]["My preset"]
    app.ctx.session.reset_conversation_settings()
    bar.apply_button.click()
    assert app.ctx.session.conversation_sampling().top_k == 7
    bar.delete_button.click()
    assert "My preset" not in bar.store.names()
    bar.combo.setCurrentIndex(bar.combo.findData("Creative"))
    assert not bar.delete_button.isEnabled()  # built-in presets stay
