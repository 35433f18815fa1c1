"""From the model's thread to the event loop: a job's results as an async stream of events.

The model thread calls the sink; each call hops onto the server's loop with
``call_soon_threadsafe`` into an ``asyncio.Queue``. A client that hangs up, or a request that
runs past its time, sets the job's stop ``threading.Event``, which the engine checks between
tokens and inside llama_decode, so the model is free for the next job at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from starlette.requests import Request

from openchat_desktop.core.llm.reasoning import ReplyPart
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.server.errors import ApiError
from openchat_desktop.services.delta_batcher import DeltaBatcher
from openchat_desktop.services.generation_queue import (
    FailureKind,
    GenerationJob,
    QueueFullError,
)

log = logging.getLogger(__name__)
_STATUS = {"bad_request": 400, "unsupported": 400, "no_model": 503, "failed": 500}


class ModelOwner(Protocol):
    """The one owner of the model (``LlmWorker``), as the server sees it."""

    def submit_api(self, job: GenerationJob) -> None:
        """Queue a job; raises ``QueueFullError``."""
        ...

    @property
    def loaded_path(self) -> Path | None: ...


@dataclass
class Event:
    """``kind`` is started, delta, thinking, tool_call, finished, embedded or failed. A
    tool call's ``text`` is its JSON arguments, with ``name`` and ``call_id``."""

    kind: str
    text: str = ""
    tokens: int = 0
    stats: GenerationStats | None = None
    vectors: list[list[float]] | None = None
    failure: FailureKind = "failed"
    name: str = ""
    call_id: str = ""


class AsyncSink:
    """A ``JobSink`` that forwards every call, from the model thread, onto ``loop``.

    Answer deltas that come in quick succession travel as one event (``DeltaBatcher``, as
    in the window; the first at once): each hop wakes the event loop and becomes an SSE
    chunk the client parses, CPU time that on a small machine is taken from the model's
    own threads."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self._batcher = DeltaBatcher()

    def _flush(self) -> None:
        for _thinking, text in self._batcher.drain():  # answer text only: see ``delta``
            self._put(Event("delta", text, self._batcher.tokens))

    def _put(self, event: Event) -> None:
        # RuntimeError: the server's loop is closed, nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self.events.put_nowait, event)

    def started(self) -> None:
        self._put(Event("started"))

    def delta(self, text: str, tokens: int) -> None:
        for _thinking, joined in self._batcher.add(False, text, tokens):
            self._put(Event("delta", joined, tokens))

    def part(self, part: ReplyPart, tokens: int) -> None:
        """Thinking or a tool call (the answer comes through ``delta``)."""
        self._flush()
        kind = "tool_call" if part.kind == "tool_call" else "thinking"
        self._put(Event(kind, part.text, tokens, name=part.name, call_id=part.call_id))

    def finished(self, stats: GenerationStats) -> None:
        self._flush()
        self._put(Event("finished", stats=stats))

    def embedded(self, vectors: list[list[float]], tokens: int) -> None:
        self._put(Event("embedded", tokens=tokens, vectors=vectors))

    def failed(self, message: str, kind: FailureKind) -> None:
        self._flush()
        self._put(Event("failed", message, failure=kind))


class JobRun:
    """One submitted job, seen from the event loop: ``start()`` waits until the model has
    accepted it (or raises ``ApiError``), then ``events()`` yields the rest."""

    def __init__(self, owner: ModelOwner, job: GenerationJob, sink: AsyncSink,
                 timeout_s: float) -> None:
        self.job = job
        self._owner = owner
        self._sink = sink
        self._timeout_s = timeout_s
        self._timer: asyncio.TimerHandle | None = None
        self.timed_out = False
        self.done = False
        self.thinking: list[str] = []  # what ``collect`` gathered besides the answer
        self.tool_calls: list[Event] = []

    async def start(self, request: Request) -> Event:
        """Queue the job and wait for its first event, stopping it if the client leaves."""
        try:
            self._owner.submit_api(self.job)
        except QueueFullError as exc:
            raise ApiError(429, str(exc), code="queue_full",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        self._timer = asyncio.get_running_loop().call_later(self._timeout_s, self._time_out)
        watcher = asyncio.create_task(_watch_disconnect(request, self))
        try:
            event = await self._sink.events.get()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        return self._check(event)

    async def events(self) -> AsyncIterator[Event]:
        """The events after the first, up to the final one."""
        try:
            while True:
                event = self._check(await self._sink.events.get())
                yield event
                if event.kind in ("finished", "embedded"):
                    return
        finally:
            self.close()

    async def collect(self, request: Request) -> tuple[list[str], Event]:
        """For a non-streamed answer: every delta and the final event, stopping the job if
        the client leaves half-way."""
        watcher = asyncio.create_task(_watch_disconnect(request, self))
        texts: list[str] = []
        try:
            async for event in self.events():
                if event.kind == "delta":
                    texts.append(event.text)
                elif event.kind == "thinking":
                    self.thinking.append(event.text)
                elif event.kind == "tool_call":
                    self.tool_calls.append(event)
                else:
                    return texts, event
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        raise ApiError(500, "The reply ended without a final event")

    def stop(self) -> None:
        self.job.stop.set()

    def close(self) -> None:
        """The response is over (or abandoned): stop the job if it still runs."""
        self.done = True
        if self._timer is not None:
            self._timer.cancel()
        self.job.stop.set()

    def _time_out(self) -> None:
        self.timed_out = True
        self.job.stop.set()

    def _check(self, event: Event) -> Event:
        if event.kind == "failed":
            self.close()
            raise ApiError(_STATUS.get(event.failure, 500), event.text,
                           code="context_length_exceeded" if "context" in event.text else None)
        if event.kind == "finished" and self.timed_out and event.stats is not None \
                and event.stats.generated_tokens == 0:
            self.close()
            raise ApiError(503, f"No reply within {self._timeout_s:g} s: the model is busy",
                           headers={"Retry-After": "30"})
        return event


async def _watch_disconnect(request: Request, run: JobRun) -> None:
    """Set the job's stop as soon as the client hangs up (the body was read already, so the
    next ASGI message can only be the disconnect)."""
    while True:
        message: Any = await request.receive()
        if message.get("type") == "http.disconnect":
            log.info("client left; stopping its request")
            run.stop()
            return
