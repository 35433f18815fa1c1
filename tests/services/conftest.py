"""Fixtures for the services: a store, settings and model workers that are always shut down."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeEngineFactory, fake_engine_factory
from pytestqt.qtbot import QtBot

from openchat_desktop.core.settings import Settings
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.settings_bridge import SettingsBridge

WorkerMaker = Callable[..., tuple[LlmWorker, FakeEngineFactory]]
SessionMaker = Callable[..., tuple[ChatSession, FakeEngineFactory]]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    store = ConversationStore(tmp_path / "conversations.sqlite3")
    yield store
    store.close()


@pytest.fixture
def bridge(tmp_path: Path, fake_model: Path) -> Iterator[SettingsBridge]:
    """Settings whose default model is ``fake_model`` (fixtures/apps.py)."""
    bridge = SettingsBridge(Settings(tmp_path / "settings.json"))
    bridge.set("model.default", str(fake_model))
    yield bridge
    bridge.close()


@pytest.fixture
def make_worker() -> Iterator[WorkerMaker]:
    """Build workers over fake engines; every one is shut down after the test."""
    workers: list[LlmWorker] = []

    def make(**options: Any) -> tuple[LlmWorker, FakeEngineFactory]:
        factory = fake_engine_factory(**options)
        workers.append(LlmWorker(engine_factory=factory))
        return workers[-1], factory

    yield make
    for worker in workers:
        worker.shutdown()


@pytest.fixture
def make_session(qtbot: QtBot, store: ConversationStore, bridge: SettingsBridge,
                 make_worker: WorkerMaker) -> SessionMaker:
    """Build ChatSessions over a fake-engine worker (shut down by ``make_worker``)."""
    def make(**options: Any) -> tuple[ChatSession, FakeEngineFactory]:
        worker, factory = make_worker(**options)
        return ChatSession(store, worker, bridge), factory

    return make
