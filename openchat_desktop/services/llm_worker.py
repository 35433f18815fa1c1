"""The model's one owner: an engine living on its own QThread, driven by queued signals.

The GUI thread never touches the engine. Requests travel as queued signals; results come back
as signals tagged with a generation id. Stop is a ``threading.Event`` set straight from the
GUI thread, because a queued "stop" would wait behind the very loop it should end.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.backend import BackendFactory, ChatBackend, ReplyStream
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage

log = logging.getLogger(__name__)
EngineFactory = BackendFactory
# Deltas closer together than this travel as one signal. The chat view repaints every 40 ms,
# so a signal per token (100+/s) would only cost the GUI thread CPU, which on a small machine
# is taken from the model's own threads. The first token of a reply always goes out at once.
DELTA_INTERVAL_S = 0.03


def default_engine_factory(settings: LoadSettings) -> ChatBackend:
    # Imported here, on the worker thread, so llama_cpp stays off the start-up path.
    from openchat_desktop.core.llm.engine import Engine

    return Engine(settings)


@dataclass(frozen=True)
class ModelStatus:
    """What the status bar shows about the loaded model."""

    model_name: str
    model_path: Path
    n_ctx: int
    device: str
    template_warning: str | None
    load_seconds: float


class _EngineHost(QObject):
    """Lives on the worker thread and owns the engine. Signals mirror ``LlmWorker``'s."""

    load_started = Signal(str)
    loaded = Signal(object)
    load_failed = Signal(str, str)
    token = Signal(int, str, int)
    finished = Signal(int, object)
    failed = Signal(int, str)
    context_used = Signal(int, int)

    def __init__(self, factory: EngineFactory) -> None:
        super().__init__()
        self._factory = factory
        self._engine: ChatBackend | None = None

    @Slot(object)
    def load(self, settings: LoadSettings) -> None:
        self.load_started.emit(str(settings.model_path))
        self.close()
        started = time.perf_counter()
        try:
            engine = self._factory(settings)
        except OpenChatError as exc:
            self.load_failed.emit(str(exc), traceback.format_exc())
            return
        except Exception as exc:
            log.exception("model load failed")
            self.load_failed.emit(f"Could not load the model: {exc}", traceback.format_exc())
            return
        self._engine = engine
        self.loaded.emit(ModelStatus(engine.model_name, Path(engine.model_path), engine.n_ctx,
                                     engine.device.describe(), engine.template.warning,
                                     time.perf_counter() - started))

    @Slot(int, object, object, object)
    def generate(self, gen_id: int, messages: list[ChatMessage], sampling: SamplingSettings,
                 stop: threading.Event) -> None:
        if self._engine is None:
            self.failed.emit(gen_id, "No model is loaded.")
            return
        try:
            generation = self._engine.stream(messages, sampling, stop)
            self._stream_deltas(gen_id, generation)
        except OpenChatError as exc:
            self.failed.emit(gen_id, str(exc))
            return
        except Exception as exc:
            log.exception("generation failed")
            self.failed.emit(gen_id, f"Generation failed: {exc}")
            return
        stats: GenerationStats = generation.stats
        if stats.stop_reason == "error":
            self.failed.emit(gen_id, f"Generation failed: {stats.error}")
        else:
            self.finished.emit(gen_id, stats)
        self.context_used.emit(int(self._engine.cached_tokens), int(self._engine.n_ctx))

    def _stream_deltas(self, gen_id: int, generation: ReplyStream) -> None:
        """Emit ``token(gen_id, text, tokens so far)``, joining deltas that come in quick
        succession; whatever is pending goes out before this returns or raises."""
        pending: list[str] = []
        last_emit = 0.0
        try:
            for delta in generation:
                pending.append(delta)
                now = time.perf_counter()
                if now - last_emit >= DELTA_INTERVAL_S:
                    self.token.emit(gen_id, "".join(pending), generation.stats.generated_tokens)
                    pending, last_emit = [], now
        finally:
            if pending:
                self.token.emit(gen_id, "".join(pending), generation.stats.generated_tokens)

    @Slot()
    def close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()


class LlmWorker(QObject):
    """Front of the model thread, used from the GUI thread.

    Signals: ``load_started(str path)``, ``loaded(ModelStatus)``,
    ``load_failed(str message, str details)``, ``token(int gen_id, str text, int tokens)``
    (new text and the reply's token count so far; deltas less than ``DELTA_INTERVAL_S`` apart
    come joined), ``finished(int gen_id, GenerationStats)``, ``failed(int gen_id, str message)``,
    ``context_used(int used, int n_ctx)``, ``busy_changed(bool)``.
    A stopped generation still ends with ``finished`` (stop reason ``stopped``).
    """

    load_started = Signal(str)
    loaded = Signal(object)
    load_failed = Signal(str, str)
    token = Signal(int, str, int)
    finished = Signal(int, object)
    failed = Signal(int, str)
    context_used = Signal(int, int)
    busy_changed = Signal(bool)

    _request_load = Signal(object)
    _request_generate = Signal(int, object, object, object)
    _request_close = Signal()

    def __init__(self, engine_factory: EngineFactory = default_engine_factory,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status: ModelStatus | None = None
        self.current_gen_id = 0
        self._stop = threading.Event()
        self._busy = False
        self._thread = QThread()
        self._thread.setObjectName("llm-worker")
        self._host = _EngineHost(engine_factory)
        self._host.moveToThread(self._thread)
        self._connect()
        self._thread.start()

    def _connect(self) -> None:
        host = self._host
        self._request_load.connect(host.load)
        self._request_generate.connect(host.generate)
        self._request_close.connect(host.close)
        host.load_started.connect(self.load_started)
        host.loaded.connect(self._on_host_loaded)
        host.load_failed.connect(self._on_host_load_failed)
        host.token.connect(self.token)
        host.finished.connect(self._on_host_finished)
        host.failed.connect(self._on_host_failed)
        host.context_used.connect(self.context_used)

    @property
    def is_busy(self) -> bool:
        return self._busy

    def load(self, settings: LoadSettings) -> None:
        """Load a model on the worker thread (the previous one is closed first)."""
        self.stop()
        self.status = None
        self._request_load.emit(settings)

    def generate(self, messages: list[ChatMessage], sampling: SamplingSettings) -> int:
        """Queue a reply; a running one is stopped first. Returns the new generation id."""
        self.stop()
        self.current_gen_id += 1
        self._stop = threading.Event()
        self._set_busy(True)
        self._request_generate.emit(self.current_gen_id, list(messages), sampling, self._stop)
        return self.current_gen_id

    def stop(self) -> None:
        """End the current reply within one token (or one prompt chunk)."""
        self._stop.set()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Stop, free the model on its own thread, and end the thread."""
        if not self._thread.isRunning():
            return
        self.stop()
        self._request_close.emit()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            log.warning("model thread did not stop within %d ms", timeout_ms)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    @Slot(object)
    def _on_host_loaded(self, status: ModelStatus) -> None:
        self.status = status
        self.loaded.emit(status)

    @Slot(str, str)
    def _on_host_load_failed(self, message: str, details: str) -> None:
        self.status = None
        self.load_failed.emit(message, details)

    @Slot(int, object)
    def _on_host_finished(self, gen_id: int, stats: GenerationStats) -> None:
        if gen_id == self.current_gen_id:
            self._set_busy(False)
        self.finished.emit(gen_id, stats)

    @Slot(int, str)
    def _on_host_failed(self, gen_id: int, message: str) -> None:
        if gen_id == self.current_gen_id:
            self._set_busy(False)
        self.failed.emit(gen_id, message)
