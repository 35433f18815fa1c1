"""The engine's side of the conversation state cache: take, label and restore KV states.

Runs on the model's thread only (the ``Llama`` object's owner). When a prompt belongs to
another conversation than the one in the KV cache, the cache's tokens and its sequence state
are parked in a ``StateCache`` before the new prompt overwrites them; before a prompt is read,
a kept state sharing more leading tokens than the live cache is restored, and only the rest
is read. The engine also parks its live state when it closes (model unload, app exit).

Sequence state rather than ``Llama.save_state()``: ``save_state`` also copies the ``scores``
array (up to ``n_batch`` × vocabulary floats: 100 MB for the starter model, whatever the
conversation's length) and the whole context, whose size depends on the current allocation.
``llama_state_seq_get_data`` holds only the conversation's cells, the same bytes
``kv_cache_growth`` moves between context sizes, so a state fits whatever allocation holds
its tokens. The logits are never restored: the engine always evaluates the prompt's last
token again.

A state is used only under the same ``fingerprint`` (model file, llama.cpp build and the load
settings that shape the cache) and only for the exact tokens it holds.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import llama_cpp

from openchat_desktop.core.llm import llama_runtime
from openchat_desktop.core.llm.batch_decode import common_prefix
from openchat_desktop.core.llm.state_cache import StateCache

log = logging.getLogger(__name__)
SEQUENCE = 0
# Shorter states are read again faster than they are kept: about 1 s of reading on 2 cores.
MIN_PARK_TOKENS = 256
# A kept state is restored only when it spares reading at least this many more tokens.
MIN_GAIN_TOKENS = 64
_HEAD_BYTES = 1 << 20


def fingerprint(engine: _Engine) -> str:
    """What a state depends on besides its tokens: the model file (size, mtime and a hash of
    its first MiB, which holds the GGUF header), the llama.cpp build, and the load settings
    that shape the cache (context, KV types, flash attention, GPU layers)."""
    path = engine.settings.model_path
    stat = path.stat()
    with open(path, "rb") as model:
        head = hashlib.sha256(model.read(_HEAD_BYTES)).hexdigest()
    params = engine._llm.context_params
    facts = {
        "model": [stat.st_size, stat.st_mtime_ns, head],
        "llama_cpp": [llama_runtime.llama_cpp_version(), llama_runtime.system_info()],
        "n_ctx": engine.settings.resolved_ctx(engine.info.context_length),
        "kv": [int(params.type_k), int(params.type_v), int(params.flash_attn_type)],
        "gpu_layers": engine.device.gpu_layers,
        "rope": [float(params.rope_freq_base), float(params.rope_freq_scale)],
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


class _Engine(Protocol):
    """The parts of ``engine.Engine`` used here (named structurally: no import cycle)."""

    settings: Any
    info: Any
    device: Any
    _llm: llama_cpp.Llama

    def make_room(self, tokens: int) -> bool: ...


class StateKeeper:
    """One engine's link to a ``StateCache``: which conversation the live KV cache holds,
    which one the next prompt belongs to, and the fingerprint both are kept under."""

    def __init__(self, cache: StateCache, fingerprint: str) -> None:
        self.cache = cache
        self.fingerprint = fingerprint
        self.next_conversation: int | None = None
        self.live_conversation: int | None = None

    def before_prompt(self, llm: llama_cpp.Llama, tokens: Sequence[int]) -> None:
        """Park the live state if ``tokens`` belong to another conversation (by id, or for
        API prompts without one, by sharing less than half of the cached tokens)."""
        cached = int(llm.n_tokens)
        if cached < MIN_PARK_TOKENS:
            return
        live, upcoming = self.live_conversation, self.next_conversation
        if live is not None and live == upcoming:
            return  # the same conversation, maybe edited: never keep what it no longer has
        if live is None and upcoming is None and _cached_prefix(llm, tokens) * 2 >= cached:
            return
        self.park(llm)

    def park(self, llm: llama_cpp.Llama) -> None:
        """Keep the live state (at a switch, an unload or quit)."""
        cached = int(llm.n_tokens)
        if cached < MIN_PARK_TOKENS or llm._ctx is None:
            return
        payload = take_sequence(llm)
        if payload is None:
            log.warning("could not copy the KV cache of %d tokens; not kept", cached)
            return
        self.cache.park(self.fingerprint, llm.input_ids[:cached].tolist(), payload,
                        self.live_conversation)

    def restore(self, engine: _Engine, tokens: list[int], reuse: int) -> int:
        """Restore the kept state sharing the most tokens with ``tokens`` if it beats the
        live cache's ``reuse``; returns the tokens now reusable. Labels the live cache."""
        self.live_conversation = self.next_conversation
        # The cache now keeps only the prompt's own tokens (``reuse`` of them, then more).
        self.cache.conversation_read(self.live_conversation)
        match = self.cache.best_match(self.fingerprint, tokens)
        if match is None:
            return reuse
        usable = min(match.length, len(tokens) - 1)
        if usable < reuse + MIN_GAIN_TOKENS or not engine.make_room(match.n_tokens + 1):
            return reuse
        taken = self.cache.take(match, self.fingerprint)
        if taken is None:
            return reuse
        held, payload = taken
        if list(held[:usable]) != tokens[:usable]:  # re-checked against the prompt itself
            self.cache.discard(match.name)
            return reuse
        if not put_sequence(engine._llm, payload, held):
            log.warning("llama.cpp refused a kept conversation state; reading the prompt")
            self.cache.discard(match.name)
            return 0
        log.info("restored a kept state of %d tokens (%d reused)", len(held), usable)
        return usable


def take_sequence(llm: llama_cpp.Llama) -> bytearray | None:
    """The KV cells of the cached tokens (llama.cpp's sequence state), or None."""
    ctx = llm._ctx.ctx
    llm._ctx.kv_cache_seq_rm(SEQUENCE, int(llm.n_tokens), -1)  # cells past n_tokens: stale
    size = int(llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE))
    if size <= 0:
        return None
    payload = bytearray(size)
    buffer = (ctypes.c_uint8 * size).from_buffer(payload)
    written = int(llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SEQUENCE))
    del buffer  # releases the export of ``payload``
    return payload if written == size else None


def put_sequence(llm: llama_cpp.Llama, payload: bytes | bytearray,
                 tokens: Sequence[int]) -> bool:
    """Replace the KV cache with a kept state of ``tokens``; False (and an empty cache)
    when llama.cpp refuses it (another layout, no room)."""
    llm._ctx.kv_cache_seq_rm(SEQUENCE, 0, -1)
    llm.n_tokens = 0
    size = len(payload)
    buffer = ((ctypes.c_uint8 * size).from_buffer(payload) if isinstance(payload, bytearray)
              else (ctypes.c_uint8 * size).from_buffer_copy(payload))
    read = int(llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, size, SEQUENCE))
    del buffer
    if read != size:
        llm._ctx.kv_cache_seq_rm(SEQUENCE, 0, -1)
        return False
    llm.input_ids[: len(tokens)] = tokens
    llm.n_tokens = len(tokens)
    llm._requires_eval = True  # no logits came with the state
    return True


def _cached_prefix(llm: llama_cpp.Llama, tokens: Sequence[int]) -> int:
    return common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
