"""End to end: ChatSession, the real worker thread and the real starter model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.settings_bridge import SettingsBridge

pytestmark = pytest.mark.model


@pytest.fixture
def worker() -> Iterator[LlmWorker]:
    worker = LlmWorker()
    yield worker
    worker.shutdown()


def test_asks_the_starter_model_about_france(qtbot: QtBot, worker: LlmWorker,
                                             store: ConversationStore, bridge: SettingsBridge,
                                             starter_model: Path) -> None:
    session = ChatSession(store, worker, bridge)
    session.new_conversation()
    for key, value in {"model.path": str(starter_model), "model.ctx_size": 2048,
                       "model.threads": 2, "sampling.temperature": 0.2,
                       "sampling.repeat_penalty": 1.1, "sampling.seed": 42,
                       "sampling.max_tokens": 48}.items():
        session.set_conversation_setting(key, value)
    deltas: list[str] = []
    session.reply_delta.connect(lambda _id, text: deltas.append(text))
    with qtbot.waitSignal(session.reply_finished, timeout=120_000) as finished:
        session.send("What is the capital of France?")
    with ConversationStore(store.path) as fresh:  # committed, as another reader sees it
        reply = fresh.active_path(session.current_id or 0)[-1]
    assert "Paris" in reply.content and reply.content == "".join(deltas) and len(deltas) > 1
    assert reply.status == "complete" and reply.meta["stop_reason"] == "eos"
    assert finished.args and finished.args[0] == reply.id
    assert reply.meta["generated_tokens"] > 0 and worker.status is not None
    assert worker.status.n_ctx == 2048
