"""The chat's Documents button, files dropped on the window, and a reply that cites them."""

from __future__ import annotations

from pathlib import Path

from fixtures.apps import App, AppMaker, send
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from pytestqt.qtbot import QtBot

from openchat_desktop.services.docs import chat_files_name
from openchat_desktop.ui.docs_dialog import DocsDialog

TIMEOUT_MS = 20_000


def kettle_notes(root: Path) -> Path:
    folder = root / "kettle"
    folder.mkdir()
    (folder / "kettle.md").write_text("# Kettle care\n\nDescale the kettle with citric acid "
                                      "every month.\n", encoding="utf-8")
    return folder


def indexed(qtbot: QtBot, app: App, name: str, paths: list[Path]) -> None:
    with qtbot.waitSignal(app.ctx.docs.finished, timeout=TIMEOUT_MS):
        app.ctx.docs.create(name, paths)


def menu_texts(app: App) -> list[str]:
    button = app.window.docs_button
    button.rebuild_menu()
    return [action.text() for action in button.menu_.actions() if not action.isSeparator()]


def tick(app: App, text: str) -> None:
    button = app.window.docs_button
    button.rebuild_menu()
    action = next(a for a in button.menu_.actions() if a.text() == text)
    action.trigger()


def drop(app: App, paths: list[Path]) -> QDragEnterEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    window, centre = app.window, app.window.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    if enter.isAccepted():
        window.dropEvent(QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime,
                                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    return enter


def test_button_attaches_collections_to_the_conversation(qtbot: QtBot, make_app: AppMaker,
                                                         tmp_path: Path) -> None:
    app = make_app()
    button = app.window.docs_button
    assert button.text() == "Documents" and button.isVisible()
    assert menu_texts(app) == ["No collections yet", "Manage documents…"]
    indexed(qtbot, app, "Home", [kettle_notes(tmp_path)])
    assert menu_texts(app) == ["Home", "Manage documents…"]
    tick(app, "Home")
    assert app.ctx.session.attached_collections() == ["Home"]
    assert button.text() == "Documents (1)" and "Home" in button.toolTip()
    first = app.ctx.session.current_id
    app.ctx.session.new_conversation()  # attachments belong to each conversation
    assert button.text() == "Documents" and app.ctx.session.attached_collections() == []
    assert first is not None
    app.ctx.session.open(first)
    assert button.text() == "Documents (1)"
    tick(app, "Home")  # untick
    assert app.ctx.session.attached_collections() == [] and button.text() == "Documents"


def test_manage_opens_the_documents_window(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    tick(app, "Manage documents…")
    dialog = app.window.findChild(DocsDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.addWidget(dialog)
    dialog.close()
    app.window.menu_actions["docs"].trigger()  # Chat → Documents…, Ctrl+Shift+D
    assert dialog.isVisible() and app.window.findChildren(DocsDialog) == [dialog]
    assert app.window.menu_actions["docs"].shortcut().toString() == "Ctrl+Shift+D"


def test_reply_cites_the_attached_documents(qtbot: QtBot, make_app: AppMaker,
                                            tmp_path: Path) -> None:
    app = make_app(tokens=["Use", " citric", " acid", " [1]", "."])
    indexed(qtbot, app, "Home", [kettle_notes(tmp_path)])
    tick(app, "Home")
    send(qtbot, app, "How do I descale the kettle?")
    assert app.factory is not None
    prompt = app.factory.engine.prompts[-1][-1].content
    assert "citric acid every month" in prompt  # the passage went to the model
    reply = app.widgets()[-1]
    assert reply.sources.isVisible() and reply.sources.numbers() == [1]
    assert "[1] Kettle care" in reply.sources.list.text()
    assert 'href="cite:1"' in reply.body.toHtml()
    reply.body.anchorClicked.emit(QUrl("cite:1"))
    popup = reply.sources.popup
    assert popup is not None and "citric acid" in popup.passage.toPlainText()
    assert popup.path_label.text() == str(tmp_path / "kettle" / "kettle.md")
    conv_id = app.ctx.session.current_id
    assert conv_id is not None
    app.ctx.session.new_conversation()
    app.ctx.session.open(conv_id)  # the sources are read back from the store
    qtbot.waitUntil(lambda: len(app.widgets()) == 2, timeout=5000)
    assert app.widgets()[-1] is not reply and app.widgets()[-1].sources.numbers() == [1]


def test_dropped_files_are_attached_to_the_conversation(qtbot: QtBot, make_app: AppMaker,
                                                        tmp_path: Path) -> None:
    app = make_app()
    notes = kettle_notes(tmp_path) / "kettle.md"
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    warnings: list[str] = []
    app.ctx.bus.warning.connect(warnings.append)
    with qtbot.waitSignal(app.ctx.docs.finished, timeout=TIMEOUT_MS):
        assert drop(app, [notes, broken]).isAccepted()
    conv_id = app.ctx.session.current_id
    assert conv_id is not None
    assert app.ctx.session.attached_collections() == [chat_files_name(conv_id)]
    assert app.window.docs_button.text() == "Documents (1)"
    assert menu_texts(app) == ["Files dropped on this chat", "Manage documents…"]
    qtbot.waitUntil(lambda: bool(warnings), timeout=5000)
    assert "broken.docx" in warnings[-1]  # the file that could not be read, and why


def test_files_dropped_on_the_message_box_are_not_pasted(qtbot: QtBot, make_app: AppMaker,
                                                         tmp_path: Path) -> None:
    app = make_app()
    edit = app.window.composer.edit
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(kettle_notes(tmp_path) / "kettle.md"))])
    enter = QDragEnterEvent(edit.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    edit.dragEnterEvent(enter)
    assert not enter.isAccepted()  # the window takes it and attaches the file


def test_drop_of_a_missing_file_says_why(qtbot: QtBot, make_app: AppMaker,
                                         tmp_path: Path) -> None:
    app = make_app()
    errors: list[str] = []
    app.ctx.bus.error.connect(lambda message, _details: errors.append(message))
    drop(app, [tmp_path / "gone.md"])
    assert errors and "could not be attached" in errors[0]
    assert app.ctx.session.attached_collections() == []
