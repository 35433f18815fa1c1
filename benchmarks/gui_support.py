"""What the window benchmarks share: a whole app on a temporary profile, and a long chat."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["OPENCHAT_HOME"] = tempfile.mkdtemp(prefix="openchat-bench-home-")

from PySide6.QtCore import (  # noqa: E402
    QCoreApplication,
    QMessageLogContext,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication  # noqa: E402
from qt_wait import wait_until  # noqa: E402

from openchat_desktop.app import build_context  # noqa: E402
from openchat_desktop.ui.context import AppContext  # noqa: E402
from openchat_desktop.ui.main_window import MainWindow  # noqa: E402

USER_TEXT = ("How do I read a file line by line in Python, and what happens with very long "
             "lines? Please keep it short.")
ASSISTANT_TEXT = ("Use a **with** block and iterate over the file object:\n\n```python\n"
                  "with open(path, encoding='utf-8') as handle:\n    for line in handle:\n"
                  "        process(line)\n```\n\nEach line is read lazily, so memory stays "
                  "flat; a very long line is read whole, so for huge lines use "
                  "`handle.read(size)` in a loop instead.\n\n- simple\n- streaming\n- safe")


def _quiet_offscreen(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    # The offscreen platform says "This plugin does not support ..." for every window resize.
    if "This plugin does not support" not in message:
        print(message, file=sys.stderr)


def application() -> QApplication:
    qInstallMessageHandler(_quiet_offscreen)
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else QApplication(sys.argv[:1])


def open_window(engine_factory: Any = None, model: Path | None = None,
                **settings: Any) -> tuple[AppContext, MainWindow]:
    """The real window over ``engine_factory`` (default: the real engine), model loaded."""
    ctx = build_context(engine_factory=engine_factory)
    if model is not None:
        ctx.settings.set("model.default", str(model))
    for key, value in settings.items():
        ctx.settings.set(key.replace("__", "."), value)
    window = MainWindow(ctx)
    window.resize(1100, 720)
    window.show()
    window.start()
    wait_until(lambda: ctx.worker.status is not None, 120)
    if ctx.worker.status is None:
        raise SystemExit("the model did not load")
    return ctx, window


def close_window(ctx: AppContext, window: MainWindow) -> None:
    window.close()
    window.deleteLater()
    QCoreApplication.processEvents()
    ctx.close()


def add_long_conversation(ctx: AppContext, messages: int) -> int:
    """A conversation of ``messages`` alternating user/assistant messages; returns its id."""
    store = ctx.store
    conv_id = store.create_conversation(f"{messages} messages")
    parent = None
    for index in range(messages):
        role = "user" if index % 2 == 0 else "assistant"
        text = USER_TEXT if role == "user" else ASSISTANT_TEXT
        parent = store.add_message(conv_id, parent, role, f"{index}: {text}").id
    return conv_id
