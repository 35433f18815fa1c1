"""A model owner without Qt for the server's own tests: one thread drains a real
``GenerationQueue`` into a scripted fake engine, exactly as ``LlmWorker`` does with the real
one. The end-to-end tests use the real worker and the real model instead."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fakes import FakeEngine, FakeGeneration, FakeOptions

from openchat_desktop.core.llm.backend import ChatBackend
from openchat_desktop.core.llm.sampling import GenerationOptions, LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.server.runner import ServerThread
from openchat_desktop.services.generation_queue import GenerationJob, GenerationQueue, execute


class LimitedGeneration:
    """A fake reply that honours ``max_tokens`` like the engine (stop reason "length")."""

    def __init__(self, generation: FakeGeneration, max_tokens: int) -> None:
        self._generation = generation
        self.stats = generation.stats
        self._max_tokens = max_tokens

    def __iter__(self) -> Iterator[str]:
        for count, delta in enumerate(self._generation, start=1):
            yield delta
            if count >= self._max_tokens:
                self.stats.stop_reason = "length"
                return


class ScriptedEngine(FakeEngine):
    """The tests' fake engine plus what the API adds: options, raw prompts, embeddings."""

    def __init__(self, settings: LoadSettings, options: FakeOptions | None = None,
                 can_embed: bool = False) -> None:
        super().__init__(settings, options)
        self.can_embed = can_embed
        self.generating = threading.Event()

    def stream(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
               stop_event: threading.Event | None = None,
               options: GenerationOptions | None = None) -> LimitedGeneration:
        return LimitedGeneration(super().stream(messages, sampling, stop_event, options),
                                 sampling.max_tokens)

    def stream_prompt(self, prompt: str, sampling: SamplingSettings,
                      stop_event: threading.Event | None = None,
                      options: GenerationOptions | None = None) -> LimitedGeneration:
        return self.stream([ChatMessage("user", prompt)], sampling, stop_event, options)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(len(t)), 1.0, 0.0] for t in texts]

    def count_tokens(self, text: str) -> int:
        return len(text.split())


_PROTOCOL_CHECK: type[ChatBackend] = ScriptedEngine


class ThreadOwner:
    """``ModelOwner`` for tests: a thread takes jobs (window first, then API) and runs them.
    ``idle_at`` records when the last job ended (for the hang-up timing test)."""

    def __init__(self, engine: ScriptedEngine, max_waiting: int = 16) -> None:
        self.engine = engine
        self.queue = GenerationQueue(max_waiting, wake=self._wake)
        self.loaded_path: Path | None = engine.model_path
        self.running: GenerationJob | None = None
        self.idle_at = 0.0
        self.jobs_run = 0
        self._signal = threading.Semaphore(0)
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="fake-model", daemon=True)
        self._thread.start()

    def submit_api(self, job: GenerationJob) -> None:
        self.queue.put_api(job)

    def _wake(self) -> None:
        self._signal.release()

    def _loop(self) -> None:
        while True:
            self._signal.acquire()
            if self._closed:
                return
            job = self.queue.take()
            if job is None:
                continue
            self.running = job
            execute(self.engine, job)
            self.running = None
            self.jobs_run += 1
            self.idle_at = time.perf_counter()

    def close(self) -> None:
        for job in self.queue.cancel_api():
            job.sink.failed("shutting down", "no_model")
        if self.running is not None:
            self.running.stop.set()
        self._closed = True
        self._signal.release()
        self._thread.join(5)


def words(count: int) -> Iterator[str]:
    for index in range(count):
        yield f" w{index}"


@dataclass
class FakeServer:
    server: ServerThread
    owner: ThreadOwner
    engine: ScriptedEngine

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10, **kwargs)


ServerMaker = Callable[..., FakeServer]


CHAT = {"messages": [{"role": "user", "content": "Hello"}]}
