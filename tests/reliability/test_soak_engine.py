"""200 turns with the real starter model: the engine's memory does not grow."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.llm.templates import ChatMessage

pytestmark = [pytest.mark.slow, pytest.mark.model]
TURNS = 200
MEASURE_AT = 20


def test_two_hundred_real_turns_do_not_grow_memory(starter_model: Path) -> None:
    engine = Engine(LoadSettings(starter_model, ctx_size=1024, threads=physical_cores()))
    sampling = SamplingSettings(max_tokens=4, seed=5, temperature=0.7)
    process = psutil.Process()
    history: list[ChatMessage] = []
    rss_at: dict[int, int] = {}
    trimmed_turns = 0
    started = time.perf_counter()
    try:
        for turn in range(1, TURNS + 1):
            history.append(ChatMessage("user", f"Turn {turn}: name a colour."))
            generation = engine.stream(history, sampling)
            history.append(ChatMessage("assistant", "".join(generation) or "Blue."))
            assert generation.stats.stop_reason in ("eos", "length")
            trimmed_turns += generation.stats.trimmed_messages > 0
            if turn in (MEASURE_AT, TURNS):
                rss_at[turn] = process.memory_info().rss
    finally:
        engine.close()
    growth_mb = (rss_at[TURNS] - rss_at[MEASURE_AT]) / 2**20
    print(f"\n{TURNS} real turns in {time.perf_counter() - started:.0f} s; RSS growth from "
          f"turn {MEASURE_AT} to {TURNS}: {growth_mb:.1f} MB; {trimmed_turns} turns trimmed")
    assert trimmed_turns > 0, "the conversation must outgrow the context to test trimming"
    assert growth_mb < 50
