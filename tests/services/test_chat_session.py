"""ChatSession over the real worker thread and store, with a scripted fake engine."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fakes import DEFAULT_TOKENS, FakeEngineFactory, missing_model_error
from pytestqt.qtbot import QtBot

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession

FULL_REPLY = "".join(DEFAULT_TOKENS)
SessionMaker = Callable[..., tuple[ChatSession, FakeEngineFactory]]


def send_and_wait(qtbot: QtBot, session: ChatSession, text: str) -> list[Any]:
    with qtbot.waitSignal(session.reply_finished, timeout=10_000) as finished, \
            qtbot.waitSignals([session.reply_started, session.reply_finished], order="strict",
                              timeout=10_000):
        session.send(text)
    return list(finished.args or [])


def last(session: ChatSession) -> Any:
    return session.messages()[-1]


def test_send_streams_and_stores_complete_reply(qtbot: QtBot, make_session: SessionMaker,
                                                store: ConversationStore) -> None:
    session, factory = make_session(tokens_per_second=200)
    deltas: list[str] = []
    session.reply_delta.connect(lambda _id, text: deltas.append(text))
    message_id, stats = send_and_wait(qtbot, session, "Tell me about the history of the "
                                      "Roman empire please")
    assert len(deltas) > 1 and "".join(deltas) == FULL_REPLY
    user, reply = session.messages()
    assert (user.role, reply.id, reply.content, reply.status) == (
        "user", message_id, FULL_REPLY, "complete")
    assert reply.meta["stop_reason"] == "eos" == stats.stop_reason
    assert reply.meta["model"] == "fake-model" and "ttft_seconds" in reply.meta
    assert factory.engine.prompts[-1] == [ChatMessage("user", user.content)]
    assert not session.is_busy
    summary = store.get_conversation(session.current_id or 0)
    assert summary.title == "Tell me about the history of"


def test_a_send_reads_the_conversation_twice_and_shares_the_second_read(
        qtbot: QtBot, make_session: SessionMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    # Once for where the message goes, once with the reply's placeholder added: the view,
    # reloading the path as it is announced, gets that second read instead of a third.
    session, _ = make_session()
    send_and_wait(qtbot, session, "First")
    reads: list[int] = []
    original = ConversationStore.active_path
    monkeypatch.setattr(ConversationStore, "active_path",
                        lambda self, conv_id: reads.append(conv_id) or original(self, conv_id))
    announced: list[list[Any]] = []
    session.path_changed.connect(lambda: announced.append(session.messages()))
    send_and_wait(qtbot, session, "Second")
    assert len(reads) == 2 and len(announced) == 1
    assert [(m.role, m.content, m.status) for m in announced[0][-2:]] == [
        ("user", "Second", "complete"), ("assistant", "", "streaming")]
    assert last(session).status == "complete"  # outside the announcement: read afresh
    assert len(reads) == 3


def test_message_reads_one_message_of_the_open_conversation(
        qtbot: QtBot, make_session: SessionMaker) -> None:
    session, _ = make_session()
    message_id, _ = send_and_wait(qtbot, session, "Hello")
    found = session.message(message_id)
    assert found is not None and (found.content, found.status) == (FULL_REPLY, "complete")
    session.new_conversation()
    assert session.message(message_id) is None  # another conversation's
    session.open(found.conversation_id)
    session.delete_message(message_id)
    assert session.message(message_id) is None  # gone


def test_stop_mid_reply_saves_partial_then_next_send_works(
        qtbot: QtBot, make_session: SessionMaker, store: ConversationStore) -> None:
    session, _ = make_session(tokens=[f" w{i}" for i in range(200)], tokens_per_second=50)
    deltas: list[str] = []

    def on_delta(_id: int, text: str) -> None:
        deltas.append(text)
        if len(deltas) == 3:
            session.stop()
            saved = store.active_path(session.current_id or 0)[-1]
            assert saved.status == "complete" and saved.meta["stop_reason"] == "stopped"

    session.reply_delta.connect(on_delta)
    _, stats = send_and_wait(qtbot, session, "Count")
    assert stats.stop_reason == "stopped"
    reply = last(session)
    assert reply.content == "".join(deltas) and 3 <= len(deltas) < 10
    assert reply.status == "complete" and reply.meta["stop_reason"] == "stopped"
    session.reply_delta.disconnect(on_delta)
    with qtbot.waitSignal(session.reply_delta, timeout=5000):
        session.send("Again")
    session.stop()
    qtbot.waitUntil(lambda: not session.is_busy, timeout=5000)
    assert len(session.messages()) == 4


def test_regenerate_twice_keeps_three_versions(qtbot: QtBot,
                                               make_session: SessionMaker) -> None:
    counter = itertools.count(1)
    session, _ = make_session(tokens=lambda _messages: ["Answer", f" {next(counter)}"])
    first_id, _ = send_and_wait(qtbot, session, "Question")
    for _ in range(2):
        with qtbot.waitSignal(session.reply_finished, timeout=5000):
            session.regenerate()
    reply = last(session)
    assert (reply.content, reply.version_index, reply.version_count) == ("Answer 3", 3, 3)
    with qtbot.waitSignal(session.path_changed):
        session.select_version(first_id)
    reply = last(session)
    assert (reply.id, reply.content, reply.version_index) == (first_id, "Answer 1", 1)
    assert len(session.messages()) == 2


def test_regenerated_versions_use_distinct_reproducible_seeds(qtbot: QtBot,
                                                              make_session: SessionMaker) -> None:
    session, factory = make_session()
    send_and_wait(qtbot, session, "Question")
    session.set_conversation_setting("sampling.seed", 1000)
    for _ in range(2):
        with qtbot.waitSignal(session.reply_finished, timeout=5000):
            session.regenerate()
    seeds = [sampling.seed for sampling in factory.engine.sampling]
    assert seeds[-2:] == [1001, 1002]


def test_edit_and_resend_starts_a_branch(qtbot: QtBot, make_session: SessionMaker,
                                         store: ConversationStore) -> None:
    session, factory = make_session()
    send_and_wait(qtbot, session, "First")
    send_and_wait(qtbot, session, "Second")
    first_user = session.messages()[0]
    with qtbot.waitSignal(session.reply_finished, timeout=5000):
        session.edit_and_resend(first_user.id, "First, edited")
    user, reply = session.messages()
    assert (user.content, user.version_index, user.version_count) == ("First, edited", 2, 2)
    assert factory.engine.prompts[-1] == [ChatMessage("user", "First, edited")]
    assert [m.id for m in store.siblings(first_user.id)] == [first_user.id, user.id]
    session.select_version(first_user.id)
    assert [m.content for m in session.messages()[::2]] == ["First", "Second"]
    with pytest.raises(StoreError):
        session.edit_and_resend(reply.id, "not mine")


def test_streaming_reply_is_saved_at_least_once_a_second(
        qtbot: QtBot, make_session: SessionMaker, store: ConversationStore) -> None:
    session, _ = make_session(tokens=[f" t{i}" for i in range(40)], tokens_per_second=20)
    session.send("Slow, please")
    conv_id = session.current_id or 0
    qtbot.waitUntil(lambda: store.active_path(conv_id)[-1].content != "", timeout=1600)
    saved = store.active_path(conv_id)[-1]
    assert session.is_busy and saved.status == "streaming"
    assert saved.content.startswith(" t0 t1")
    session.stop()
    qtbot.waitUntil(lambda: not session.is_busy, timeout=5000)


def test_flush_and_shutdown_save_the_reply_at_once(
        qtbot: QtBot, make_session: SessionMaker, store: ConversationStore) -> None:
    session, _ = make_session(tokens=[f" t{i}" for i in range(100)], tokens_per_second=50)
    deltas: list[str] = []
    session.reply_delta.connect(lambda _id, text: deltas.append(text))
    session.send("Quit soon")
    qtbot.waitUntil(lambda: len(deltas) >= 2, timeout=5000)
    session.flush()
    saved = store.active_path(session.current_id or 0)[-1]
    assert (saved.content, saved.status) == ("".join(deltas), "streaming")
    session.shutdown()
    saved = store.active_path(session.current_id or 0)[-1]
    assert saved.status == "complete" and saved.meta["stop_reason"] == "stopped"
    assert not session.is_busy


def test_switching_conversation_mid_stream_keeps_replies_apart(
        qtbot: QtBot, make_session: SessionMaker, store: ConversationStore) -> None:
    session, _ = make_session(tokens=[f" t{i}" for i in range(100)], tokens_per_second=50)
    with qtbot.waitSignal(session.reply_delta, timeout=5000):
        session.send("In the first chat")
    old_id = session.current_id or 0
    with qtbot.waitSignal(session.busy_changed):
        new_id = session.new_conversation()
    saved = store.active_path(old_id)[-1]
    assert saved.content and saved.status == "complete"
    assert saved.meta["stop_reason"] == "stopped"
    late: list[str] = []
    session.reply_delta.connect(lambda _id, text: late.append(text))
    qtbot.wait(200)  # the old generation's last tokens arrive and must be dropped
    assert late == [] and store.active_path(new_id) == []
    assert store.active_path(old_id)[-1].content == saved.content
    send_and_wait(qtbot, session, "In the second chat")
    assert [m.conversation_id for m in session.messages()] == [new_id, new_id]
    assert store.active_path(old_id)[-1].content == saved.content


def test_deleting_the_generating_conversation_stops_cleanly(
        qtbot: QtBot, make_session: SessionMaker, store: ConversationStore) -> None:
    session, _ = make_session(tokens=[f" t{i}" for i in range(100)], tokens_per_second=50)
    with qtbot.waitSignal(session.reply_delta, timeout=5000):
        session.send("Doomed")
    conv_id = session.current_id or 0
    with qtbot.waitSignals([session.busy_changed, session.path_changed,
                            session.conversations.changed], order="strict"):
        session.delete_conversation(conv_id)
    assert session.current_id is None and session.messages() == [] and not session.is_busy
    with qtbot.waitSignal(session._worker.finished, timeout=5000) as finished:
        pass
    assert finished.args[1].stop_reason == "stopped"
    assert conv_id not in [c.id for c in store.list_conversations()]
    assert store.active_path(conv_id)[-1].status == "complete"


def test_failure_mid_stream_marks_the_reply_as_error(qtbot: QtBot,
                                                     make_session: SessionMaker) -> None:
    session, _ = make_session(fail_after=3, tokens_per_second=100)
    with qtbot.waitSignal(session.reply_failed, timeout=5000) as failed, \
            qtbot.waitSignals([session.reply_started, session.reply_failed], order="strict",
                              timeout=5000):
        session.send("Break")
    message_id, message = failed.args or [0, ""]
    reply = last(session)
    assert reply.id == message_id and "fake decode failed" in message
    assert (reply.status, reply.content) == ("error", "".join(DEFAULT_TOKENS[:3]))
    assert reply.meta["error"] == message and not session.is_busy


def test_model_that_cannot_load_fails_the_reply(qtbot: QtBot,
                                                make_session: SessionMaker) -> None:
    session, _ = make_session(load_error=missing_model_error())
    with qtbot.waitSignal(session.reply_failed, timeout=5000) as failed:
        session.send("Anyone there?")
    assert "could not be loaded" in failed.args[1] and "does not exist" in failed.args[1]
    assert last(session).status == "error"
