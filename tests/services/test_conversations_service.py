"""ConversationService: every conversation change goes through it and is signalled once; the
chat session holds its conversation state and shares the service's one change signal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes import FakeEngineFactory
from pytestqt.qtbot import QtBot

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.conversations import ConversationService

SessionMaker = Callable[..., tuple[ChatSession, FakeEngineFactory]]


@pytest.fixture
def service(qtbot: QtBot, store: ConversationStore) -> ConversationService:
    return ConversationService(store)


def count_changes(service: ConversationService) -> list[None]:
    changes: list[None] = []
    service.changed.connect(lambda: changes.append(None))
    return changes


def test_each_change_is_signalled_once(service: ConversationService) -> None:
    changes = count_changes(service)
    conv_id = service.create({"chat.system_prompt": "Be brief."})
    service.rename(conv_id, "Kyoto")
    service.set_pinned(conv_id, True)
    assert len(changes) == 3
    summary = service.get(conv_id)
    assert (summary.title, summary.pinned) == ("Kyoto", True)
    assert [row.id for row in service.list_conversations()] == [conv_id]


def test_delete_announces_itself_first_and_restore_undoes_it(
        service: ConversationService) -> None:
    conv_id = service.create()
    events: list[str] = []
    service.deleting.connect(lambda deleted: events.append(f"deleting {deleted}"))
    service.changed.connect(lambda: events.append("changed"))
    service.delete(conv_id)
    assert events == [f"deleting {conv_id}", "changed"]
    assert service.list_conversations() == []
    service.restore(conv_id)
    assert [row.id for row in service.list_conversations()] == [conv_id]
    assert events[-1] == "changed"


def test_a_refused_change_is_not_signalled(service: ConversationService) -> None:
    changes = count_changes(service)
    with pytest.raises(StoreError):
        service.rename(12345, "Nowhere")
    assert changes == []


def test_import_export_and_search(service: ConversationService,
                                  store: ConversationStore) -> None:
    conv_id = service.create()
    store.add_message(conv_id, None, "user", "Cherry blossoms in Kyoto")
    exported = service.export_json(conv_id)
    changes = count_changes(service)
    copy = service.import_json(exported)
    assert len(changes) == 1 and copy != conv_id
    assert service.export_json(copy)["messages"] == exported["messages"]
    assert "Cherry blossoms" in service.export_markdown(copy)
    assert {hit.conversation_id for hit in service.search("cherry", 10)} == {conv_id, copy}


def test_saved_state_is_not_a_conversation_change(service: ConversationService) -> None:
    changes = count_changes(service)
    service.save_state("ui.window", {"sidebar": False})
    assert service.saved_state("ui.window", {}) == {"sidebar": False}
    assert service.saved_state("missing", 7) == 7 and changes == []


def test_the_session_changes_conversations_through_the_service(
        qtbot: QtBot, make_session: SessionMaker) -> None:
    session, _ = make_session()
    changes = count_changes(session.conversations)
    conv_id = session.new_conversation()
    assert len(changes) == 1
    with qtbot.waitSignal(session.reply_finished, timeout=5000):
        session.send("Hello")
    assert len(changes) == 2  # the reply's messages changed the list's order and counts
    with qtbot.waitSignals([session.path_changed, session.conversations.changed],
                           order="strict"):
        session.conversations.delete(conv_id)  # the open one: the session lets it go
    assert session.current_id is None and session.messages() == []


def test_deleting_elsewhere_stops_the_reply_streaming_into_it(
        qtbot: QtBot, make_session: SessionMaker, store: ConversationStore) -> None:
    session, _ = make_session(tokens=[f" t{i}" for i in range(100)], tokens_per_second=50)
    with qtbot.waitSignal(session.reply_delta, timeout=5000):
        session.send("Doomed")
    conv_id = session.current_id or 0
    with qtbot.waitSignal(session.busy_changed) as busy:
        session.conversations.delete(conv_id)
    assert busy.args == [False] and not session.is_busy
    assert store.active_path(conv_id)[-1].status == "complete"


def test_versions_of_a_message_in_the_open_conversation(
        qtbot: QtBot, make_session: SessionMaker) -> None:
    session, _ = make_session()
    with qtbot.waitSignal(session.reply_finished, timeout=5000):
        session.send("Question")
    first = session.messages()[-1]
    with qtbot.waitSignal(session.reply_finished, timeout=5000):
        session.regenerate()
    versions = session.versions(first.id)
    assert len(versions) == 2 and versions[0].id == first.id
    session.new_conversation()
    with pytest.raises(StoreError):
        session.versions(first.id)  # not in the open conversation any more
