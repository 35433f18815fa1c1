"""A second context beside the conversation's: API replies decoded together.

The window's conversation keeps the engine's own context: one sequence, a cache that grows
with it, kept states. Replies for API clients run in a second context made from the same
weights, with ``n_seq_max`` separate KV streams (``kv_unified`` off) of ``cells_each`` cells
(the context size, at most ``MAX_CELLS_EACH``): one sequence per reply, all of them decoded in
one ``llama_decode`` per step. It is made when the first API reply comes and lives as long as
the model.

Separate streams rather than one shared buffer: in a shared buffer each sequence's attention
runs over the cells of all of them (masked), and the sums, grouped differently, round
differently: seeded replies drifted from what they give alone after 6 to 22 tokens. With a
stream each, a sequence's cells sit where they sit alone, and the text is the same. The price:
with the starter model on 2 CPU cores a bare decode of 4 sequences gives 1.13× the tokens/s of
one with a stream each, 1.45× in one shared buffer. ``shared`` (the setting
``model.parallel_shared_cache``) takes the shared buffer for those who prefer the speed.

Each sequence keeps its cells when its reply ends, with the tokens they hold: the next
request that starts with the same tokens (a client sending a conversation turn by turn)
takes that sequence and reads only what is new.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

import llama_cpp
from llama_cpp import _internals

from openchat_desktop.core.llm.batch_decode import BatchDecoder, common_prefix

log = logging.getLogger(__name__)
MAX_PARALLEL = 4
# Cells of each API sequence: a prompt and its longest reply that need more run in the
# conversation's context, one at a time. Four sequences of the starter model take 180 MB.
MAX_CELLS_EACH = 2048


def parallel_count(kv_bytes_per_sequence: int, available: int) -> int:
    """How many sequences fit: up to ``MAX_PARALLEL``, their caches within half of
    ``available`` memory (the rest is the system's and the other apps')."""
    if kv_bytes_per_sequence <= 0:
        return MAX_PARALLEL
    return max(0, min(MAX_PARALLEL, (available // 2) // kv_bytes_per_sequence))


class SideContext:
    """The API replies' context: ``n_seq_max`` sequences of ``cells_each`` cells and their
    ``decoder``. Raises ``ValueError`` when llama.cpp cannot make it."""

    def __init__(self, llm: llama_cpp.Llama, n_seq_max: int, cells_each: int,
                 shared: bool = False) -> None:
        params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
        params.n_seq_max = n_seq_max
        params.kv_unified = shared
        params.n_ctx = cells_each * n_seq_max
        self._context = _internals.LlamaContext(model=llm._model, params=params,
                                                verbose=llm.verbose)
        self.cells_each = int(llama_cpp.llama_n_ctx(self._context.ctx)) // n_seq_max
        self.decoder = BatchDecoder(lambda: self._context.ctx, int(params.n_batch), n_seq_max)
        self._held: dict[int, list[int]] = {}  # tokens in each sequence's cells
        log.info("API replies: %d sequences of %d cells beside the conversation", n_seq_max,
                 self.cells_each)

    def close(self) -> None:
        self.decoder.close()
        with contextlib.suppress(Exception):
            self._context.close()

    def pick(self, tokens: Sequence[int]) -> tuple[int, int] | None:
        """A free sequence for a reply to ``tokens`` and how many of them its cells hold
        already (the last token is always read again); None when all are busy."""
        busy = {slot.seq_id for slot in self.decoder.slots}
        best: tuple[int, int] | None = None
        for seq in range(self.decoder.n_seq_max):
            if seq in busy:
                continue
            shared = common_prefix(self._held.get(seq, []), tokens)
            if best is None or shared > best[1]:
                best = (seq, shared)
        if best is None:
            return None
        return best[0], min(best[1], len(tokens) - 1)

    def remember(self, seq: int, tokens: Sequence[int]) -> None:
        """The tokens ``seq``'s cells hold once its reply ended."""
        self._held[seq] = list(tokens)

