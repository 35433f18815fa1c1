"""End to end with the real SmolLM2 starter model: the window itself, and the smoke test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.apps import AppMaker, send
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.services.llm_worker import default_engine_factory

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_window_answers_about_france(qtbot: QtBot, make_app: AppMaker,
                                     starter_model: Path) -> None:
    app = make_app(factory=default_engine_factory, start=False)
    session = app.ctx.session
    session.new_conversation()
    for key, value in {MODEL_PATH_KEY: str(starter_model), "model.ctx_size": 2048,
                       "model.threads": 2, "sampling.temperature": 0.2,
                       "sampling.repeat_penalty": 1.1, "sampling.seed": 42,
                       "sampling.max_tokens": 64}.items():
        session.set_conversation_setting(key, value)
    with qtbot.waitSignal(app.ctx.worker.loaded, timeout=120_000):
        app.window.start()
    send(qtbot, app, "What is the capital of France?", timeout=120_000)
    answer = app.texts()[-1]
    assert "Paris" in answer
    assert app.ctx.worker.status is not None and app.ctx.worker.status.n_ctx == 2048
    status = app.window.status
    assert "smollm2" in status.model_label.text().lower() and status.device_label.text()
    assert "tok/s" in app.widgets()[-1]._stats.text()


def test_smoke_test_command_saves_a_screenshot(tmp_path: Path, openchat_home: Path,
                                               starter_model: Path) -> None:
    shot = tmp_path / "out.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OPENCHAT_HOME": str(openchat_home)}
    result = subprocess.run(
        [sys.executable, "-m", "openchat_desktop", "gui", "--smoke-test", "--screenshot",
         str(shot)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 0 and not QImage(str(shot)).isNull()


def test_smoke_test_fails_with_one_line_without_a_model(tmp_path: Path,
                                                        openchat_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OPENCHAT_HOME": str(openchat_home),
           "OPENCHAT_STARTER_MODEL": str(tmp_path / "missing.gguf")}
    settings = openchat_home / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"version": 1, "settings": {"model.default": "%s"}}'
                        % (tmp_path / "broken.gguf"), encoding="utf-8")
    (tmp_path / "broken.gguf").write_bytes(b"not a model")
    result = subprocess.run(
        [sys.executable, "-m", "openchat_desktop", "gui", "--smoke-test"], env=env,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("openchat:")]
    assert len(lines) == 1 and "smoke test failed" in lines[0]


NO_NETWORK = """
import runpy, socket, sys
def refuse(*args, **kwargs):
    sys.stderr.write("NETWORK ATTEMPT %r\\n" % (args[1:] or args,))
    raise SystemExit(99)
socket.socket.connect = socket.socket.connect_ex = socket.create_connection = refuse
socket.getaddrinfo = refuse
sys.argv = ["openchat", "gui", "--smoke-test"]
runpy.run_module("openchat_desktop", run_name="__main__")
"""


def test_the_window_chats_without_the_network(openchat_home: Path, starter_model: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OPENCHAT_HOME": str(openchat_home)}
    result = subprocess.run([sys.executable, "-c", NO_NETWORK], env=env, capture_output=True,
                            text=True, timeout=300)
    assert "NETWORK ATTEMPT" not in result.stderr
    assert result.returncode == 0, result.stderr[-2000:]
