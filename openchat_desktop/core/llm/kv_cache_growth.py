"""A KV cache that grows with the conversation instead of being reserved whole at load time.

llama.cpp allocates the KV cache for the full context when it creates a context, and clears
it, so every byte is resident from the first message: 90 MB for the starter model at 4,096
tokens, 512 MB for a 7B model. On the CPU the engine therefore starts with a small context and
moves to one twice as large when the conversation needs it: the cached tokens are copied over
(``llama_state_seq_*``), so nothing is evaluated again. The model's weights are shared. A
switch to a much shorter conversation gives the room back.

This reaches into llama-cpp-python's ``Llama`` (``_ctx``, ``_n_ctx``, ``input_ids``,
``context_params``): the version is pinned, and the tests exercise every step with the real
model. A resize only happens between two decodes, never between a decode and its sampling
(the new context has no logits yet).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
from collections.abc import Callable

import llama_cpp
import numpy as np
from llama_cpp import _internals

from openchat_desktop.core.errors import ModelLoadError

log = logging.getLogger(__name__)
INITIAL_CONTEXT = 1024
SHRINK_FACTOR = 4
SEQUENCE = 0
LOST_MESSAGE = ("The model ran out of memory for its context cache: choose the model again to "
                "reload it")


def initial_context_size(maximum: int, n_batch: int) -> int:
    """The context a growing engine starts with: small, but never below one prompt batch."""
    return min(maximum, max(INITIAL_CONTEXT, n_batch))


def next_context_size(allocated: int, needed: int, maximum: int) -> int:
    """Double ``allocated`` until it holds ``needed`` tokens, without passing ``maximum``."""
    size = max(1, allocated)
    while size < needed and size < maximum:
        size *= 2
    return min(size, maximum)


def allocated_context(llm: llama_cpp.Llama) -> int:
    return int(llm.n_ctx())


def grow_to_hold(llm: llama_cpp.Llama, needed: int, maximum: int,
                 kv_bytes: Callable[[int], int]) -> bool:
    """Make ``llm``'s context hold ``needed`` tokens, growing it up to ``maximum``; False
    when it cannot (beyond the maximum, not enough free memory, or llama.cpp refused).
    ``kv_bytes(n)`` is the cache size for ``n`` tokens."""
    allocated = allocated_context(llm)
    if needed <= allocated:
        return True
    target = next_context_size(allocated, needed, maximum)
    if target < needed:
        return False
    wanted = kv_bytes(target) - kv_bytes(allocated) + kv_bytes(int(llm.n_tokens))
    if wanted > _available_memory():
        log.warning("not enough free memory to grow the context from %d to %d tokens",
                    allocated, target)
        return False
    return _resized(llm, allocated, target)


def shrink_to_hold(llm: llama_cpp.Llama, needed: int, initial: int, keep: int) -> bool:
    """Give back room a shorter conversation does not use: when it needs a quarter of the
    context or less, the context becomes the smallest of the sizes growth goes through
    (``initial``, doubled) that holds ``needed`` tokens (a smaller gap would shrink and grow
    again within a reply or two). Only the first ``keep`` cached tokens are kept (those the
    new prompt starts with); the rest would be dropped before the prompt is read anyway.
    True when it shrank."""
    allocated = allocated_context(llm)
    target = next_context_size(initial, needed, allocated)
    if target * SHRINK_FACTOR > allocated or keep >= target:
        return False
    llm.n_tokens = min(int(llm.n_tokens), keep)
    return _resized(llm, allocated, target)


def _resized(llm: llama_cpp.Llama, allocated: int, target: int) -> bool:
    """``resize_context`` from ``allocated`` to ``target`` tokens, logged; False when
    llama.cpp refused the new context (the old one then stays)."""
    try:
        resize_context(llm, target)
    except ValueError as exc:
        log.warning("could not resize the context from %d to %d tokens: %s", allocated,
                    target, exc)
        return False
    log.info("context resized from %d to %d tokens", allocated, target)
    return True


def _available_memory() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def resize_context(llm: llama_cpp.Llama, n_ctx: int) -> None:
    """Give ``llm`` a context of ``n_ctx`` tokens holding the same cached tokens.

    The old context is freed before the new one is made, so memory peaks at the larger cache
    plus a copy of the used part. If the new context cannot be made, the old size is made
    again and ``ValueError`` is raised; the cached tokens survive either way. If not even
    that can be made, ``ModelLoadError`` is raised and the model has no context (``lost``).
    """
    used = int(llm.n_tokens)
    old = llm._ctx
    old.kv_cache_seq_rm(-1, used, -1)
    state = _copy_sequence(old.ctx)
    old_size = allocated_context(llm)
    old.close()
    try:
        _install_context(llm, n_ctx)
    except ValueError:
        try:
            _install_context(llm, old_size)
        except ValueError as again:
            llm._ctx = None  # type: ignore[assignment]
            raise ModelLoadError(LOST_MESSAGE) from again
        _restore(llm, state, used)
        raise
    _restore(llm, state, used)


def lost(llm: llama_cpp.Llama) -> bool:
    """Whether a failed resize left ``llm`` without a context (it must be loaded again)."""
    return llm._ctx is None


def _copy_sequence(ctx: llama_cpp.llama_context_p) -> ctypes.Array[ctypes.c_uint8] | None:
    """The cached tokens' keys and values; None when llama.cpp cannot copy them."""
    size = llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE)
    if size <= 0:
        return None
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SEQUENCE)
    return buffer if written == size else None


def _install_context(llm: llama_cpp.Llama, n_ctx: int) -> None:
    params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
    params.n_ctx = n_ctx
    context = _internals.LlamaContext(model=llm._model, params=params, verbose=llm.verbose)
    llm._stack.enter_context(contextlib.closing(context))
    llm._ctx = context
    llm.context_params = params
    llm._n_ctx = n_ctx
    ids = np.zeros((n_ctx,), dtype=np.intc)
    keep = min(n_ctx, len(llm.input_ids))
    ids[:keep] = llm.input_ids[:keep]
    llm.input_ids = ids


def _restore(llm: llama_cpp.Llama, state: ctypes.Array[ctypes.c_uint8] | None,
             used: int) -> None:
    """Put the copied tokens into the new context; evaluate them again if that fails."""
    llm._requires_eval = True
    if used == 0:
        llm.n_tokens = 0
        return
    if state is not None and llama_cpp.llama_state_seq_set_data(
            llm._ctx.ctx, state, len(state), SEQUENCE):
        llm.n_tokens = used
        return
    log.warning("could not copy %d cached tokens to the new context; evaluating them again",
                used)
    tokens = llm.input_ids[:used].tolist()
    llm.n_tokens = 0
    llm.eval(tokens)
