"""Resident memory of the app with the starter model loaded, minus the model file's size.

Not a test: it prints figures. Each measurement is a fresh process that loads the starter
model at the app's default settings, answers three messages, then reads its own RSS:

- ``rss_overhead_mb``: the desktop window (offscreen), the way a user runs the app; its
  context cache starts at 1,024 tokens and grows as a conversation needs it;
- ``rss_overhead_terminal_mb``: the engine alone, the way ``openchat chat`` runs it;
- ``rss_overhead_reserved_mb``: the window with the whole 4,096-token cache reserved at load
  (model.grow_context off): what a conversation that fills the context costs;
- ``rss_overhead_q8_0_mb``: the same with the cache in q8_0 (model.kv_cache_type): half the
  cache, but long prompts read about a third slower on a CPU.

    .venv/bin/python benchmarks/bench_memory.py [--runs 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from figures import report, spread

QUESTIONS = ("What is the capital of France?", "Name three rivers in Europe.",
             "Write a haiku about the sea.")


def measure_window(settings: dict[str, object]) -> float:
    import gui_support
    import psutil
    from bench_gui_stream import window_run

    from openchat_desktop.core.paths import starter_model_path

    app = gui_support.application()
    model = starter_model_path()
    ctx, window = gui_support.open_window(None, model, **settings)
    for _ in QUESTIONS:
        window_run(ctx)
    overhead = (psutil.Process().memory_info().rss - model.stat().st_size) / 2**20
    gui_support.close_window(ctx, window)
    del app
    return overhead


def measure_terminal() -> float:
    import psutil

    from openchat_desktop.core.llm.engine import Engine
    from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
    from openchat_desktop.core.llm.templates import ChatMessage
    from openchat_desktop.core.paths import starter_model_path

    model = starter_model_path()
    engine = Engine(LoadSettings(model))
    history: list[ChatMessage] = []
    for question in QUESTIONS:
        history.append(ChatMessage("user", question))
        history.append(ChatMessage("assistant", "".join(
            engine.stream(history, SamplingSettings(max_tokens=200)))))
    overhead = (psutil.Process().memory_info().rss - model.stat().st_size) / 2**20
    engine.close()
    return overhead


def child(kind: str) -> None:
    reply = {"sampling__max_tokens": 200}
    if kind == "window":
        value = measure_window(reply)
    elif kind == "reserved":
        value = measure_window({**reply, "model__grow_context": False})
    elif kind == "q8_0":
        value = measure_window({**reply, "model__grow_context": False,
                                "model__kv_cache_type": "q8_0"})
    else:
        value = measure_terminal()
    print(json.dumps(value), flush=True)


def run(kind: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", kind], check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=("window", "terminal", "reserved", "q8_0"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    from openchat_desktop.core.paths import starter_model_path

    figures = {**spread("rss_overhead_mb", [run("window") for _ in range(args.runs)]),
               "rss_overhead_terminal_mb": run("terminal"),
               "rss_overhead_reserved_mb": run("reserved"),
               "rss_overhead_q8_0_mb": run("q8_0"),
               "model_file_mb": starter_model_path().stat().st_size / 2**20}
    report(figures, args.json)
    return None


if __name__ == "__main__":
    main()
