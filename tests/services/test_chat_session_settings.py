"""ChatSession: per-conversation settings, model loading, notices and persistence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeEngineFactory
from pytestqt.qtbot import QtBot

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.settings_bridge import SettingsBridge

SessionMaker = Callable[..., tuple[ChatSession, FakeEngineFactory]]


def send_and_wait(qtbot: QtBot, session: ChatSession, text: str) -> None:
    with qtbot.waitSignal(session.reply_finished, timeout=5000):
        session.send(text)


def test_conversation_settings_override_the_app_defaults(
        qtbot: QtBot, make_session: SessionMaker, bridge: SettingsBridge) -> None:
    session, factory = make_session()
    bridge.set("sampling.temperature", 0.5)
    bridge.set("chat.system_prompt", "Be brief.")
    session.new_conversation()
    assert session.conversation_overrides() == {"chat.system_prompt": "Be brief."}
    bridge.set("chat.system_prompt", "Changed later: old chats keep theirs.")
    with qtbot.waitSignal(session.conversation_settings_changed):
        session.set_conversation_setting("sampling.temperature", 0.2)
    session.set_conversation_setting("sampling.max_tokens", 48)
    sampling = session.conversation_sampling()
    assert (sampling.temperature, sampling.max_tokens, sampling.top_k) == (0.2, 48, 40)
    send_and_wait(qtbot, session, "Hi")
    assert factory.engine.sampling[-1] == sampling
    assert factory.engine.prompts[-1] == [ChatMessage("system", "Be brief."),
                                          ChatMessage("user", "Hi")]
    with pytest.raises(SettingsError):
        session.set_conversation_setting("sampling.temperature", 99.0)
    with pytest.raises(SettingsError):
        session.set_conversation_setting("ui.theme", "dark")
    session.set_conversation_setting("sampling.max_tokens", None)
    assert session.conversation_sampling().max_tokens == 1000
    session.reset_conversation_settings()
    assert session.conversation_overrides() == {}
    assert session.conversation_sampling().temperature == 0.5


def test_model_is_loaded_once_and_again_only_when_settings_differ(
        qtbot: QtBot, make_session: SessionMaker, tmp_path: Path) -> None:
    session, factory = make_session()
    send_and_wait(qtbot, session, "One")
    send_and_wait(qtbot, session, "Two")
    assert len(factory.loads) == 1 and factory.loads[0].ctx_size == 0
    with qtbot.waitSignal(session._worker.loaded, timeout=5000):
        session.set_conversation_setting("model.ctx_size", 1024)
    assert factory.loads[-1].ctx_size == 1024 and factory.engine.n_ctx == 1024
    other = tmp_path / "other-model.gguf"
    other.write_bytes(b"GGUF")
    session.set_conversation_setting("model.path", str(other))
    send_and_wait(qtbot, session, "Three")
    assert factory.loads[-1].model_path == other and len(factory.loads) == 3
    assert session.messages()[-1].meta["model"] == "other-model"
    first = session.current_id or 0
    session.new_conversation()
    qtbot.waitUntil(lambda: len(factory.loads) == 4, timeout=5000)
    session.open(first)
    qtbot.waitUntil(lambda: len(factory.loads) == 5, timeout=5000)
    assert factory.loads[-1].model_path == other


def test_notices_for_trimmed_context_and_template_fallback(
        qtbot: QtBot, make_session: SessionMaker) -> None:
    session, _ = make_session(trimmed_messages=2, template_warning="Fallback template used.")
    notices: list[str] = []
    session.notice.connect(notices.append)
    send_and_wait(qtbot, session, "Long chat")
    assert notices == ["Fallback template used.",
                       "2 oldest messages no longer fit in the context and were left out"]


def test_delete_message_and_regenerate_the_last_question(
        qtbot: QtBot, make_session: SessionMaker) -> None:
    session, _ = make_session()
    send_and_wait(qtbot, session, "Question")
    reply = session.messages()[-1]
    with qtbot.waitSignals([session.path_changed, session.conversations.changed],
                           order="strict"):
        session.delete_message(reply.id)
    assert [m.role for m in session.messages()] == ["user"]
    with qtbot.waitSignal(session.reply_finished, timeout=5000):
        session.regenerate()
    assert [m.role for m in session.messages()] == ["user", "assistant"]


def test_everything_survives_a_restart(qtbot: QtBot, make_session: SessionMaker,
                                       make_worker: Callable[..., Any], bridge: SettingsBridge,
                                       store: ConversationStore) -> None:
    session, _ = make_session()
    send_and_wait(qtbot, session, "Remember me")
    conv_id = session.current_id or 0
    session.set_conversation_setting("sampling.seed", 7)
    leftover = store.add_message(conv_id, session.messages()[-1].id, "user", "cut off")
    store.add_message(conv_id, leftover.id, "assistant", "half a rep", status="streaming")
    before = [(m.id, m.content) for m in session.messages()]

    reopened = ConversationStore(store.path)
    try:
        worker, _ = make_worker()
        again = ChatSession(reopened, worker, bridge)
        assert again.open_last() == conv_id
        assert [(m.id, m.content) for m in again.messages()] == before
        assert again.messages()[-1].status == "interrupted"
        assert again.conversation_sampling().seed == 7
        assert reopened.get_conversation(conv_id).title == "Remember me"
    finally:
        reopened.close()
