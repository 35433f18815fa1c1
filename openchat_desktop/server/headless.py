"""The server without a window: a ``QCoreApplication``, the model worker and the server."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

from openchat_desktop.core.errors import ModelLoadError
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.state_cache import StateCache
from openchat_desktop.core.models.choice import resolve_model
from openchat_desktop.core.paths import AppPaths
from openchat_desktop.core.settings import Settings
from openchat_desktop.server.config import ServerConfig
from openchat_desktop.server.model_ids import ModelDirectory
from openchat_desktop.server.runner import ServerThread
from openchat_desktop.server.state import ServerState
from openchat_desktop.services.llm_worker import LlmWorker, ModelStatus

log = logging.getLogger(__name__)
# Python runs signal handlers only between bytecodes: while Qt's C++ loop waits, a timer
# hands control back a few times a second so Ctrl-C and SIGTERM are seen promptly.
SIGNAL_POLL_MS = 100
LOAD_TIMEOUT_MS = 10 * 60 * 1000


def serve_headless(paths: AppPaths, settings: Settings, config: ServerConfig,
                   model: str | None) -> int:
    """Run until Ctrl-C or SIGTERM; returns the exit code."""
    from openchat_desktop.core.logs import setup_logging

    setup_logging(paths)
    _log_requests_to_stderr()
    model_path = resolve_model(model, settings.get("model.default"),
                               settings.get("models.extra_dirs"))
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    # Memory only: API requests never leave their states on disk, but a client that comes back
    # to a long conversation after another client's request resumes without re-reading it.
    worker = LlmWorker(max_waiting_api=config.max_waiting, state_cache=StateCache(None))
    server: ServerThread | None = None
    try:
        status = _load(worker, LoadSettings.from_values(model_path, settings.snapshot()))
        state = ServerState(config, worker, ModelDirectory(settings.get("models.extra_dirs")),
                            SamplingSettings.from_dict(settings.section("sampling")))
        server = ServerThread(state)
        server.start()
        print(f"OpenChat API server: {server.url} (model {status}; Ctrl-C stops)", flush=True)
        install_stop_signals(app.quit)
        ticker = QTimer(interval=SIGNAL_POLL_MS)
        ticker.timeout.connect(lambda: None)
        ticker.start()
        app.exec()
        print("OpenChat API server stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        if server is not None:
            server.stop()
        worker.shutdown()


def _load(worker: LlmWorker, load: LoadSettings) -> str:
    """Load the model and wait for it; the model's name, or ``ModelLoadError``."""
    loop = QEventLoop()
    outcome: dict[str, str] = {}

    def on_loaded(status: ModelStatus) -> None:
        outcome["name"] = status.model_name
        loop.quit()

    def on_failed(message: str, _details: str) -> None:
        outcome["error"] = message
        loop.quit()

    worker.loaded.connect(on_loaded)
    worker.load_failed.connect(on_failed)
    QTimer.singleShot(LOAD_TIMEOUT_MS, loop.quit)
    worker.load(load)
    loop.exec()
    if "name" not in outcome:
        raise ModelLoadError(outcome.get("error", f"{Path(load.model_path).name} did not load "
                                         "in time"))
    return outcome["name"]


def _log_requests_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    request_log = logging.getLogger("openchat.server")
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)


def install_stop_signals(on_stop: Callable[[], None]) -> None:
    """Ctrl-C and SIGTERM call ``on_stop`` (on the main thread, at the next poll)."""
    def handler(_signum: int, _frame: object) -> None:
        on_stop()

    signal.signal(signal.SIGINT, handler)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handler)
