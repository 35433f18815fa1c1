"""The API server with the real starter model, inside the real app (window offscreen):

- ``api_gen_ratio``: tokens/s the official ``openai`` client receives (first content chunk to
  last) over the engine's own tokens/s for the same prompt and seed, timed the same way on the
  model thread (a job put straight into the worker's queue, no HTTP);
- ``api_ttft_overhead_ms``: time to the first token at the client minus the same from the
  queue (both with the prompt already in the KV cache, as a chat's next turn has it);
- ``api_disconnect_stop_ms``: client hang-up to the model thread idle;
- ``api_ui_stall_p99_ms``: the window's longest frames (1 ms timer gaps, p99) while an API
  stream runs.

Client requests run on a thread of their own so the GUI thread runs its event loop as in the
app; the model generates only on its worker thread, as always.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import gui_support  # noqa: F401  (first: paths, offscreen platform, temporary profile)
from bench_engine import per_second
from figures import best_ratio, report, spread
from gui_support import application, close_window, open_window
from PySide6.QtCore import Qt, QTimer
from qt_wait import wait_until

from openchat_desktop.core.llm.sampling import SamplingSettings, physical_cores
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import starter_model_path
from openchat_desktop.server.config import ServerConfig
from openchat_desktop.server.model_ids import ModelDirectory
from openchat_desktop.server.runner import ServerThread
from openchat_desktop.server.state import ServerState
from openchat_desktop.services.generation_queue import GenerationJob

PROMPT = "Write a long story about a lighthouse keeper and a storm."
MAX_TOKENS = 200
SEED = 1234
SAMPLING = SamplingSettings(seed=SEED, max_tokens=MAX_TOKENS)


class TimingSink:
    """Times a job put straight into the queue: submit, first delta, last delta."""

    def __init__(self) -> None:
        self.submitted = time.perf_counter()
        self.first = self.last = 0.0
        self.tokens = 0
        self.done = threading.Event()

    def started(self) -> None:
        pass

    def delta(self, text: str, tokens: int) -> None:
        self.last = time.perf_counter()
        self.first = self.first or self.last
        self.tokens = tokens

    def finished(self, stats: Any) -> None:
        self.tokens = stats.generated_tokens
        self.done.set()

    def embedded(self, vectors: Any, tokens: int) -> None:
        self.done.set()

    def failed(self, message: str, kind: str) -> None:
        raise SystemExit(f"engine run failed: {message}")


def engine_run(worker: Any) -> tuple[int, float, float]:
    """(tokens, seconds first to last token, ms to the first token) without HTTP."""
    sink = TimingSink()
    worker.submit_api(GenerationJob("chat", sink, SAMPLING,
                                    messages=[ChatMessage("user", PROMPT)]))
    wait_until(sink.done.is_set, 120)
    return sink.tokens, sink.last - sink.first, (sink.first - sink.submitted) * 1000


def client_run(client: Any, model: str) -> tuple[int, float, float]:
    """The same through the server and the openai client, streamed."""
    sent = time.perf_counter()
    first = last = 0.0
    tokens = 0
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": PROMPT}], max_tokens=MAX_TOKENS,
        seed=SEED, temperature=SAMPLING.temperature, stream=True,
        stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.perf_counter()
            first = first or last
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
    return tokens, last - first, (first - sent) * 1000


def in_thread(function: Any, *args: Any) -> Any:
    """Run ``function`` on a client thread while the GUI thread runs its event loop."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    thread.start()
    wait_until(lambda: not thread.is_alive(), 300)
    if not result:
        raise SystemExit(f"{function.__name__} failed")
    return result[0]


def disconnect_run(client: Any, model: str, worker: Any) -> float:
    """ms from closing a stream half-way to the model thread being idle."""
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": PROMPT}], max_tokens=MAX_TOKENS,
        stream=True)
    for index, _ in enumerate(stream):
        if index == 10:
            break
    closed = time.perf_counter()
    stream.close()
    host = worker._host  # the benchmark looks inside: the one field that says "idle"
    while host.running and time.perf_counter() - closed < 10:
        time.sleep(0.0002)
    return (time.perf_counter() - closed) * 1000


def stall_run(client: Any, model: str) -> list[float]:
    """Gaps (ms) between 1 ms timer ticks on the GUI thread while an API stream runs."""
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start()
    in_thread(client_run, client, model)
    timer.stop()
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import openai

    app = application()
    ctx, window = open_window(None, args.model, model__ctx_size=2048,
                              model__threads=physical_cores())
    state = ServerState(ServerConfig(port=0), ctx.worker, ModelDirectory(), SAMPLING)
    server = ServerThread(state)
    server.start()
    client = openai.OpenAI(base_url=server.url, api_key="none", max_retries=0, timeout=300)
    model = args.model.stem
    engine_run(ctx.worker)  # warm-up: the prompt is cached from here on, for both sides
    in_thread(client_run, client, model)
    api_rates, engine_rates, api_ttft, engine_ttft, stops, stalls = [], [], [], [], [], []
    for run in range(args.runs):
        order = ("api", "engine") if run % 2 == 0 else ("engine", "api")
        for which in order:
            count, seconds, ttft = (in_thread(client_run, client, model) if which == "api"
                                    else engine_run(ctx.worker))
            (api_rates if which == "api" else engine_rates).append(per_second(count, seconds))
            (api_ttft if which == "api" else engine_ttft).append(ttft)
        stops.append(in_thread(disconnect_run, client, model, ctx.worker))
        stalls.append(statistics.quantiles(stall_run(client, model), n=100)[98])
        print(f"run {run}: api {api_rates[-1]:.1f} / engine {engine_rates[-1]:.1f} tok/s, "
              f"ttft {api_ttft[-1]:.1f} / {engine_ttft[-1]:.1f} ms, stop {stops[-1]:.1f} ms, "
              f"stall p99 {stalls[-1]:.1f} ms", flush=True)
    server.stop()
    close_window(ctx, window)
    overheads = [a - e for a, e in zip(api_ttft, engine_ttft, strict=True)]
    figures = {**best_ratio("api_gen_ratio", api_rates, engine_rates, max),
               "api_tokens_per_s": max(api_rates), "api_engine_tokens_per_s": max(engine_rates),
               **spread("api_ttft_overhead_ms", overheads),
               **spread("api_disconnect_stop_ms", stops),
               **spread("api_ui_stall_p99_ms", stalls)}
    report(figures, args.json)
    del app


if __name__ == "__main__":
    main()
