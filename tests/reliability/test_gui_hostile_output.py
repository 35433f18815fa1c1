"""Hostile model output in the window: markup is shown as text, links to scripts or local
files are not links, nothing is fetched from the network, and a 1 MB line streams without
freezing the window."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import fake_engine_factory
from fixtures.apps import App
from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot
from reliability_helpers import send


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it gets, in a thread."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(8)
        self._socket.settimeout(0.1)
        self.port = int(self._socket.getsockname()[1])
        self.connections = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        deadline = time.monotonic() + 60  # never outlive a stuck test by much
        while not self._done.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        self._socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def resource_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL a text document or browser is asked to load, from any widget."""
    requested: list[str] = []
    for cls in (QTextDocument, QTextBrowser):
        original = cls.loadResource

        def record(self: Any, kind: int, name: Any, _original: Any = original) -> Any:
            requested.append(name.toString() if hasattr(name, "toString") else str(name))
            return _original(self, kind, name)

        monkeypatch.setattr(cls, "loadResource", record)
    return requested


@pytest.fixture
def fake_app(make_real_app: Callable[..., App], openchat_home: Path,
             qtbot: QtBot) -> Callable[..., App]:
    def make(**options: Any) -> App:
        model = openchat_home / "fake-model.gguf"
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(b"GGUF")
        app = make_real_app(fake_engine_factory(**options))
        app.ctx.settings.set("model.default", str(model))
        app.window.start()
        qtbot.waitUntil(lambda: app.ctx.worker.status is not None, timeout=5000)
        return app
    return make


def hostile_replies(port: int) -> dict[str, str]:
    return {
        "script": "<script>alert(1)</script> after",
        "img": f"<img src=http://127.0.0.1:{port}/x.png> and ![i](http://127.0.0.1:{port}/m.png)",
        "iframe": f"<iframe src=http://127.0.0.1:{port}/></iframe> framed",
        "javascript_link": "[a](javascript:alert(1)) js",
        "file_link": "[b](file:///etc/passwd) file",
        "nested_quotes": ">" * 2000 + " deep quote",
        "open_brackets": "[" * 5000 + " many brackets",
    }


def test_hostile_markup_is_text_and_fetches_nothing(
        fake_app: Callable[..., App], qtbot: QtBot, listener: Listener,
        resource_requests: list[str]) -> None:
    replies = hostile_replies(listener.port)
    app = fake_app(
        tokens=lambda messages: [replies[messages[-1].content.split()[-1]] + " (the end)"])
    tried = 0
    for name in replies:
        send(qtbot, app, f"case {name}", timeout=20_000)
        widget = app.window.chat_view.message_widgets[-1]
        visible, html = widget.body.toPlainText(), widget.body.toHtml()
        assert visible.rstrip().endswith("(the end)"), name
        assert 'href="javascript' not in html.lower() and 'href="file:' not in html.lower()
        assert "<iframe" not in html.lower().replace("&lt;iframe", ""), name
        tried += 1
    texts = app.texts()
    assert any("<script>alert(1)</script>" in text for text in texts)
    assert any("<iframe src=" in text for text in texts)
    qtbot.wait(300)  # anything that was going to connect has had the chance
    assert listener.connections == 0
    assert not [url for url in resource_requests if url.startswith(("http", "//", "file"))], \
        resource_requests
    assert tried == len(replies)


def test_megabyte_line_streams_without_freezing_the_window(
        fake_app: Callable[..., App], qtbot: QtBot) -> None:
    words = ("lorem *ipsum* `dolor` [sit](http://a) amet " * 30_000)[:1_000_000]
    deltas = [words[i:i + 5000] for i in range(0, len(words), 5000)]
    app = fake_app(tokens=deltas, tokens_per_second=100)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    try:
        send(qtbot, app, "one long line please", timeout=120_000)
    finally:
        timer.stop()
    worst_ms = max(gaps) * 1000
    print(f"\n1 MB line in {len(deltas)} deltas: longest GUI gap {worst_ms:.0f} ms "
          f"over {len(gaps)} ticks")
    assert len(app.texts()[-1]) > 900_000
    assert worst_ms < 1000
