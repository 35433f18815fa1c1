"""The host's time per generated token: from the end of one ``llama_decode`` to the start of
the next, which is everything done outside llama.cpp's graph (sampling, detokenizing, our
streaming and signals, and any wait for the GIL while the GUI thread runs Python).

Unlike a tokens/s figure it hardly moves with the host's noise, so it shows what a layer adds
per token even when the ratios of whole runs swing by ±20 %.
"""

from __future__ import annotations

import statistics
import time
from itertools import pairwise
from typing import Any

import llama_cpp.llama_cpp as llama_lib

_marks: list[tuple[float, float]] = []
_original: Any = None


def install() -> None:
    """Time every ``llama_decode`` of this process from now on (llama-cpp-python calls it
    through this module's attribute, as ``LlamaContext.decode`` does)."""
    global _original
    if _original is not None:
        return
    _original = llama_lib.llama_decode

    def timed_decode(ctx: Any, batch: Any) -> int:
        started = time.perf_counter()
        result = _original(ctx, batch)
        _marks.append((started, time.perf_counter()))
        return int(result)

    llama_lib.llama_decode = timed_decode


def start() -> None:
    """Forget the decodes so far: the next ones belong to the run being measured."""
    _marks.clear()


def gap_ms() -> float:
    """Median host time between two generation decodes of the run, in ms (the prompt's
    decode and the first token's are left out: they are not one-token steps)."""
    steps = _marks[1:]
    gaps = [later[0] - earlier[1] for earlier, later in pairwise(steps)]
    return statistics.median(gaps) * 1000 if gaps else float("nan")
