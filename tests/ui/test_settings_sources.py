"""The conversation panel says where each value comes from: the app default, the model's own
default (its authors' recommended sampling), or this conversation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixtures.apps import AppMaker, send
from pytestqt.qtbot import QtBot

from openchat_desktop.services.conversation_settings import (
    MODEL_PATH_KEY,
    SOURCE_APP,
    SOURCE_CONVERSATION,
    SOURCE_MODEL,
)
from openchat_desktop.ui.model_manager.catalog import capability_text, recommended_text


def qwen_file(fake_model: Path) -> Path:
    """A fake model file named like the catalog's Qwen3 8B, so the catalog knows it."""
    path = fake_model.parent / "Qwen3-8B-Q4_K_M.gguf"
    shutil.copyfile(fake_model, path)
    return path


def test_panel_marks_app_model_and_conversation_values(
        qtbot: QtBot, make_app: AppMaker, fake_model: Path) -> None:
    app = make_app()
    panel = app.window.settings_panel
    session = app.ctx.session
    session.new_conversation()
    sources = panel.value_sources()
    assert set(sources.values()) == {SOURCE_APP}  # the fake model is not in the catalog
    label = panel.form.labels["sampling.temperature"]
    assert panel.source_notes["sampling.temperature"].text() == "app default"
    assert label.accessibleDescription() == "app default"

    session.set_conversation_setting(MODEL_PATH_KEY, str(qwen_file(fake_model)))
    sources = panel.value_sources()
    assert sources["sampling.temperature"] == sources["sampling.top_k"] == SOURCE_MODEL
    assert sources["sampling.repeat_penalty"] == SOURCE_APP
    assert panel.form.fields["sampling.top_k"].value() == 20
    assert panel.form.fields["sampling.temperature"].value() == pytest.approx(0.6)
    label = panel.form.labels["sampling.top_k"]
    assert panel.source_notes["sampling.top_k"].text() == "model default"
    assert "qwen3-8b" in label.toolTip() and "Qwen3 model card" in label.toolTip()

    panel.form.fields["sampling.temperature"].editor.setValue(1.1)
    panel.apply_pending()
    assert panel.value_sources()["sampling.temperature"] == SOURCE_CONVERSATION
    assert panel.source_notes["sampling.temperature"].text() == "this conversation"
    assert panel.form.labels["sampling.temperature"].font().bold()
    send(qtbot, app, "Hi")
    assert app.factory is not None
    used = app.factory.engine.sampling[-1]
    assert used.temperature == pytest.approx(1.1) and used.top_k == 20  # both layers reach it


def test_an_app_value_the_user_changed_beats_the_models(
        qtbot: QtBot, make_app: AppMaker, fake_model: Path) -> None:
    app = make_app()
    app.ctx.settings.set("sampling.top_k", 7)
    app.ctx.session.new_conversation()
    app.ctx.session.set_conversation_setting(MODEL_PATH_KEY, str(qwen_file(fake_model)))
    panel = app.window.settings_panel
    assert panel.value_sources()["sampling.top_k"] == SOURCE_APP
    assert panel.form.fields["sampling.top_k"].value() == 7
    assert panel.value_sources()["sampling.temperature"] == SOURCE_MODEL


def test_source_notes_follow_the_language(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    app.ctx.session.new_conversation()
    app.ctx.settings.set("ui.language", "zh_CN")
    note = app.window.settings_panel.source_notes["sampling.temperature"]
    assert note.text() == "应用默认值"


def test_catalog_capability_and_recommendation_texts() -> None:
    from openchat_desktop.core.models.catalog import find_entry

    qwen, openchat = find_entry("qwen3-8b"), find_entry("openchat-3.5-q4")
    assert qwen is not None and openchat is not None
    assert capability_text(qwen) == "thinking on/off · tools · 32K context"
    assert capability_text(openchat) == "8K context"
    (line,) = recommended_text(qwen)
    assert "temperature 0.6, top-p 0.95, top-k 20, min-p 0" in line
    assert recommended_text(openchat) == []
