"""Several replies decoded together: llama.cpp multi-sequence batches over one context.

Each reply owns a ``Slot``: a sequence id in the KV cache, the tokens it still has to read,
its own sampler (seed, penalties, grammar) and the tokens sampled for it that its reader has
not taken yet. ``BatchDecoder.step()`` builds one batch from every slot that needs work and
decodes it with one ``llama_decode``: one token for each reply that is generating and whose
reader took its last token, then prompt chunks of replies still reading their prompt. After
the decode each slot that produced logits samples its next token. A reply joins (``open``) or
leaves (``close``) between two steps: continuous batching.

The engine's own context has one sequence, the conversation its KV cache keeps between
replies (prefix reuse, kept states): its decoder ``mirrors`` into ``Llama.input_ids``/
``n_tokens`` what that sequence holds, as ``Llama.eval`` would keep them. The API replies'
context (``parallel.SideContext``) has several.

A slot reads the same logits alone or in a batch and samples with its own chain built exactly
as ``Llama.generate`` builds it, so a seeded reply gives the same text either way.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
from llama_cpp import llama_cpp as llama_lib

from openchat_desktop.core.llm import llama_runtime

log = logging.getLogger(__name__)
MAIN_SEQUENCE = 0
# While other replies stream, a new prompt is read this many tokens per step, so that their
# tokens keep coming (a 512-token chunk of the starter model takes ~1.5 s on 2 cores).
SHARED_PROMPT_CHUNK = 64


@dataclass(eq=False)
class Slot:
    """One reply's place in the batch. ``ready`` holds sampled tokens its reader has not
    taken; ``error`` is set (and the slot done) when a decode failed."""

    seq_id: int
    pending: list[int]
    n_past: int
    sampler: Any
    stop: threading.Event
    held: list[int] = field(default_factory=list)  # the tokens in the sequence's cells
    ready: deque[int] = field(default_factory=deque)
    prompt_read: bool = False
    done: bool = False
    error: str = ""

    @property
    def generating(self) -> bool:
        return self.prompt_read and not self.done

    def wants_decode(self) -> bool:
        """Whether the next step has work for this slot."""
        if self.done or self.stop.is_set() or not self.pending:
            return False
        return not self.prompt_read or not self.ready


def common_prefix(held: Sequence[int], tokens: Sequence[int]) -> int:
    """How many leading tokens ``held`` (a sequence's cells) and ``tokens`` share."""
    shared = 0
    for old, new in zip(held, tokens, strict=False):
        if old != new:
            break
        shared += 1
    return shared


class _AnyOfStops:
    """Aborts a running decode only when every reply in it was stopped (an abort drops the
    whole batch, the others' tokens included)."""

    def __init__(self, slots: Sequence[Slot]) -> None:
        self._slots = slots

    def is_set(self) -> bool:
        return all(slot.stop.is_set() for slot in self._slots)


class BatchDecoder:
    """Decodes the slots of one context together; see the module docstring. ``context``
    gives the context's handle (the engine's changes when its cache grows); with ``mirror``,
    sequence 0 is that ``Llama``'s. Owned by the engine's thread, like the ``Llama``."""

    def __init__(self, context: Callable[[], Any], n_batch: Callable[[], int] | int,
                 n_seq_max: int, mirror: llama_cpp.Llama | None = None) -> None:
        self._context = context
        self._n_batch = n_batch
        self._mirror = mirror
        self.n_seq_max = max(1, n_seq_max)
        self._capacity = 0
        self._batch: Any = None  # made at the first step
        self._abort = llama_runtime.DecodeAbort()
        self.slots: list[Slot] = []

    def close(self) -> None:
        if self._batch is not None:
            llama_cpp.llama_batch_free(self._batch)
            self._batch = None

    # -- slots -------------------------------------------------------------------------------
    def open(self, seq_id: int, tokens: Sequence[int], reuse: int, sampler: Any,
             stop: threading.Event) -> Slot:
        """Start a reply on ``seq_id`` whose cells hold its first ``reuse`` prompt tokens."""
        llama_cpp.llama_memory_seq_rm(self._memory(), seq_id, reuse, -1)
        if self._mirror is not None and seq_id == MAIN_SEQUENCE:
            self._mirror.n_tokens = reuse
        slot = Slot(seq_id, list(tokens[reuse:]), reuse, sampler, stop,
                    held=list(tokens[:reuse]))
        self.slots.append(slot)
        return slot

    def close_slot(self, slot: Slot) -> None:
        """The reply ended: free its sampler (its cells stay, for the next prompt)."""
        if slot in self.slots:
            self.slots.remove(slot)
        slot.done = True
        sampler, slot.sampler = slot.sampler, None
        if sampler is not None:
            sampler.close()

    # -- decoding ----------------------------------------------------------------------------
    def step(self, prompt_chunk: int | None = None) -> bool:
        """Decode one batch for every slot that has work; False when none had any. Raises
        ``RuntimeError`` when llama.cpp failed (the slots in the batch are marked failed)."""
        batch_plan = self._plan(prompt_chunk)
        if not batch_plan:
            return False
        slots = [slot for slot, _ in batch_plan]
        ctx = self._context()
        if all(slot.prompt_read for slot in slots):
            # One token each: a stop is seen before the next step anyway, and an armed abort
            # callback costs a call into Python per graph node (gen_ratio_engine -7 %).
            code = llama_lib.llama_decode(ctx, self._batch)
        else:
            with self._abort.armed(ctx, _AnyOfStops(slots)):
                code = llama_lib.llama_decode(ctx, self._batch)
        if code != 0:
            self._failed(slots, code)
            return True
        for slot, (taken, logits_at) in batch_plan:
            self._advance(slot, taken, logits_at)
        return True

    def _plan(self, prompt_chunk: int | None) -> list[tuple[Slot, tuple[list[int], int]]]:
        """Fill the batch: generating slots first (one token each), then prompt chunks."""
        if self._batch is None:
            n_batch = self._n_batch
            self._capacity = int(n_batch() if callable(n_batch) else n_batch)
            self._batch = llama_cpp.llama_batch_init(self._capacity, 0, 1)
        batch, room = self._batch, self._capacity
        busy = [s for s in self.slots if s.wants_decode()]
        generating = [s for s in busy if s.prompt_read]
        reading = [s for s in busy if not s.prompt_read]
        chunk = prompt_chunk or (SHARED_PROMPT_CHUNK if generating else room)
        plan: list[tuple[Slot, tuple[list[int], int]]] = []
        count = 0
        for slot in generating + reading:
            limit = 1 if slot.prompt_read else min(chunk, room - count)
            taken = slot.pending[:limit]
            if not taken:
                continue
            last = len(taken) == len(slot.pending)  # logits only where a token is sampled
            for offset, token in enumerate(taken):
                self._put(count, token, slot.n_past + offset, slot.seq_id,
                          last and offset == len(taken) - 1)
                count += 1
            plan.append((slot, (taken, count - 1 if last else -1)))
            if count >= room:
                break
        batch.n_tokens = count
        return plan

    def _put(self, index: int, token: int, pos: int, seq_id: int, logits: bool) -> None:
        batch = self._batch
        batch.token[index] = token
        batch.pos[index] = pos
        batch.n_seq_id[index] = 1
        batch.seq_id[index][0] = seq_id
        batch.logits[index] = logits

    def _advance(self, slot: Slot, taken: list[int], logits_at: int) -> None:
        if self._mirror is not None and slot.seq_id == MAIN_SEQUENCE:
            llm = self._mirror
            llm.input_ids[slot.n_past : slot.n_past + len(taken)] = taken
            llm.n_tokens = slot.n_past + len(taken)
        slot.n_past += len(taken)
        slot.held.extend(taken)
        del slot.pending[: len(taken)]
        if logits_at < 0:
            return
        slot.prompt_read = True
        token = int(llama_cpp.llama_sampler_sample(slot.sampler.sampler, self._context(),
                                                   logits_at))
        slot.ready.append(token)
        slot.pending = [token]

    def _failed(self, slots: Iterable[Slot], code: int) -> None:
        for slot in slots:
            stopped = slot.stop.is_set()
            slot.done = True
            slot.error = "" if stopped else f"llama_decode returned {code}"
        if any(slot.error for slot in slots):
            raise RuntimeError(f"llama_decode returned {code}")

    def _memory(self) -> Any:
        return llama_cpp.llama_get_memory(self._context())

