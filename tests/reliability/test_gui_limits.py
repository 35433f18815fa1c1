"""Context limits seen from the window: trimmed history is announced in the status bar, and a
message too long for the context fails its reply with a one-line reason under it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import fake_engine_factory
from fixtures.apps import App
from pytestqt.qtbot import QtBot
from reliability_helpers import send


def test_trimmed_history_is_announced_in_the_status_bar(
        make_real_app: Callable[..., App], openchat_home: Path, qtbot: QtBot) -> None:
    model = openchat_home / "fake-model.gguf"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"GGUF")
    app = make_real_app(fake_engine_factory(trimmed_messages=6))
    app.ctx.settings.set("model.default", str(model))
    app.window.start()
    qtbot.waitUntil(lambda: app.ctx.worker.status is not None, timeout=5000)
    send(qtbot, app, "a question late in a long conversation", timeout=10_000)
    shown = app.window.status.currentMessage()
    assert "6 oldest messages" in shown and "left out" in shown


@pytest.mark.model
def test_real_engine_small_context_trims_history_and_refuses_a_huge_message(
        make_real_app: Callable[..., App], starter_model: Path, qtbot: QtBot) -> None:
    app = make_real_app()
    app.use_model(starter_model, **{"model.ctx_size": 256, "sampling.max_tokens": 4})
    session, store = app.ctx.session, app.ctx.store
    conv = session.current_id or 0
    parent = None
    for index in range(10):  # about 400 tokens of history in a 256-token context
        parent = store.add_message(conv, parent, "user", f"Question {index} about rivers.").id
        parent = store.add_message(conv, parent, "assistant", "Rivers flow to seas. " * 5).id
    session.open(conv)
    send(qtbot, app, "What is the capital of France?")
    shown = app.window.status.currentMessage()
    assert "oldest messages" in shown and "left out" in shown, shown
    assert store.active_path(conv)[-1].status == "complete"

    send(qtbot, app, " ".join(["word"] * 400))
    reply = store.active_path(conv)[-1]
    assert reply.status == "error"
    reason = str(reply.meta.get("error"))
    assert "\n" not in reason and "context" in reason
    notice = app.window.chat_view.message_widgets[-1]._notice
    assert notice.isVisibleTo(app.window) and reason in notice.text()
    print(f"\ncontext 256, 400-word message: {reason}")
