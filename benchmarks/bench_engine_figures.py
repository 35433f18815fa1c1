"""Engine figures: time to first token at turn 20 vs turn 1, memory overhead, stop latency.

Not a test: prints figures (and writes them as JSON with --json). Run on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psutil
from figures import report, spread
from PySide6.QtCore import QCoreApplication, QEventLoop

from openchat_desktop.core.engine import Engine
from openchat_desktop.core.paths import starter_model_path
from openchat_desktop.core.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.templates import ChatMessage
from openchat_desktop.services.llm_worker import LlmWorker

REPLY = SamplingSettings(temperature=0.7, seed=11, max_tokens=24)


def ttft_by_turn(engine: Engine, turns: int) -> tuple[list[float], list[tuple[int, int]]]:
    """TTFT of each turn of a conversation whose new messages all have the same size, and
    (tokens already cached, tokens evaluated) of each turn's prompt."""
    history: list[ChatMessage] = []
    ttfts, evaluated = [], []
    for turn in range(turns):
        history.append(ChatMessage("user", f"Question {turn:02d}: name one animal that lives "
                                           "in the sea and say why it is interesting."))
        generation = engine.stream(history, REPLY)
        text = "".join(generation)
        ttfts.append(generation.stats.ttft_seconds)
        stats = generation.stats
        evaluated.append((stats.prompt_tokens - stats.prompt_evaluated, stats.prompt_evaluated))
        history.append(ChatMessage("assistant", text))
    return ttfts, evaluated


def bare_eval_ratio(engine: Engine, first: tuple[int, int], last: tuple[int, int]) -> float:
    """The same two prompt evaluations in llama-cpp-python alone (``eval`` of as many tokens
    at the same positions): what llama.cpp itself charges for the longer context."""
    llm = engine._llm
    tokens = engine.tokenize_prompt([ChatMessage("user", "the tide comes in " * 400)])
    times: dict[tuple[int, int], list[float]] = {first: [], last: []}
    for _ in range(5):
        for cached, count in (first, last):
            llm.reset()
            if cached:
                llm.eval(tokens[:cached])
            started = time.perf_counter()
            llm.eval(tokens[cached : cached + count])
            times[(cached, count)].append(time.perf_counter() - started)
    return statistics.median(times[last]) / statistics.median(times[first])


def wait_until(condition: object, timeout_s: float) -> None:
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    while not condition() and time.perf_counter() < deadline:  # type: ignore[operator]
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def stop_latency(worker: LlmWorker, messages: list[ChatMessage], stop_after_s: float) -> float:
    """Milliseconds from stop() to the worker reporting the generation over."""
    done: list[float] = []
    worker.finished.connect(lambda *_: done.append(time.perf_counter()))
    worker.generate(messages, SamplingSettings(max_tokens=2000, seed=3))
    wait_until(lambda: False, stop_after_s)
    stopped_at = time.perf_counter()
    worker.stop()
    wait_until(lambda: bool(done), 30)
    worker.finished.disconnect()
    return (done[0] - stopped_at) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    process = psutil.Process()
    engine = Engine(LoadSettings(args.model, ctx_size=4096, threads=physical_cores()))
    ttft_by_turn(engine, 2)  # warm-up
    engine._llm.reset()
    ratios, firsts, lasts = [], [], []
    for _ in range(3):
        engine._llm.reset()
        ttfts, evaluated = ttft_by_turn(engine, args.turns)
        firsts.append(ttfts[0])
        lasts.append(ttfts[-1])
        ratios.append(ttfts[-1] / ttfts[0])
    rss_overhead = (process.memory_info().rss - args.model.stat().st_size) / 2**20
    bare_ratio = bare_eval_ratio(engine, evaluated[0], evaluated[-1])
    engine.close()
    first, last = statistics.median(firsts), statistics.median(lasts)
    worker = LlmWorker()
    worker.load(LoadSettings(args.model, ctx_size=4096, threads=physical_cores()))
    wait_until(lambda: worker.status is not None, 60)
    story = [ChatMessage("user", "Write a very long story about the sea.")]
    long_prompt = [ChatMessage("user", "Summarise: " + "the tide comes in and goes out " * 285)]
    gen_ms = [stop_latency(worker, story, 0.5) for _ in range(5)]
    prompt_ms = [stop_latency(worker, long_prompt, 0.15) for _ in range(5)]
    worker.shutdown()
    figures = {"ttft_turn1_ms": first * 1000, "ttft_turn20_ms": last * 1000,
               **spread("ttft_ratio_turn20", ratios),
               "ttft_ratio_turn20_bare_eval": bare_ratio,
               "ttft_turn1_evaluated_tokens": evaluated[0][1],
               "ttft_turn20_evaluated_tokens": evaluated[-1][1],
               "ttft_turn20_cached_tokens": evaluated[-1][0],
               "model_file_mb": args.model.stat().st_size / 2**20,
               "rss_overhead_mb": rss_overhead,
               **spread("stop_latency_gen_ms", gen_ms),
               **spread("stop_latency_prompt_ms", prompt_ms)}
    report(figures, args.json)
    del app


if __name__ == "__main__":
    main()
