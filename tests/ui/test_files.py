"""Export a conversation as Markdown and JSON, import the JSON back: the same tree returns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.apps import AppMaker, send
from pytestqt.qtbot import QtBot

DIALOG = "openchat_desktop.ui.file_actions.QFileDialog"


def test_export_markdown_and_json_then_import(qtbot: QtBot, make_app: AppMaker, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["Paris.", "It is Paris.", "Berlin."])
    app = make_app(tokens=lambda _messages: [next(answers)])
    send(qtbot, app, "Capital of France?")
    with qtbot.waitSignal(app.ctx.session.reply_finished, timeout=5000):
        app.window.menu_actions["regenerate"].trigger()
    send(qtbot, app, "And Germany?")
    original = app.ctx.session.current_id or 0

    monkeypatch.setattr(f"{DIALOG}.getSaveFileName",
                        lambda *_a, **_k: (str(tmp_path / "chat"), "Markdown (*.md)"))
    app.window.menu_actions["export_markdown"].trigger()
    markdown = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert "## You\n\nCapital of France?" in markdown and "It is Paris." in markdown

    monkeypatch.setattr(f"{DIALOG}.getSaveFileName",
                        lambda *_a, **_k: (str(tmp_path / "chat.json"), "JSON (*.json)"))
    app.window.menu_actions["export_json"].trigger()
    exported = json.loads((tmp_path / "chat.json").read_text(encoding="utf-8"))
    assert len(exported["messages"]) == 5

    monkeypatch.setattr(f"{DIALOG}.getOpenFileName",
                        lambda *_a, **_k: (str(tmp_path / "chat.json"), "JSON (*.json)"))
    app.window.menu_actions["import_json"].trigger()
    imported = app.ctx.session.current_id
    assert imported not in (None, original)
    assert app.ctx.store.export_json(imported or 0)["messages"] == exported["messages"]
    assert app.texts() == ["Capital of France?", "It is Paris.", "And Germany?", "Berlin."]
    assert app.widgets()[1]._buttons["version"].text() == "2/2"
    assert app.window.conversations.model.row_of(imported or 0) is not None


def test_import_of_a_bad_file_shows_an_error(qtbot: QtBot, make_app: AppMaker, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(f"{DIALOG}.getOpenFileName", lambda *_a, **_k: (str(bad), ""))
    monkeypatch.setattr("openchat_desktop.ui.error_dialog.ErrorDialog.open", lambda self: None)
    before = len(app.ctx.store.list_conversations())
    app.window.menu_actions["import_json"].trigger()
    dialog = app.window.error_dialog
    assert dialog is not None and "could not be imported" in dialog.message
    assert len(app.ctx.store.list_conversations()) == before


def test_cancelled_export_writes_nothing(qtbot: QtBot, make_app: AppMaker, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    monkeypatch.setattr(f"{DIALOG}.getSaveFileName", lambda *_a, **_k: ("", ""))
    app.window.menu_actions["export_json"].trigger()
    assert list(tmp_path.glob("*.json")) == []
