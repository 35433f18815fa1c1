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
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.backend import BackendFactory, ChatBackend
from openchat_desktop.core.llm.reasoning import ReplyPart, thinking_modes
from openchat_desktop.core.llm.sampling import GenerationOptions, LoadSettings, SamplingSettings
from openchat_desktop.core.llm.state_cache import StateCache
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.llm.tool_calls import ToolCall
from openchat_desktop.services.batch_runner import BatchRunner
from openchat_desktop.services.delta_batcher import DeltaBatcher
from openchat_desktop.services.generation_queue import (
    DEFAULT_MAX_WAITING,
    FailureKind,
    GenerationJob,
    GenerationQueue,
    execute,
)

log = logging.getLogger(__name__)
EngineFactory = BackendFactory


def default_engine_factory(settings: LoadSettings) -> ChatBackend:
    # Imported here, on the worker thread, so llama_cpp stays off the start-up path.
    from openchat_desktop.core.remote.model_ref import parse_remote

    if (ref := parse_remote(settings.model_path)) is not None:  # remote:CONNECTION/MODEL
        from openchat_desktop.core.remote.opening import open_remote

        return open_remote(ref)
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
    thinking_modes: tuple[str, ...] = ()  # the Thinking choices its template offers


class _EngineHost(QObject):
    """Lives on the worker thread and owns the engine. Signals mirror ``LlmWorker``'s."""

    load_started = Signal(str)
    loaded = Signal(object)
    load_failed = Signal(str, str)
    token = Signal(int, str, int)
    thinking = Signal(int, str, int)
    tool_call = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    context_used = Signal(int, int)

    def __init__(self, factory: EngineFactory, queue: GenerationQueue,
                 state_cache: StateCache | None = None) -> None:
        super().__init__()
        self._factory = factory
        self._state_cache = state_cache
        self._engine: ChatBackend | None = None
        self._queue = queue
        self._settings: LoadSettings | None = None
        # Read from other threads (the API server): a reference swap is atomic.
        self.loaded_path: Path | None = None
        self.running: list[GenerationJob] = []  # replaced whole, never changed in place

    @Slot(object)
    def load(self, settings: LoadSettings) -> None:
        self._load(settings)

    def _load(self, settings: LoadSettings) -> str:
        """Load ``settings``; the failure's one line, or "" when the model loaded."""
        self.load_started.emit(str(settings.model_path))
        self.close()
        self._settings = settings
        started = time.perf_counter()
        try:
            engine = self._factory(settings)
        except OpenChatError as exc:
            self.load_failed.emit(str(exc), traceback.format_exc())
            return str(exc)
        except Exception as exc:
            log.exception("model load failed")
            message = f"Could not load the model: {exc}"
            self.load_failed.emit(message, traceback.format_exc())
            return message
        self._engine = engine
        if self._state_cache is not None and hasattr(engine, "use_state_cache"):
            engine.use_state_cache(self._state_cache)  # the local engine; not a remote one
        self.loaded_path = Path(engine.model_path)
        source = getattr(engine.template, "source", "")
        self.loaded.emit(ModelStatus(engine.model_name, Path(engine.model_path), engine.n_ctx,
                                     engine.device.describe(), engine.template.warning,
                                     time.perf_counter() - started,
                                     thinking_modes(source if isinstance(source, str) else "")))
        return ""

    @Slot()
    def run_next(self) -> None:
        """Run the next queued job: one per wake-up, so a load asked for meanwhile (a queued
        signal too) comes between two jobs rather than after all of them."""
        job = self._queue.take()
        if job is None:
            return
        problem = self._switch_model(job)
        if problem or self._engine is None:
            job.sink.failed(problem or "No model is loaded.", "no_model")
            return
        if getattr(self._engine, "batching", False):
            BatchRunner(self._engine, self._queue, self._fits, self._job_started,
                        self._job_ended).run(job)
            return
        self._job_started(job)
        started = time.perf_counter()
        try:
            execute(self._engine, job)
        finally:
            self._job_ended(job, time.perf_counter() - started)

    def _fits(self, job: GenerationJob) -> bool:
        """Whether a queued job may run beside the running ones: a reply (not embeddings)
        for the model that is loaded."""
        if job.kind == "embedding" or self.loaded_path is None:
            return False
        return job.model_path is None or job.model_path.resolve() == self.loaded_path.resolve()

    def _job_started(self, job: GenerationJob) -> None:
        engine = self._engine
        if engine is not None and hasattr(engine, "set_conversation"):
            engine.set_conversation(job.conversation_id)  # whose KV state the reply builds
        self.running = [*self.running, job]

    def _job_ended(self, job: GenerationJob, seconds: float) -> None:
        engine = self._engine
        self.running = [other for other in self.running if other is not job]
        if job.from_window:
            if engine is not None:
                self.context_used.emit(int(engine.cached_tokens), int(engine.n_ctx))
        else:
            self._queue.record_duration(seconds)

    def _switch_model(self, job: GenerationJob) -> str:
        """Load the model an API job names, if another is loaded (the window follows through
        ``loaded``); the failure's one line, or ""."""
        wanted = job.model_path
        if wanted is None or job.stop.is_set() or (
                self.loaded_path is not None and wanted.resolve() == self.loaded_path.resolve()):
            return ""
        base = self._settings or LoadSettings(model_path=wanted)
        return self._load(replace(base, model_path=wanted))

    @Slot()
    def close(self) -> None:
        engine, self._engine = self._engine, None
        self.loaded_path = None
        if engine is not None:
            engine.close()


class LlmWorker(QObject):
    """Front of the model thread, used from the GUI thread.

    Signals: ``load_started(str path)``, ``loaded(ModelStatus)``,
    ``load_failed(str message, str details)``, ``token(int gen_id, str text, int tokens)``
    (new answer text and the reply's token count so far; deltas in quick succession come
    joined, see ``services/delta_batcher.py``), ``thinking(int gen_id, str text, int tokens)``
    (new thinking text, likewise), ``tool_call(int gen_id, ToolCall)``,
    ``finished(int gen_id, GenerationStats)``, ``failed(int gen_id, str message)``,
    ``context_used(int used, int n_ctx)``, ``busy_changed(bool)``.
    A stopped generation still ends with ``finished`` (stop reason ``stopped``).
    """

    load_started = Signal(str)
    loaded = Signal(object)
    load_failed = Signal(str, str)
    token = Signal(int, str, int)
    thinking = Signal(int, str, int)
    tool_call = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    context_used = Signal(int, int)
    busy_changed = Signal(bool)

    _request_load = Signal(object)
    _wake = Signal()
    _request_close = Signal()

    def __init__(self, engine_factory: EngineFactory = default_engine_factory,
                 parent: QObject | None = None,
                 max_waiting_api: int = DEFAULT_MAX_WAITING,
                 state_cache: StateCache | None = None) -> None:
        super().__init__(parent)
        # Kept conversation states (KV caches); None keeps none. See core/llm/state_cache.py.
        self.state_cache = state_cache
        # Window replies and API requests share this one queue (window first; see
        # generation_queue.py); each job put wakes the model thread once.
        self.queue = GenerationQueue(max_waiting_api, wake=self._wake.emit)
        self.status: ModelStatus | None = None
        self.current_gen_id = 0
        self._stop = threading.Event()
        self._busy = False
        self._thread = QThread()
        self._thread.setObjectName("llm-worker")
        self._host = _EngineHost(engine_factory, self.queue, state_cache)
        self._host.moveToThread(self._thread)
        self._connect()
        self._thread.start()

    def _connect(self) -> None:
        host = self._host
        self._request_load.connect(host.load)
        # Queued explicitly: the API server emits this from its own (non-Qt) thread.
        self._wake.connect(host.run_next, Qt.ConnectionType.QueuedConnection)
        self._request_close.connect(host.close)
        host.load_started.connect(self.load_started)
        host.loaded.connect(self._on_host_loaded)
        host.load_failed.connect(self._on_host_load_failed)
        host.token.connect(self.token)
        host.thinking.connect(self.thinking)
        host.tool_call.connect(self.tool_call)
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

    def generate(self, messages: list[ChatMessage], sampling: SamplingSettings,
                 thinking: str = "", conversation_id: int | None = None) -> int:
        """Queue a reply ahead of any API request; the window's running reply is stopped
        first (an API request's never is). ``thinking`` is the conversation's Thinking
        choice ("" leaves it to the template). Returns the new generation id."""
        self.stop()
        self.current_gen_id += 1
        self._stop = threading.Event()
        self._set_busy(True)
        self.queue.put_window(GenerationJob(
            "chat", _WindowSink(self._host, self.current_gen_id), sampling,
            messages=list(messages), stop=self._stop, from_window=True,
            gen_id=self.current_gen_id, conversation_id=conversation_id,
            options=GenerationOptions(thinking=thinking) if thinking else None))
        return self.current_gen_id

    def forget_conversation(self, conversation_id: int, for_good: bool = True) -> None:
        """Remove a conversation's kept states (any thread): ``for_good`` when it was
        deleted, else (a message was deleted) until it is read again."""
        if self.state_cache is not None:
            self.state_cache.forget_conversation(conversation_id, for_good)

    def submit_api(self, job: GenerationJob) -> None:
        """Queue an API job behind the window's; raises ``QueueFullError``. Thread-safe."""
        self.queue.put_api(job)

    @property
    def loaded_path(self) -> Path | None:
        """The loaded model's file, read from any thread (None while none is loaded)."""
        return self._host.loaded_path

    def stop(self) -> None:
        """End the current reply within one token (or one prompt chunk)."""
        self._stop.set()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Stop, free the model on its own thread, and end the thread."""
        if not self._thread.isRunning():
            return
        self.stop()
        for job in self.queue.cancel_api():
            job.sink.failed("The model is shutting down.", "no_model")
        for running in self._host.running:
            running.stop.set()
        self._request_close.emit()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            log.warning("model thread did not stop within %d ms", timeout_ms)
        if self.state_cache is not None and not self.state_cache.flush(timeout_ms / 1000):
            log.warning("conversation states still being written at quit")

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


class _WindowSink:
    """A window job's results as the host's signals: ``token`` and ``thinking`` join deltas
    that come in quick succession (``DeltaBatcher``; the first goes out at once), and
    whatever is pending goes out before a tool call, ``finished`` or ``failed``."""

    def __init__(self, host: _EngineHost, gen_id: int) -> None:
        self._host = host
        self._gen_id = gen_id
        self._batcher = DeltaBatcher()

    def started(self) -> None:
        pass

    def delta(self, text: str, tokens: int) -> None:
        self._emit(self._batcher.add(False, text, tokens))

    def part(self, part: ReplyPart, tokens: int) -> None:
        """Thinking, or a whole tool call (``execute`` hands the answer to ``delta``)."""
        if part.kind == "thinking":
            self._emit(self._batcher.add(True, part.text, tokens))
        elif part.kind == "tool_call":
            self._flush()
            self._host.tool_call.emit(self._gen_id,
                                      ToolCall(part.name, part.text, part.call_id))

    def finished(self, stats: GenerationStats) -> None:
        self._flush()
        self._host.finished.emit(self._gen_id, stats)

    def embedded(self, vectors: list[list[float]], tokens: int) -> None:
        pass

    def failed(self, message: str, kind: FailureKind) -> None:
        self._flush()
        self._host.failed.emit(self._gen_id, message)

    def _flush(self) -> None:
        self._emit(self._batcher.drain())

    def _emit(self, runs: list[tuple[bool, str]]) -> None:
        for thinking, text in runs:
            signal = self._host.thinking if thinking else self._host.token
            signal.emit(self._gen_id, text, self._batcher.tokens)
