"""One queue of work for the model's one thread: the window's replies, then API requests.

Order: a window reply always goes first (the person watching it never waits behind a script),
then API requests in arrival order. A running job is never interrupted by another one: only
its own stop ``threading.Event`` ends it (the window's next message, a client that hung up).
At most ``max_waiting`` API jobs wait; one more is refused with ``QueueFullError`` so the
server can answer 429 with a ``Retry-After`` instead of piling up work nobody waits for.

Everything here is thread-safe: the window puts jobs from the GUI thread, the server from its
event loop's thread, and the model thread takes them. A job's sink is called on the model
thread; hopping elsewhere is the sink's business.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from openchat_desktop.core.errors import ContextOverflowError, OpenChatError
from openchat_desktop.core.llm.reasoning import ReplyPart
from openchat_desktop.core.llm.reply_parts import IDLE, TypedReply
from openchat_desktop.core.llm.sampling import GenerationOptions, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage

log = logging.getLogger(__name__)
JobKind = Literal["chat", "completion", "embedding"]
# What went wrong, for the server to pick a status: bad_request 400, no_model 503,
# unsupported 400, failed 500 (with one line, never a traceback).
FailureKind = Literal["bad_request", "no_model", "unsupported", "failed"]
DEFAULT_MAX_WAITING = 16


class JobSink(Protocol):
    """Receives one job's results, on the model thread."""

    def started(self) -> None: ...

    def delta(self, text: str, tokens: int) -> None: ...

    def finished(self, stats: GenerationStats) -> None: ...

    def embedded(self, vectors: list[list[float]], tokens: int) -> None: ...

    def failed(self, message: str, kind: FailureKind) -> None: ...


@dataclass
class GenerationJob:
    """One piece of work for the model: a chat reply, a raw-prompt completion or embeddings.

    ``model_path`` None means whatever model is loaded; another path loads that model first.
    """

    kind: JobKind
    sink: JobSink
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    messages: list[ChatMessage] = field(default_factory=list)
    prompt: str = ""
    inputs: list[str] = field(default_factory=list)
    options: GenerationOptions | None = None
    model_path: Path | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    from_window: bool = False
    gen_id: int = 0
    # The saved conversation a window reply belongs to: its KV state may be kept on disk
    # (core/llm/state_cache.py). API requests have none and are never kept on disk.
    conversation_id: int | None = None


class QueueFullError(OpenChatError):
    """Too many API requests are waiting; ``retry_after`` is a fair guess in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GenerationQueue:
    """The window's jobs and the API's jobs, taken window first. ``wake`` is called (from the
    putting thread) once per job put, so the model thread knows to ``take`` one."""

    def __init__(self, max_waiting: int = DEFAULT_MAX_WAITING,
                 wake: Callable[[], None] | None = None) -> None:
        self.max_waiting = max_waiting
        self._wake = wake
        self._lock = threading.Lock()
        self._window: deque[GenerationJob] = deque()
        self._api: deque[GenerationJob] = deque()
        self._average_seconds = 5.0  # a first guess for Retry-After, then measured

    def set_wake(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def put_window(self, job: GenerationJob) -> None:
        with self._lock:
            self._window.append(job)
        self._notify()

    def put_api(self, job: GenerationJob) -> None:
        """Queue an API job; raises ``QueueFullError`` when ``max_waiting`` already wait."""
        with self._lock:
            # Jobs whose client already left hold no place in the line.
            self._api = deque(j for j in self._api if not j.stop.is_set())
            if len(self._api) >= self.max_waiting:
                retry = max(1, math.ceil(self._average_seconds * len(self._api) / 4))
                raise QueueFullError(
                    f"The server is busy: {len(self._api)} requests are already waiting "
                    f"(the limit is {self.max_waiting}). Try again in {retry} s.", retry)
            self._api.append(job)
        self._notify()

    def take(self) -> GenerationJob | None:
        """The next job: the oldest window job, else the oldest API job; None when empty."""
        with self._lock:
            if self._window:
                return self._window.popleft()
            if self._api:
                return self._api.popleft()
            return None

    def take_if(self, accept: Callable[[GenerationJob], bool]) -> GenerationJob | None:
        """The job ``take`` would give, if ``accept`` takes it; else None (it stays first)."""
        with self._lock:
            line = self._window if self._window else self._api
            if line and accept(line[0]):
                return line.popleft()
            return None

    def put_back(self, job: GenerationJob) -> None:
        """Return a job taken too early to the front of its line."""
        with self._lock:
            (self._window if job.from_window else self._api).appendleft(job)

    def waiting(self) -> int:
        """API jobs waiting (not the running one)."""
        with self._lock:
            return len(self._api)

    def record_duration(self, seconds: float) -> None:
        """How long an API job took, for the next Retry-After guess."""
        with self._lock:
            self._average_seconds = 0.8 * self._average_seconds + 0.2 * max(0.0, seconds)

    def cancel_api(self) -> list[GenerationJob]:
        """Take every waiting API job out (at shutdown) and stop it; returns them."""
        with self._lock:
            jobs, self._api = list(self._api), deque()
        for job in jobs:
            job.stop.set()
        return jobs

    def _notify(self) -> None:
        if self._wake is not None:
            self._wake()


def execute(engine: Any, job: GenerationJob) -> None:
    """Run ``job`` on ``engine`` (on the model thread) and report to its sink. A failure
    becomes ``sink.failed``; nothing escapes."""
    for _ in job_steps(engine, job):
        pass


def job_steps(engine: Any, job: GenerationJob, generation: Any = None) -> Iterator[None]:
    """``execute`` one piece at a time: yields after each piece handed to the sink, and
    each time a reply driven by a scheduler (``generation.cooperative``) waits for the next
    decode step. ``generation`` is the job's reply when the scheduler started it already."""
    sink = job.sink
    try:
        if job.stop.is_set():  # the client left, or the window moved on, while it waited
            sink.finished(GenerationStats(stop_reason="stopped"))
            return
        if job.kind == "embedding":
            sink.started()
            _embed(engine, job)
            return
        if generation is None:
            generation = start_generation(engine, job)
        # Started only once the request was accepted (it fits, its template renders): a
        # refusal before this point can still be an HTTP error status.
        sink.started()
        on_part = getattr(sink, "part", None)
        if on_part is not None and job.kind == "chat":
            yield from _stream_parts(generation, job, sink, on_part)
        else:
            for delta in generation:
                if delta:
                    sink.delta(delta, generation.stats.generated_tokens)
                yield
        stats: GenerationStats = generation.stats
        if stats.stop_reason == "error":
            sink.failed(f"Generation failed: {stats.error}", "failed")
        else:
            sink.finished(stats)
    except ContextOverflowError as exc:
        sink.failed(str(exc), "bad_request")
    except OpenChatError as exc:
        sink.failed(str(exc), "bad_request")
    except Exception as exc:
        log.exception("generation failed")
        sink.failed(f"Generation failed: {exc}".splitlines()[0], "failed")
    finally:
        end = getattr(generation, "end", None)
        if end is not None:
            end()


def _stream_parts(generation: Any, job: GenerationJob, sink: JobSink,
                  on_part: Callable[[ReplyPart, int], None]) -> Iterator[None]:
    """A sink that takes ``part(ReplyPart, tokens)`` gets the answer as deltas and thinking
    and tool calls apart (see ``core/llm/reply_parts``); calls are looked for as JSON too
    when the request offered tools."""
    options = job.options
    tools = bool(options is not None and options.template_vars.get("tools"))
    for part in TypedReply(generation, tools_offered=tools, pass_idle=True):
        if part is IDLE:
            pass
        elif part.kind == "answer":
            sink.delta(part.text, generation.stats.generated_tokens)
        else:
            on_part(part, generation.stats.generated_tokens)
        yield


def start_generation(engine: Any, job: GenerationJob) -> Any:
    """The job's reply, accepted (it fits, its template renders) but not begun."""
    # max_tokens is capped at the context: more could never be produced anyway, and the
    # history fit would otherwise reserve more room for the reply than there is.
    sampling = job.sampling
    if sampling.max_tokens > engine.n_ctx:
        sampling = sampling.with_changes(max_tokens=int(engine.n_ctx))
    if job.kind == "completion":
        if not hasattr(engine, "stream_prompt"):
            raise _Unsupported("This model cannot continue a raw prompt.")
        return engine.stream_prompt(job.prompt, sampling, job.stop, job.options)
    if job.options is None:
        generation = engine.stream(job.messages, sampling, job.stop)
    else:
        generation = engine.stream(job.messages, sampling, job.stop, job.options)
    if not job.from_window and generation.stats.trimmed_messages:
        # The window drops the oldest turns to fit; an API client sent exactly what it wants
        # answered, so it hears that the conversation is too long instead.
        raise ContextOverflowError(
            f"The messages do not fit in this model's context of {engine.n_ctx} tokens with "
            f"room for the reply (max_tokens {sampling.max_tokens}); shorten them or lower "
            "max_tokens.")
    return generation


def _embed(engine: Any, job: GenerationJob) -> None:
    if not getattr(engine, "can_embed", False):
        job.sink.failed(f"The loaded model ({engine.model_name}) is a chat model and cannot "
                        "make embeddings; load an embedding model (e.g. a BERT GGUF).",
                        "unsupported")
        return
    vectors = engine.embed(job.inputs)
    tokens = sum(engine.count_tokens(text) for text in job.inputs)
    job.sink.embedded(vectors, tokens)


class _Unsupported(OpenChatError):
    """The backend lacks what the job needs."""
