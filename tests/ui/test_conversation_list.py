"""The sidebar: ordering, search by title and by message text, rename, pin, delete and undo."""

from __future__ import annotations

from fixtures.apps import App, AppMaker, send
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from openchat_desktop.ui.conversation_list import ConversationList
from openchat_desktop.ui.conversation_model import DETAIL_ROLE, ID_ROLE


def titles(sidebar: ConversationList) -> list[str]:
    model = sidebar.view.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def search(qtbot: QtBot, sidebar: ConversationList, text: str) -> list[str]:
    sidebar.search.setText(text)
    qtbot.waitUntil(lambda: sidebar.searching == bool(text), timeout=2000)
    sidebar._on_search_timer_timeout()
    return titles(sidebar)


def three_chats(qtbot: QtBot, app: App) -> list[int]:
    ids = []
    for text in ("Plan a trip to Kyoto", "Explain Rust lifetimes", "Bake sourdough bread"):
        app.ctx.session.new_conversation()
        send(qtbot, app, text)
        ids.append(app.ctx.session.current_id)
    return ids


def test_pinned_first_then_newest(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    kyoto, _rust, bread = three_chats(qtbot, app)
    sidebar = app.window.conversations
    assert titles(sidebar)[:3] == ["Bake sourdough bread", "Explain Rust lifetimes",
                                   "Plan a trip to Kyoto"]
    sidebar.set_pinned(kyoto, True)
    assert titles(sidebar)[0] == "★ Plan a trip to Kyoto"
    assert sidebar.view.currentIndex().data(ID_ROLE) == bread
    assert "2 messages" in sidebar.view.currentIndex().data(DETAIL_ROLE)


def test_search_by_title_and_by_message_text(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens=lambda messages: [f"About {messages[-1].content}: flour and water"])
    kyoto, _rust, bread = three_chats(qtbot, app)
    sidebar = app.window.conversations
    # The title, then each message that mentions it (the question and the answer).
    assert search(qtbot, sidebar, "kyoto") == ["Plan a trip to Kyoto"] * 3
    model = sidebar.view.model()
    assert model.index(0, 0).data(DETAIL_ROLE) == "Title matches"
    assert "Kyoto" in model.index(1, 0).data(DETAIL_ROLE)
    hits = search(qtbot, sidebar, "flour water")
    assert len(hits) == 3
    assert "flour" in sidebar.view.model().index(0, 0).data(DETAIL_ROLE)
    app.ctx.session.open(kyoto)
    search(qtbot, sidebar, "sourdough")
    with qtbot.waitSignal(app.ctx.session.conversation_opened):
        qtbot.keyClick(sidebar.search, Qt.Key.Key_Return)
    assert app.ctx.session.current_id == bread
    assert search(qtbot, sidebar, "")[:1] == ["Bake sourdough bread"]


def test_ctrl_f_focuses_search(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    app.window.activateWindow()
    app.window.menu_actions["search"].trigger()
    assert app.window.conversations.search.hasFocus()


def test_rename_in_place(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    kyoto = three_chats(qtbot, app)[0]
    sidebar = app.window.conversations
    row = sidebar.model.row_of(kyoto)
    assert row is not None
    sidebar.model.setData(sidebar.model.index(row), "Kyoto in spring")
    assert app.ctx.store.get_conversation(kyoto).title == "Kyoto in spring"
    assert "Kyoto in spring" in titles(sidebar)


def test_delete_key_and_undo(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    ids = three_chats(qtbot, app)
    sidebar = app.window.conversations
    sidebar.view.setFocus()
    assert sidebar.view.currentIndex().data(ID_ROLE) == ids[2]
    sidebar._delete_action.trigger()
    assert "Bake sourdough bread" not in titles(sidebar)
    assert sidebar.undo_bar.isVisible() and "Bake sourdough bread" in sidebar.undo_label.text()
    assert app.ctx.session.current_id == ids[1]  # the next one opens
    sidebar.undo_button.click()
    assert titles(sidebar)[0] == "Bake sourdough bread"
    assert app.ctx.session.current_id == ids[2] and not sidebar.undo_bar.isVisible()


def test_undo_bar_goes_away(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    sidebar = app.window.conversations
    sidebar._undo_timer.setInterval(50)
    sidebar.delete(app.ctx.session.current_id or 0)
    assert sidebar.undo_bar.isVisible()
    qtbot.waitUntil(lambda: not sidebar.undo_bar.isVisible(), timeout=2000)
    assert app.ctx.session.current_id is not None  # a fresh chat replaced the last one


def test_context_menu_has_every_command(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    menu = app.window.conversations._context_menu(app.ctx.session.current_id or 0, False)
    texts = [action.text() for action in menu.actions()]
    assert texts == ["Rename\tF2", "Pin to top", "Export as Markdown…", "Export as JSON…",
                     "Delete\tDel"]
    menu.close()
