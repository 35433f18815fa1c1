"""Every command has its shortcut, the main controls have accessible names, and the window
opens long conversations quickly by building only the messages near the view."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fixtures.apps import AppMaker
from PySide6.QtCore import QCoreApplication, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.qtbot import QtBot

from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.ui.chat_view import PAGE

SHORTCUTS = {
    "new_chat": "Ctrl+N", "search": "Ctrl+F", "focus_composer": "Ctrl+L",
    "regenerate": "Ctrl+R", "stop": "Esc", "copy_last": "Ctrl+Shift+C", "quit": "Ctrl+Q",
    "settings": "Ctrl+,", "toggle_settings_panel": "F9", "toggle_sidebar": "Ctrl+B",
    "model_manager": "Ctrl+Shift+M",
}


def test_shortcuts_exist_with_their_keys(qtbot: QtBot, make_app: AppMaker) -> None:
    window = make_app().window
    for name, keys in SHORTCUTS.items():
        action = window.menu_actions[name]
        assert action.shortcut() == QKeySequence(keys), name
        assert action in window.actions(), name  # works wherever the focus is


def test_every_menu_command_is_in_a_menu(qtbot: QtBot, make_app: AppMaker) -> None:
    window = make_app().window
    in_menus = {a for menu in window.menu_actions.menus.values() for a in menu.actions()}
    assert set(window.menu_actions.by_name.values()) <= in_menus
    file_menu = [a.text() for a in window.menu_actions.menus["file"].actions() if a.text()]
    assert "Export as &Markdown…" in file_menu and "&Import conversation (JSON)…" in file_menu


def test_ctrl_l_focuses_the_composer(qtbot: QtBot, make_app: AppMaker) -> None:
    window = make_app().window
    window.activateWindow()
    window.conversations.search.setFocus()
    window.menu_actions["focus_composer"].trigger()
    assert window.composer.edit.hasFocus()


def test_main_controls_have_accessible_names(qtbot: QtBot, make_app: AppMaker) -> None:
    window = make_app().window
    controls = [window.composer.edit, window.composer.button, window.chat_view,
                window.conversations.view, window.conversations.search,
                window.conversations.new_button, window.settings_panel.model_picker.combo,
                window.settings_panel.reset_button, window.settings_panel.presets.combo,
                window.panel_button, window.status.model_label]
    controls += [f.editor for f in window.settings_panel.form.fields.values()]
    assert all(control.accessibleName() for control in controls)


def test_message_buttons_have_accessible_names(qtbot: QtBot, make_app: AppMaker) -> None:
    from fixtures.apps import send

    app = make_app()
    send(qtbot, app, "Hi")
    for widget in app.widgets():
        assert all(b.accessibleName() for b in widget._buttons.values() if b.isVisible())


def test_two_thousand_messages_open_fast(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    store = app.ctx.store
    conv_id = store.create_conversation("Long one")
    parent = None
    for index in range(1000):
        parent = store.add_message(conv_id, parent, "user", f"Question {index}?").id
        parent = store.add_message(conv_id, parent, "assistant",
                                   f"Answer **{index}** with `code` and a [link](https://x.org)."
                                   ).id
    view = app.window.chat_view
    started = time.perf_counter()
    app.ctx.session.open(conv_id)
    QCoreApplication.processEvents()  # the first layout and paint count too
    elapsed = time.perf_counter() - started
    assert view.loaded_count() == PAGE
    assert elapsed < 0.5, f"opening took {elapsed * 1000:.0f} ms"  # ~50 ms here; CI is slower
    assert view.message_widgets[-1].text().startswith("Answer **999**")
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() > 0, timeout=2000)
    view.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: view.loaded_count() > PAGE, timeout=2000)
    target = store.active_path(conv_id)[10]
    view.reveal(target.id)  # far above: a window of its own, not 1,990 widgets
    assert view.loaded_count() <= 2 * PAGE and view.widget_for(target.id) is not None
    qtbot.waitUntil(lambda: not view.widget_for(target.id).visibleRegion().isEmpty(),
                    timeout=2000)
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() > 0, timeout=2000)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())  # scrolling down brings newer pages
    qtbot.waitUntil(lambda: view.loaded_count() > PAGE + 10, timeout=2000)
    view.scroll_to_bottom()
    assert view.message_widgets[-1].text().startswith("Answer **999**")


def test_f2_renames_in_place(qtbot: QtBot, make_app: AppMaker) -> None:
    view = make_app().window.conversations.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert view.state() == QAbstractItemView.State.EditingState


def test_dropping_a_gguf_on_the_window_uses_it(qtbot: QtBot, make_app: AppMaker,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    monkeypatch.setattr("openchat_desktop.ui.model_picker.read_gguf_info",
                        lambda path: checked.append(str(path)))
    app = make_app()
    dropped = tmp_path / "other.gguf"
    dropped.write_bytes(b"GGUF")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    window, centre = app.window, app.window.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: MODEL_PATH_KEY in app.ctx.session.conversation_overrides(),
                    timeout=5000)
    assert checked == [str(dropped)]  # the header was read (off the GUI thread) first
    assert app.ctx.session.conversation_overrides()[MODEL_PATH_KEY] == str(dropped)
