"""One streamed reply of the engine, over a slot of its ``BatchDecoder``.

Iterate a ``Generation`` for text deltas. Alone (the terminal, a single window reply) it
drives the decoder itself: each time it needs a token it runs one decode step. Driven by a
scheduler (``cooperative``), it never decodes: when its slot has no token ready it yields an
empty delta and lets the scheduler run the next step for every reply at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol

from openchat_desktop.core.llm.batch_decode import Slot
from openchat_desktop.core.llm.reasoning import ReplyFormat
from openchat_desktop.core.llm.sampling import GenerationOptions, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats, TextStream

log = logging.getLogger(__name__)
WAITING = ""  # what a cooperative generation yields while its slot has no token ready


class _Engine(Protocol):
    """What a reply needs from ``engine.Engine`` (named structurally: no import cycle)."""

    template: Any
    evaluated_tokens_total: int

    def open_slot(self, tokens: list[int], sampling: SamplingSettings,
                  options: GenerationOptions, stop: threading.Event, side: bool) -> Slot: ...

    def close_slot(self, slot: Slot) -> None: ...

    def step(self) -> bool: ...

    def room_for(self, slot: Slot) -> int: ...

    def room_after(self, slot: Slot) -> bool: ...

    def is_end_of_generation(self, token: int) -> bool: ...

    def piece(self, token: int) -> bytes: ...


class Generation:
    """One streamed reply: iterate for text deltas (whole UTF-8 characters); afterwards
    ``stats`` holds the figures and the stop reason (eos, length, stopped, error).
    ``reply_format`` tells ``core/llm/reply_parts.TypedReply`` how thinking is marked.
    ``side`` replies run on a scratch sequence beside the main conversation."""

    reply_format: ReplyFormat = "plain"

    def __init__(self, engine: _Engine, tokens: list[int], sampling: SamplingSettings,
                 stop: threading.Event, trimmed: int,
                 options: GenerationOptions | None = None, side: bool = False) -> None:
        self._engine = engine
        self._tokens = tokens
        self._sampling = sampling
        self._stop = stop
        self._options = options or GenerationOptions()
        self.side = side
        self.cooperative = False
        self.waiting = False  # True while a cooperative reply waits for the next step
        self.slot: Slot | None = None
        self.stats = GenerationStats(prompt_tokens=len(tokens), trimmed_messages=trimmed)
        self._deltas: list[str] = []
        self._started = 0.0

    @property
    def text(self) -> str:
        """Everything streamed so far."""
        return "".join(self._deltas)

    @property
    def stopped(self) -> threading.Event:
        return self._stop

    def begin(self) -> None:
        """Take a slot in the decoder (the prompt is read by the following steps)."""
        if self.slot is None:
            self._started = time.perf_counter()
            self.slot = self._engine.open_slot(self._tokens, self._sampling, self._options,
                                               self._stop, self.side)
            self.stats.prompt_evaluated = len(self._pending_prompt())

    def _pending_prompt(self) -> list[int]:
        return self.slot.pending if self.slot is not None else []

    def __iter__(self) -> Iterator[str]:
        try:
            for delta in self._run():
                if delta:
                    self._deltas.append(delta)
                yield delta
        except RuntimeError as exc:
            # A failed llama_decode (out of memory, a backend error) ends this reply only.
            log.exception("generation failed")
            self.stats.stop_reason = "error"
            self.stats.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        finally:
            self.end()

    def end(self) -> None:
        """Give the slot back (idempotent)."""
        slot, self.slot = self.slot, None
        if slot is not None:
            self._engine.close_slot(slot)

    def _run(self) -> Iterator[str]:
        self.begin()
        slot = self.slot
        assert slot is not None
        while not slot.prompt_read:
            if self._stop.is_set() or slot.done:
                break
            yield from self._wait(slot)
        prompt_done = time.perf_counter()
        self.stats.prompt_seconds = prompt_done - self._started
        if slot.error:
            raise RuntimeError(slot.error)
        if not slot.prompt_read:
            self.stats.stop_reason = "stopped"
            self.stats.prompt_evaluated = 0
            return
        self._engine.evaluated_tokens_total += self.stats.prompt_evaluated
        yield from self._sample(slot)
        self.stats.generation_seconds = time.perf_counter() - prompt_done

    def _wait(self, slot: Slot) -> Iterator[str]:
        """Until the next step: yield to the scheduler, or run the step alone."""
        if self.cooperative:
            self.waiting = True
            yield WAITING
            self.waiting = False
        elif not self._engine.step():
            slot.done = True

    def _next_token(self, slot: Slot) -> Iterator[int | None]:
        """The slot's sampled tokens; None each time a cooperative reply must wait."""
        while True:
            if slot.ready:
                yield slot.ready.popleft()
            elif slot.done or self._stop.is_set():
                return
            elif self.cooperative:
                yield None
            elif not self._engine.step():
                return

    def _sample(self, slot: Slot) -> Iterator[str]:
        engine, stats = self._engine, self.stats
        limit = min(self._sampling.max_tokens, engine.room_for(slot) - len(self._tokens))
        stops = engine.template.stop_strings + self._options.stop
        if self.reply_format == "harmony":
            # gpt-oss ends its thinking message with <|end|> and goes on with the answer.
            stops = tuple(stop for stop in stops if stop != "<|end|>")
        text = TextStream(stops)
        leading = not self._options.raw
        for token in self._next_token(slot):
            if token is None:
                self.waiting = True
                yield WAITING
                self.waiting = False
                continue
            if stats.generated_tokens == 0:
                stats.ttft_seconds = time.perf_counter() - self._started
            if engine.is_end_of_generation(token):
                stats.stop_reason = "eos"
                break
            stats.generated_tokens += 1
            delta = text.feed(engine.piece(token))
            if leading and delta:
                # Replies start right after the template's "assistant" header; the
                # tokenizer's leading space there is not part of the answer.
                delta = delta.lstrip()
                leading = not delta
            if delta:
                yield delta
            if text.stopped:
                stats.stop_reason = "eos"
                break
            if self._stop.is_set():
                stats.stop_reason = "stopped"
                break
            if stats.generated_tokens >= limit or not engine.room_after(slot):
                stats.stop_reason = "length"
                break
        else:
            if slot.error:
                raise RuntimeError(slot.error)
            if self._stop.is_set():
                stats.stop_reason = "stopped"
        tail = text.flush()
        if tail and not (leading and not tail.strip()):
            yield tail.lstrip() if leading else tail
