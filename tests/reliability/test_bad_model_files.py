"""Bad model files end to end: the terminal fails with one line, the window shows the reason
and keeps working, and a path with spaces and Chinese characters just works."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from reliability_helpers import bad_model_corpus, send, unicode_copy

from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.services.llm_worker import default_engine_factory

pytestmark = pytest.mark.model
CASES = [
    "empty", "random", "text", "cut_in_header", "cut_in_metadata", "cut_in_tensor_data",
    "wrong_magic", "version_1", "metadata_count_huge", "string_length_huge",
    "unknown_architecture", "directory", "no_read_permission"]


def _chat(model: Path, home: Path, *extra: str,
          timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENCHAT_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "openchat_desktop", "chat", "--model", str(model), "--prompt",
         "hi", "--threads", "1", *extra], env=env, capture_output=True, text=True,
        timeout=timeout)


def _skip_if_root_can_read(case: str, path: Path) -> None:
    if case == "no_read_permission" and os.access(path, os.R_OK):
        pytest.skip("running as root: the file stays readable")


@pytest.mark.parametrize("case", CASES)
def test_terminal_refuses_bad_file_with_one_line(case: str, tmp_path: Path, openchat_home: Path,
                                                 starter_model: Path) -> None:
    path = bad_model_corpus(starter_model)[case](tmp_path)
    _skip_if_root_can_read(case, path)
    started = time.monotonic()
    result = _chat(path, openchat_home, timeout=60)
    elapsed = time.monotonic() - started
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode > 0, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and lines[0].startswith("openchat: ")
    assert elapsed < 15, f"{case} took {elapsed:.1f} s"


def test_terminal_chats_through_a_unicode_path(tmp_path: Path, openchat_home: Path,
                                               starter_model: Path) -> None:
    model = unicode_copy(starter_model, tmp_path)
    result = _chat(model, openchat_home, "-n", "8", "--temperature", "0.2", "--seed", "42",
                   "--no-stats")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "bot: " in result.stdout and len(result.stdout.split("bot: ", 1)[1].strip()) > 0


def test_window_shows_each_bad_file_and_keeps_working(
        qtbot: QtBot, make_real_app, no_blocking_dialogs: list[str], tmp_path: Path,
        starter_model: Path) -> None:
    app = make_real_app(default_engine_factory)
    app.use_model(starter_model)  # settings only: nothing is loaded yet
    worker, failures = app.ctx.worker, []
    tried = 0
    for case, write in bad_model_corpus(starter_model).items():
        folder = tmp_path / case
        folder.mkdir()
        path = write(folder)
        if case == "no_read_permission" and os.access(path, os.R_OK):
            continue
        tried += 1
        before = len(no_blocking_dialogs)
        with qtbot.waitSignal(worker.load_failed, timeout=30_000):
            app.ctx.session.set_conversation_setting(MODEL_PATH_KEY, str(path))
            app.ctx.session.ensure_model_loaded()
        qtbot.waitUntil(lambda b=before: len(no_blocking_dialogs) > b, timeout=5000)
        shown = no_blocking_dialogs[-1]
        if "\n" in shown or "could not be loaded" not in shown:
            failures.append((case, shown))
    assert not failures, failures
    print(f"\nwindow: {tried} bad files refused with a one-line dialog")
    model = unicode_copy(starter_model, tmp_path)
    with qtbot.waitSignal(worker.loaded, timeout=60_000):
        app.ctx.session.set_conversation_setting(MODEL_PATH_KEY, str(model))
        app.ctx.session.ensure_model_loaded()
    send(qtbot, app, "What is the capital of France?")
    reply = app.ctx.session.messages()[-1]
    assert reply.role == "assistant" and reply.status == "complete" and reply.content.strip()
    assert app.texts()[-1]
