"""ChatSession with documents attached: the passages go to the model in the last user message,
the reply keeps its sources, and a missing collection or a failed search never costs the
user's message. Real worker thread (fake engine), real store, real core/docs index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import DEFAULT_TOKENS, FakeEngineFactory
from pytestqt.qtbot import QtBot

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.context import INSTRUCTION, docs_budget_chars
from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.conversation_settings import (
    DOCS_COLLECTIONS_KEY,
    validate_override,
)
from openchat_desktop.services.docs import DocsService, chat_files_name, message_sources
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.settings_bridge import SettingsBridge

FULL_REPLY = "".join(DEFAULT_TOKENS)
SessionMaker = Callable[..., tuple[ChatSession, FakeEngineFactory]]
WorkerMaker = Callable[..., Any]


def write_notes(folder: Path, count: int = 5, repeat: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"note{index}.md").write_text(
            f"# Note {index}\n\n" + f"Paragraph {index} of plain filler text. " * repeat
            + f"The secret word of note {index} is zebra{index}.\n", encoding="utf-8")
    return folder


@pytest.fixture
def docs(tmp_path: Path, bridge: SettingsBridge,
         store: ConversationStore) -> Iterator[DocsService]:
    live = lambda: {c.id for c in store.list_conversations(include_deleted=True)}  # noqa: E731
    service = DocsService(DocsLibrary(tmp_path / "docs"), bridge, live_conversations=live)
    yield service
    service.shutdown()


@pytest.fixture
def make_docs_session(store: ConversationStore, bridge: SettingsBridge,
                      make_worker: WorkerMaker, docs: DocsService) -> SessionMaker:
    def make(**options: Any) -> tuple[ChatSession, FakeEngineFactory]:
        worker, factory = make_worker(**options)
        return ChatSession(store, worker, bridge, docs=docs), factory

    return make


def index(qtbot: QtBot, docs: DocsService, name: str, folder: Path) -> None:
    with qtbot.waitSignal(docs.finished, timeout=20_000):
        docs.create(name, [folder])


def send_and_wait(qtbot: QtBot, session: ChatSession, text: str) -> None:
    with qtbot.waitSignal(session.reply_finished, timeout=10_000):
        session.send(text)


def test_attached_passages_go_to_the_model_and_the_reply_keeps_its_sources(
        qtbot: QtBot, make_docs_session: SessionMaker, docs: DocsService,
        store: ConversationStore, tmp_path: Path) -> None:
    index(qtbot, docs, "Notes", write_notes(tmp_path / "notes"))
    session, factory = make_docs_session()
    session.new_conversation()
    with qtbot.waitSignal(session.conversation_settings_changed, timeout=1000):
        session.set_attached_collections(["Notes"])
    assert session.attached_collections() == ["Notes"]
    order: list[str] = []
    given: list[Any] = []

    def on_sources(message_id: int, sources: Any) -> None:
        order.append("sources")
        given.append((message_id, sources))

    session.reply_sources.connect(on_sources)
    session.reply_finished.connect(lambda *_: order.append("finished"))
    send_and_wait(qtbot, session, "What is the secret word zebra3?")
    asked = factory.engine.prompts[-1][-1]
    assert asked.role == "user" and asked.content.startswith(INSTRUCTION)
    assert "[1] Note 3" in asked.content and "secret word of note 3 is zebra3" in asked.content
    assert asked.content.endswith("Question: What is the secret word zebra3?")
    user, reply = session.messages()
    assert user.content == "What is the secret word zebra3?"  # stored as typed
    assert (reply.content, reply.status) == (FULL_REPLY, "complete")
    sources = message_sources(reply)
    assert sources[0].number == 1 and sources[0].path.name == "note3.md"
    assert "zebra3" in sources[0].text
    assert order == ["sources", "finished"] and given == [(reply.id, sources)]
    assert store.conversation_settings(reply.conversation_id)[DOCS_COLLECTIONS_KEY] == ["Notes"]


def test_without_collections_the_question_goes_as_typed(
        qtbot: QtBot, make_docs_session: SessionMaker) -> None:
    session, factory = make_docs_session()
    send_and_wait(qtbot, session, "Hello there")
    assert factory.engine.prompts[-1][-1].content == "Hello there"
    assert "sources" not in session.messages()[-1].meta


def test_no_matching_passage_is_said_and_the_question_goes_as_typed(
        qtbot: QtBot, make_docs_session: SessionMaker, docs: DocsService,
        tmp_path: Path) -> None:
    index(qtbot, docs, "Notes", write_notes(tmp_path / "notes"))
    session, factory = make_docs_session()
    session.set_attached_collections(["Notes"])
    notices: list[str] = []
    session.notice.connect(notices.append)
    send_and_wait(qtbot, session, "quokka")
    assert notices == ["No passage of the attached documents matched this question; the "
                       "reply goes on without them."]
    assert factory.engine.prompts[-1][-1].content == "quokka"
    assert message_sources(session.messages()[-1]) == []


def test_the_passages_stay_within_the_contexts_share(
        qtbot: QtBot, make_docs_session: SessionMaker, docs: DocsService,
        bridge: SettingsBridge, tmp_path: Path) -> None:
    bridge.set("model.ctx_size", 1024)
    bridge.set("docs.top_k", 20)
    index(qtbot, docs, "Long", write_notes(tmp_path / "long", count=20, repeat=60))
    session, factory = make_docs_session(n_ctx=1024)
    session.set_attached_collections(["Long"])
    send_and_wait(qtbot, session, "filler text secret word")
    content = factory.engine.prompts[-1][-1].content
    block = content[:content.rindex("\nQuestion: ")]
    assert len(block) <= docs_budget_chars(1024, 0.35)
    assert 1 <= len(message_sources(session.messages()[-1])) < 20


def test_a_removed_collection_is_detached_with_one_notice(
        qtbot: QtBot, make_docs_session: SessionMaker, docs: DocsService,
        tmp_path: Path) -> None:
    index(qtbot, docs, "Notes", write_notes(tmp_path / "notes"))
    index(qtbot, docs, "Gone", write_notes(tmp_path / "gone"))
    session, factory = make_docs_session()
    session.set_attached_collections(["Gone", "Notes"])
    docs.remove("Gone")
    notices: list[str] = []
    session.notice.connect(notices.append)
    send_and_wait(qtbot, session, "zebra1")
    assert len(notices) == 1 and "“Gone” no longer exists" in notices[0]
    assert session.attached_collections() == ["Notes"]
    assert "zebra1" in factory.engine.prompts[-1][-1].content  # Notes still answered
    send_and_wait(qtbot, session, "zebra2")
    assert len(notices) == 1  # told once


def test_a_failed_search_keeps_the_message_and_answers_without_documents(
        qtbot: QtBot, make_docs_session: SessionMaker, docs: DocsService,
        tmp_path: Path) -> None:
    index(qtbot, docs, "Notes", write_notes(tmp_path / "notes"))
    docs.library.index_file("Notes").write_bytes(b"this is not a SQLite database" * 100)
    session, factory = make_docs_session()
    session.set_attached_collections(["Notes"])
    notices: list[str] = []
    session.notice.connect(notices.append)
    send_and_wait(qtbot, session, "zebra1")
    assert len(notices) == 1 and "could not be searched" in notices[0]
    user, reply = session.messages()
    assert user.content == "zebra1" and (reply.content, reply.status) == (FULL_REPLY,
                                                                          "complete")
    assert factory.engine.prompts[-1][-1].content == "zebra1"


def test_stop_while_searching_ends_the_reply_without_asking_the_model(
        qtbot: QtBot, make_docs_session: SessionMaker, docs: DocsService,
        tmp_path: Path) -> None:
    index(qtbot, docs, "Notes", write_notes(tmp_path / "notes"))
    session, factory = make_docs_session()
    session.set_attached_collections(["Notes"])
    assert session.ensure_model_loaded()
    qtbot.waitUntil(lambda: bool(factory.engines), timeout=5000)
    with qtbot.waitSignal(session.reply_finished, timeout=5000) as finished:
        session.send("zebra1")
        assert session.is_busy
        session.stop()  # the search result is still on its way
    assert finished.args is not None and finished.args[1].stop_reason == "stopped"
    assert not session.is_busy
    qtbot.wait(300)  # the search result arrives and is dropped
    assert factory.engine.prompts == []
    user, reply = session.messages()
    assert user.content == "zebra1" and (reply.status, reply.meta["stop_reason"]) == (
        "complete", "stopped")


def test_dropped_files_become_the_conversations_own_collection(
        qtbot: QtBot, make_docs_session: SessionMaker, docs: DocsService,
        store: ConversationStore, tmp_path: Path) -> None:
    folder = write_notes(tmp_path / "notes", 3)
    session, factory = make_docs_session()
    with qtbot.waitSignal(docs.finished, timeout=20_000):
        session.attach_files([folder / "note2.md"])  # no conversation yet: one is made
    conv_id = session.current_id
    assert conv_id is not None
    name = chat_files_name(conv_id)
    assert session.attached_collections() == [name]
    assert docs.collections() == [] and docs.exists(name)
    send_and_wait(qtbot, session, "What is the secret word of note 2?")
    assert "zebra2" in factory.engine.prompts[-1][-1].content
    with qtbot.waitSignal(docs.finished, timeout=20_000):
        session.attach_files([folder / "note1.md"])
    assert session.attached_collections() == [name]  # the same collection, extended

    session.delete_conversation(conv_id)
    assert docs.exists(name)  # in the bin it can still come back
    store.purge_deleted(older_than_s=-1)
    docs.reindex_changed_on_start()  # the next start: gone for good
    assert not docs.exists(name) and docs.library.list() == []


def test_reset_settings_keeps_the_attached_documents(
        qtbot: QtBot, make_docs_session: SessionMaker) -> None:
    session, _ = make_docs_session()
    session.set_attached_collections(["Notes", " Notes ", "Other"])
    session.set_conversation_setting("sampling.temperature", 0.3)
    session.reset_conversation_settings()
    assert session.conversation_overrides() == {DOCS_COLLECTIONS_KEY: ["Notes", "Other"]}
    session.set_attached_collections([])
    assert session.conversation_overrides() == {}


def test_attached_collections_are_validated() -> None:
    assert validate_override(DOCS_COLLECTIONS_KEY, ["A", "B", "A"]) == ["A", "B"]
    with pytest.raises(SettingsError, match="list of collection names"):
        validate_override(DOCS_COLLECTIONS_KEY, "A")
    with pytest.raises(SettingsError, match="list of collection names"):
        validate_override(DOCS_COLLECTIONS_KEY, ["A", 3])
    with pytest.raises(SettingsError, match="at most"):
        validate_override(DOCS_COLLECTIONS_KEY, [f"c{i}" for i in range(40)])


@pytest.mark.model
@pytest.mark.slow
def test_the_starter_model_answers_from_an_attached_document(
        qtbot: QtBot, store: ConversationStore, bridge: SettingsBridge, docs: DocsService,
        starter_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "memos"
    folder.mkdir()
    (folder / "bluebird.md").write_text(
        "# Project Bluebird\n\nThe code name of Project Bluebird is MARMALADE. The project "
        "started in March and is run by the Lisbon office.\n", encoding="utf-8")
    write_notes(folder, 4)
    index(qtbot, docs, "Memos", folder)
    worker = LlmWorker()
    try:
        session = ChatSession(store, worker, bridge, docs=docs)
        session.new_conversation()
        for key, value in {"model.path": str(starter_model), "model.ctx_size": 2048,
                           "model.threads": 2, "sampling.temperature": 0.0,
                           "sampling.seed": 42, "sampling.max_tokens": 32}.items():
            session.set_conversation_setting(key, value)
        session.set_attached_collections(["Memos"])
        with qtbot.waitSignal(session.reply_finished, timeout=120_000):
            session.send("What is the code name of Project Bluebird?")
        reply = session.messages()[-1]
    finally:
        worker.shutdown()
    assert reply.status == "complete" and reply.meta["generated_tokens"] > 0
    assert message_sources(reply)[0].path.name == "bluebird.md"
    assert "MARMALADE" in reply.content.upper()
