"""The app ending badly and damaged files: a reply cut off by kill -9 is kept (marked
interrupted), a damaged database or settings file is set aside and the user told, and
deleting, switching away from or quitting during a reply loses nothing and writes nowhere
else."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import fake_engine_factory
from fixtures.apps import App
from pytestqt.qtbot import QtBot

from openchat_desktop.app import build_context, report_startup_problems
from openchat_desktop.core.settings import Settings
from openchat_desktop.core.settings_schema import SETTINGS
from openchat_desktop.core.store.conversations import ConversationStore

CHILD = textwrap.dedent("""
    import sys
    from PySide6.QtWidgets import QApplication
    from openchat_desktop.app import build_context
    from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
    from openchat_desktop.ui.main_window import MainWindow

    app = QApplication([])
    ctx = build_context()
    window = MainWindow(ctx)
    window.show()
    session = ctx.session
    session.new_conversation()
    for key, value in {"model.threads": 1, "model.ctx_size": 1024,
                       "sampling.max_tokens": 400, "sampling.temperature": 0.8}.items():
        session.set_conversation_setting(key, value)
    session.set_conversation_setting(MODEL_PATH_KEY, sys.argv[1])
    window.composer.set_text("Write a long story about a dragon.")
    window.composer.button.click()
    print("sent", flush=True)
    app.exec()
""")


def _reply_row(database: Path) -> tuple[str, int] | None:
    if not database.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT status, length(content) FROM messages "
                               "WHERE role = 'assistant' ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if row is None else (str(row[0]), int(row[1]))


@pytest.mark.model
@pytest.mark.usefixtures("qapp")  # the reopened app closes its worker thread
def test_kill_9_while_streaming_keeps_the_partial_reply(tmp_path: Path, openchat_home: Path,
                                                         starter_model: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "OPENCHAT_HOME": str(openchat_home), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen([sys.executable, str(script), str(starter_model)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    database = build_paths_database(openchat_home)
    seen: tuple[str, int] | None = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            seen = _reply_row(database)
            if seen is not None and seen[0] == "streaming" and seen[1] > 20:
                break
            time.sleep(0.1)
        assert child.poll() is None, child.communicate()[0].decode(errors="replace")[-2000:]
        assert seen is not None and seen[0] == "streaming" and seen[1] > 20, seen
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    ctx = build_context(engine_factory=fake_engine_factory())
    try:
        conv = ctx.store.list_conversations()[0].id
        path = ctx.store.active_path(conv)
        assert [m.role for m in path] == ["user", "assistant"]
        assert path[0].content == "Write a long story about a dragon."
        assert path[0].status == "complete"
        assert path[1].status == "interrupted" and path[1].content.strip()
        print(f"\nkill -9 mid-reply: {len(path[1].content)} characters of the reply kept "
              f"(the database showed {seen[1]} when killed)")
    finally:
        ctx.close()


def build_paths_database(home: Path) -> Path:
    from openchat_desktop.core.paths import app_paths

    return app_paths(home).database_file


def _real_database(home: Path) -> Path:
    """A database with one conversation of a few messages, closed."""
    database = build_paths_database(home)
    database.parent.mkdir(parents=True, exist_ok=True)
    with ConversationStore(database) as store:
        conv = store.create_conversation("Kept")
        parent = None
        for index in range(6):
            parent = store.add_message(conv, parent, "user" if index % 2 == 0 else "assistant",
                                       f"message {index} " + "words " * 200).id
    return database


def _random_bytes(database: Path) -> None:
    database.write_bytes(random.Random(3).randbytes(64 * 1024))


def _truncated_half(database: Path) -> None:
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [_random_bytes, _truncated_half],
                         ids=["random_bytes", "truncated_half"])
def test_damaged_database_is_set_aside_and_the_user_told(
        damage: Callable[[Path], None], openchat_home: Path,
        make_real_app: Callable[..., App], qtbot: QtBot) -> None:
    database = _real_database(openchat_home)
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    damage(database)
    app = make_real_app(fake_engine_factory())
    warnings: list[str] = []
    app.ctx.bus.warning.connect(warnings.append)
    report_startup_problems(app.ctx)
    notice = app.ctx.store.recovery_notice
    assert notice and "\n" not in notice
    assert notice in warnings and notice in app.window.status.currentMessage()
    assert list(database.parent.glob(database.name + ".corrupt-*"))
    app.window.start(load_model=False)
    app.ctx.session.send("still works")  # the recovered store takes new messages
    assert app.ctx.store.active_path(app.ctx.session.current_id or 0)[0].content == "still works"


BAD_SETTINGS = {
    "not_json": b"{\"version\": 1, \"settings\": {\"ui.theme\": ",
    "binary": b"\x00\xff\xfe garbage",
    "wrong_layout": b"[1, 2, 3]",
    "bad_values": json.dumps({"version": 1, "settings": {
        "ui.font_size": "huge", "sampling.temperature": -7, "model.threads": [1, 2],
        "ui.theme": "neon", "no.such.key": 1, "sampling.max_tokens": 64}}).encode(),
}


@pytest.mark.parametrize("name", list(BAD_SETTINGS))
def test_damaged_settings_file_gives_defaults_a_warning_and_a_backup(
        name: str, openchat_home: Path, make_real_app: Callable[..., App]) -> None:
    from openchat_desktop.core.paths import app_paths

    settings_file = app_paths(openchat_home).ensure().settings_file
    settings_file.write_bytes(BAD_SETTINGS[name])
    app = make_real_app(fake_engine_factory())
    warnings: list[str] = []
    app.ctx.bus.warning.connect(warnings.append)
    report_startup_problems(app.ctx)
    assert warnings and all("\n" not in w for w in warnings)
    assert warnings[-1] in app.window.status.currentMessage()
    backup = settings_file.with_name(settings_file.name + ".bak")
    assert backup.read_bytes() == BAD_SETTINGS[name]
    defaults = Settings()
    for key in ("ui.font_size", "sampling.temperature", "model.threads", "ui.theme"):
        assert app.ctx.settings.get(key) == defaults.get(key), key
    for setting in SETTINGS:
        value = app.ctx.settings.get(setting.key)
        assert setting.validate(value) == value
    if name == "bad_values":  # the good value in a damaged file is kept
        assert app.ctx.settings.get("sampling.max_tokens") == 64


def _slow_app(make_real_app: Callable[..., App], home: Path, qtbot: QtBot,
              **options: Any) -> App:
    model = home / "fake-model.gguf"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"GGUF")
    app = make_real_app(fake_engine_factory(**options))
    app.ctx.settings.set("model.default", str(model))
    app.window.start()
    qtbot.waitUntil(lambda: app.ctx.worker.status is not None, timeout=5000)
    return app


SLOW = {"tokens": [f" word{i}" for i in range(2000)], "tokens_per_second": 50}


def _stream_a_little(app: App, qtbot: QtBot, text: str) -> int:
    deltas: list[str] = []
    app.ctx.session.reply_delta.connect(lambda _id, delta: deltas.append(delta))
    app.window.composer.set_text(text)
    app.window.composer.button.click()
    qtbot.waitUntil(lambda: len(deltas) >= 5, timeout=10_000)
    return app.ctx.store.active_path(app.ctx.session.current_id or 0)[-1].id


def test_deleting_the_generating_conversation_writes_nowhere_else(
        make_real_app: Callable[..., App], openchat_home: Path, qtbot: QtBot) -> None:
    app = _slow_app(make_real_app, openchat_home, qtbot, **SLOW)
    session, store = app.ctx.session, app.ctx.store
    other = session.current_id or 0
    session.send("other conversation")
    session.stop()
    qtbot.waitUntil(lambda: not session.is_busy, timeout=5000)
    before_other = [(m.id, m.content, m.status) for m in store.active_path(other)]
    session.new_conversation()
    doomed = session.current_id or 0
    reply_id = _stream_a_little(app, qtbot, "this one is deleted while it answers")
    session.delete_conversation(doomed)
    assert not session.is_busy
    qtbot.wait(300)  # late tokens of the stopped reply arrive and must be dropped
    saved = store.active_path(doomed)  # in the bin, still readable
    reply = next(m for m in saved if m.id == reply_id)
    assert reply.status == "complete" and reply.meta.get("stop_reason") == "stopped"
    assert reply.content.strip()
    assert [(m.id, m.content, m.status) for m in store.active_path(other)] == before_other


def test_switching_conversation_mid_reply_saves_it_and_writes_nowhere_else(
        make_real_app: Callable[..., App], openchat_home: Path, qtbot: QtBot) -> None:
    app = _slow_app(make_real_app, openchat_home, qtbot, **SLOW)
    session, store = app.ctx.session, app.ctx.store
    other = session.current_id or 0
    session.new_conversation()
    streaming = session.current_id or 0
    reply_id = _stream_a_little(app, qtbot, "switch away from me")
    session.open(other)
    assert not session.is_busy
    qtbot.wait(300)
    assert store.active_path(other) == []
    reply = store.active_path(streaming)[-1]
    assert reply.id == reply_id and reply.status == "complete"
    assert reply.meta.get("stop_reason") == "stopped" and reply.content.strip()
    assert all(w.message.conversation_id == other
               for w in app.window.chat_view.message_widgets)


def test_quitting_mid_reply_saves_it_and_stops_the_thread(
        make_real_app: Callable[..., App], openchat_home: Path, qtbot: QtBot) -> None:
    app = _slow_app(make_real_app, openchat_home, qtbot, **SLOW)
    conv_id = app.ctx.session.current_id or 0
    reply_id = _stream_a_little(app, qtbot, "quit while you answer")
    database = app.ctx.store.path
    app.close()
    assert app.ctx.closed
    assert not app.ctx.worker._thread.isRunning()
    with ConversationStore(database) as store:
        reply = next(m for m in store.active_path(conv_id) if m.id == reply_id)
    assert reply.content.strip()
    assert (reply.status == "complete" and reply.meta.get("stop_reason") == "stopped") \
        or reply.status == "interrupted"
