"""Replies run side by side on the model thread: continuous batching over the queue.

The model thread takes a job and runs it here. Between two decode steps it takes more jobs
from the queue while the engine has a free sequence for them (``can_start``): API replies
run together in the engine's API context (``core/llm/parallel.py``), the window's reply in
the conversation's own context, one decode of each per step. Each
running reply hands on what its last step gave before the next step decodes a token for all
of them at once (a new prompt is read in small chunks meanwhile, so the others keep
flowing). A job that cannot run beside the others (another model, embeddings, no room) waits
in the queue until they are done. Each reply keeps its own sampler, seed, stop strings and
statistics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openchat_desktop.core.llm.backend import NoRoomNow
from openchat_desktop.services.generation_queue import (
    GenerationJob,
    GenerationQueue,
    job_steps,
    start_generation,
)

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Running:
    job: GenerationJob
    steps: Iterator[None]
    generation: Any
    started: float = field(default_factory=time.perf_counter)


class BatchRunner:
    """Runs ``first`` and whatever joins it from ``queue`` until all of them ended.

    ``fits(job)`` says whether a queued job may join (same model, a chat or completion);
    ``on_start(job)``/``on_end(job, seconds)`` frame each job (the host tracks the window's
    reply and the API's durations)."""

    def __init__(self, engine: Any, queue: GenerationQueue,
                 fits: Callable[[GenerationJob], bool],
                 on_start: Callable[[GenerationJob], None],
                 on_end: Callable[[GenerationJob, float], None]) -> None:
        self._engine = engine
        self._queue = queue
        self._fits = fits
        self._on_start = on_start
        self._on_end = on_end
        self._blocked_at: int | None = None  # replies running when one found no room

    def run(self, first: GenerationJob) -> None:
        running: list[_Running] = []
        self._begin(first, running)
        idle_steps = 0
        while running:
            self._admit(running)
            self._advance(running)
            if not running:
                break
            if self._step():
                idle_steps = 0
            else:
                idle_steps += 1
                if idle_steps > 2:  # nothing can move: end what is stuck rather than spin
                    self._end_stuck(running)

    def _admit(self, running: list[_Running]) -> None:
        if self._blocked_at is not None:
            if len(running) >= self._blocked_at:
                return  # a reply found no room beside these: wait until one ends
            self._blocked_at = None
        while True:
            job = self._queue.take_if(self._can_join)
            if job is None or not self._begin(job, running):
                return

    def _can_join(self, job: GenerationJob) -> bool:
        return self._fits(job) and bool(self._engine.can_start(not job.from_window))

    def _begin(self, job: GenerationJob, running: list[_Running]) -> bool:
        """Start ``job`` beside ``running``; False (and the job back in the queue) when
        there is no room for it now."""
        generation = None
        if job.kind != "embedding" and not job.stop.is_set():
            engine = self._engine
            if hasattr(engine, "set_conversation"):  # before the prompt: whose state it is
                engine.set_conversation(job.conversation_id)
            try:
                engine.beside = not job.from_window
                generation = start_generation(engine, job)
                generation.cooperative = True
                generation.begin()
            except NoRoomNow:
                if generation is not None:
                    generation.end()
                self._queue.put_back(job)
                self._blocked_at = len(running)
                return False
            except Exception:  # refused (too long, a bad template): job_steps reports it
                generation = None
        self._on_start(job)
        if generation is None:
            for _ in job_steps(self._engine, job):  # fails or finishes at once
                pass
            self._on_end(job, 0.0)
            return True
        running.append(_Running(job, job_steps(self._engine, job, generation), generation))
        return True

    def _advance(self, running: list[_Running]) -> None:
        """Hand on what the last step gave each reply; drop the ones that ended."""
        for entry in list(running):
            if not self._pump(entry):
                running.remove(entry)
                self._on_end(entry.job, time.perf_counter() - entry.started)

    @staticmethod
    def _pump(entry: _Running) -> bool:
        """Run one reply until it waits for the next step; False when it ended."""
        while True:
            try:
                next(entry.steps)
            except StopIteration:
                return False
            if entry.generation.waiting:
                return True

    def _step(self) -> bool:
        try:
            return bool(self._engine.step())
        except RuntimeError as exc:  # the replies in that batch end with the error
            log.warning("a batched decode failed: %s", exc)
            return True

    def _end_stuck(self, running: list[_Running]) -> None:
        for entry in running:
            slot = entry.generation.slot
            if slot is not None:
                slot.done = True
