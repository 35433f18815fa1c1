"""Long use: 200 turns through the whole app without memory growth, and a big history
(10,000 messages) that does not slow down opening a conversation."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from fakes import fake_engine_factory
from fixtures.apps import App
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot
from reliability_helpers import send

from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.ui.chat_view import PAGE

pytestmark = pytest.mark.slow
TURNS = 200
MEASURE_AT = 20


def test_two_hundred_turns_in_the_window_do_not_grow_memory(
        make_real_app: Callable[..., App], openchat_home: Path, qtbot: QtBot) -> None:
    """The whole app (window, session, store, worker thread) over a scripted engine."""
    model = openchat_home / "fake-model.gguf"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"GGUF")
    reply = ["A", " short", " *reply*", " with", " `code`", " and", " words", "."]
    app = make_real_app(fake_engine_factory(tokens=reply))
    app.ctx.settings.set("model.default", str(model))
    app.window.start()
    qtbot.waitUntil(lambda: app.ctx.worker.status is not None, timeout=5000)
    process = psutil.Process()
    started = time.perf_counter()
    rss_at: dict[int, int] = {}
    for turn in range(1, TURNS + 1):
        send(qtbot, app, f"Say a word about number {turn}.", timeout=20_000)
        if turn in (MEASURE_AT, TURNS):
            QCoreApplication.processEvents()
            rss_at[turn] = process.memory_info().rss
    seconds = time.perf_counter() - started
    growth_mb = (rss_at[TURNS] - rss_at[MEASURE_AT]) / 2**20
    path = app.ctx.store.active_path(app.ctx.session.current_id or 0)
    print(f"\n{TURNS} turns in the window in {seconds:.0f} s; RSS "
          f"{rss_at[MEASURE_AT] / 2**20:.0f} MB at turn {MEASURE_AT}, "
          f"{rss_at[TURNS] / 2**20:.0f} MB at turn {TURNS} (growth {growth_mb:+.1f} MB); "
          f"{app.window.chat_view.loaded_count()} message widgets")
    assert len(path) == 2 * TURNS
    assert all(m.status == "complete" for m in path)
    assert app.window.chat_view.loaded_count() <= 4 * PAGE  # not one widget per message
    assert growth_mb < 50


def _fill(store: ConversationStore, conv: int, count: int, words: int = 30) -> None:
    parent = None
    for index in range(count):
        role = "user" if index % 2 == 0 else "assistant"
        parent = store.add_message(conv, parent, role,
                                   f"message {index} " + "some **text** here " * words).id


def _open_ms(app: App, target: int, other: int) -> float:
    app.ctx.session.open(other)
    QCoreApplication.processEvents()
    gc.collect()  # collecting earlier tests' garbage is not this open's cost
    started = time.perf_counter()
    app.ctx.session.open(target)
    QCoreApplication.processEvents()
    elapsed = (time.perf_counter() - started) * 1000
    assert app.window.chat_view.loaded_count() > 0
    return elapsed


def _app_with_history(make_real_app: Callable[..., App], home: Path, fillers: int,
                      monkeypatch: pytest.MonkeyPatch) -> tuple[App, int, int]:
    monkeypatch.setenv("OPENCHAT_HOME", str(home))
    app = make_real_app(fake_engine_factory())
    store = app.ctx.store
    target = store.create_conversation("Target")
    _fill(store, target, 100)
    other = store.create_conversation("Other")
    _fill(store, other, 2)
    for index in range(fillers):
        _fill(store, store.create_conversation(f"Filler {index}"), 100)
    app.ctx.session.open(target)  # the first render fills the caches
    return app, target, other


def test_opening_a_conversation_does_not_slow_down_with_a_big_history(
        make_real_app: Callable[..., App], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    small_app, small_target, small_other = _app_with_history(
        make_real_app, tmp_path / "small", 0, monkeypatch)
    big_app, big_target, big_other = _app_with_history(
        make_real_app, tmp_path / "big", 99, monkeypatch)
    assert sum(c.message_count for c in big_app.ctx.store.list_conversations()) >= 10_000
    small_times, big_times = [], []
    for _ in range(7):  # interleaved, so other work on the machine hits both alike
        small_times.append(_open_ms(small_app, small_target, small_other))
        big_times.append(_open_ms(big_app, big_target, big_other))
    # The fastest of each: what the code costs, without what else the machine was doing.
    small, big = min(small_times), min(big_times)
    print(f"\nopening a 100-message conversation: fastest {small:.1f} ms with 102 messages in "
          f"the database, {big:.1f} ms with 10,002 (ratio {big / small:.2f})")
    assert big <= small * 1.2 + 5
