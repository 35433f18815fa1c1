"""ConversationState: the open conversation's id, its own settings and the model it asks for,
held by the chat session (which forwards its signals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes import FakeEngineFactory
from pytestqt.qtbot import QtBot

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.conversation_state import ConversationState
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.settings_bridge import SettingsBridge

WorkerMaker = Callable[..., tuple[LlmWorker, FakeEngineFactory]]


@pytest.fixture
def built(qtbot: QtBot, store: ConversationStore, bridge: SettingsBridge,
          make_worker: WorkerMaker) -> tuple[ConversationState, FakeEngineFactory]:
    worker, factory = make_worker()
    return ConversationState(store, worker, bridge), factory


@pytest.fixture
def state(built: tuple[ConversationState, Any]) -> ConversationState:
    return built[0]


def test_nothing_open_means_no_overrides_and_no_changes(state: ConversationState) -> None:
    assert state.current_id is None and state.overrides() == {}
    with pytest.raises(StoreError, match="No conversation is open"):
        state.set_override("sampling.temperature", 0.2)


def test_overrides_are_the_open_conversations_own(qtbot: QtBot, state: ConversationState,
                                                  store: ConversationStore) -> None:
    state.current_id = store.create_conversation()
    with qtbot.waitSignal(state.settings_changed):
        state.set_override("sampling.temperature", 0.2)
    assert state.overrides() == {"sampling.temperature": 0.2}
    assert state.sampling().temperature == pytest.approx(0.2)
    with qtbot.waitSignal(state.settings_changed):
        state.reset_overrides()
    assert state.overrides() == {}


def test_a_model_is_asked_for_once(qtbot: QtBot, built: tuple[ConversationState,
                                                                FakeEngineFactory],
                                   store: ConversationStore) -> None:
    state, factory = built
    state.current_id = store.create_conversation()
    assert not state.model_requested
    with qtbot.waitSignal(state._worker.loaded, timeout=5000):
        assert state.ensure_model_loaded() and state.model_requested
    assert state.model_name() == "fake-model"
    assert state.ensure_model_loaded()  # the same settings: no second load
    qtbot.wait(50)
    assert len(factory.loads) == 1
