"""Kept conversation states follow the conversations: a window reply names its conversation
to the engine, and deleting a conversation removes its states (privacy: they hold its text)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeEngine, fake_engine_factory
from pytestqt.qtbot import QtBot

from openchat_desktop.core.llm.sampling import LoadSettings
from openchat_desktop.core.llm.state_cache import StateCache
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.settings_bridge import SettingsBridge


class LabelledEngine(FakeEngine):
    """A fake engine that records the conversations it is told about and its cache."""

    def __init__(self, settings: LoadSettings, options: Any) -> None:
        super().__init__(settings, options)
        self.conversations: list[int | None] = []
        self.cache: StateCache | None = None

    def use_state_cache(self, cache: StateCache | None) -> None:
        self.cache = cache

    def set_conversation(self, conversation_id: int | None) -> None:
        self.conversations.append(conversation_id)


@pytest.fixture
def cache(tmp_path: Path) -> StateCache:
    return StateCache(tmp_path / "states")


@pytest.fixture
def session(qtbot: QtBot, store: ConversationStore, bridge: SettingsBridge,
            cache: StateCache) -> Iterator[tuple[ChatSession, list[LabelledEngine]]]:
    factory = fake_engine_factory(tokens_per_second=500)
    engines: list[LabelledEngine] = []

    def make(settings: LoadSettings) -> LabelledEngine:
        engines.append(LabelledEngine(settings, factory.options))
        return engines[-1]

    worker = LlmWorker(engine_factory=make, state_cache=cache)
    yield ChatSession(store, worker, bridge), engines
    worker.shutdown()


def test_a_window_reply_names_its_conversation(
        qtbot: QtBot, session: tuple[ChatSession, list[LabelledEngine]],
        cache: StateCache) -> None:
    chat, engines = session
    with qtbot.waitSignal(chat.reply_finished, timeout=10_000):
        chat.send("Hello")
    assert engines[-1].cache is cache
    assert engines[-1].conversations == [chat.current_id]


def test_deleting_a_conversation_removes_its_states(
        qtbot: QtBot, session: tuple[ChatSession, list[LabelledEngine]],
        cache: StateCache) -> None:
    chat, _ = session
    with qtbot.waitSignal(chat.reply_finished, timeout=10_000):
        chat.send("Hello")
    doomed = chat.current_id or 0
    kept = chat.new_conversation()
    cache.park("fp", list(range(300)), b"doomed" * 100, doomed)
    cache.park("fp", list(range(1, 301)), b"kept" * 100, kept)
    assert cache.flush()
    assert cache.folder is not None and len(list(cache.folder.iterdir())) == 2
    chat.delete_conversation(doomed)
    assert cache.names(doomed) == [] and len(cache.names(kept)) == 1
    assert len(list(cache.folder.iterdir())) == 1
    assert StateCache(cache.folder).names(doomed) == []  # gone from disk, not just the index


def test_deleting_a_message_removes_the_states_until_it_is_read_again(
        qtbot: QtBot, session: tuple[ChatSession, list[LabelledEngine]],
        cache: StateCache) -> None:
    chat, _ = session
    with qtbot.waitSignal(chat.reply_finished, timeout=10_000):
        chat.send("Hello")
    conv_id = chat.current_id or 0
    cache.park("fp", list(range(300)), b"old text" * 100, conv_id)
    chat.delete_message(chat.messages()[-1].id)
    assert cache.names(conv_id) == []
    cache.park("fp", list(range(300)), b"old text" * 100, conv_id)  # the live cache, say
    assert cache.names(conv_id) == []
    cache.conversation_read(conv_id)  # the engine read its prompt as it is now
    cache.park("fp", list(range(200)) * 2, b"new text" * 100, conv_id)
    assert len(cache.names(conv_id)) == 1
