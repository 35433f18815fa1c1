"""Engine figures: time to first token at turn 20 vs turn 1, memory overhead, stop latency.

Not a test: prints figures (and writes them as JSON with --json). Run on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import psutil
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

from openchat_desktop.core.engine import Engine
from openchat_desktop.core.paths import starter_model_path
from openchat_desktop.core.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.templates import ChatMessage
from openchat_desktop.services.llm_worker import LlmWorker

REPLY = SamplingSettings(temperature=0.7, seed=11, max_tokens=24)


def ttft_by_turn(engine: Engine, turns: int) -> list[float]:
    """TTFT of each turn of a conversation whose new messages all have the same size."""
    history: list[ChatMessage] = []
    ttfts = []
    for turn in range(turns):
        history.append(ChatMessage("user", f"Question {turn:02d}: name one animal that lives "
                                           "in the sea and say why it is interesting."))
        generation = engine.stream(history, REPLY)
        text = "".join(generation)
        ttfts.append(generation.stats.ttft_seconds)
        history.append(ChatMessage("assistant", text))
    return ttfts


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
    ttfts = ttft_by_turn(engine, args.turns)
    rss_overhead = (process.memory_info().rss - args.model.stat().st_size) / 2**20
    engine.close()
    first, last = statistics.median(ttfts[:2]), statistics.median(ttfts[-2:])
    worker = LlmWorker()
    worker.load(LoadSettings(args.model, ctx_size=4096, threads=physical_cores()))
    wait_until(lambda: worker.status is not None, 60)
    story = [ChatMessage("user", "Write a very long story about the sea.")]
    long_prompt = [ChatMessage("user", "Summarise: " + "the tide comes in and goes out " * 285)]
    gen_ms = [stop_latency(worker, story, 0.5) for _ in range(5)]
    prompt_ms = [stop_latency(worker, long_prompt, 0.15) for _ in range(5)]
    worker.shutdown()
    figures = {"ttft_turn1_ms": first * 1000, "ttft_turn20_ms": last * 1000,
               "ttft_ratio_turn20": last / first, "rss_overhead_mb": rss_overhead,
               "stop_latency_gen_ms": statistics.median(gen_ms),
               "stop_latency_gen_max_ms": max(gen_ms),
               "stop_latency_prompt_ms": statistics.median(prompt_ms),
               "stop_latency_prompt_max_ms": max(prompt_ms)}
    for key, value in figures.items():
        print(f"{key:28} {value:10.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    del app


if __name__ == "__main__":
    main()
