"""Generation speed through the whole window (worker thread -> signals -> session -> chat view,
offscreen) with the real starter model, against the bare llama-cpp-python loop.

Both are timed from the first token to the last: for the window, from the first delta the
chat view receives to the end of the reply on the GUI thread, over the same number of tokens
the bare loop then generates from the same prompt. Runs alternate window/bare (ABBA...).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import gui_support  # noqa: F401  (first: paths, offscreen platform, temporary profile)
from bench_engine import bare_loop, per_second
from figures import report, spread
from gui_support import application, close_window, open_window, wait_until

from openchat_desktop.core.engine import Engine
from openchat_desktop.core.paths import starter_model_path
from openchat_desktop.core.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.templates import ChatMessage

PROMPT = "Write a long story about a lighthouse keeper and a storm."
MAX_TOKENS = 200
SEED = 1234


def window_run(ctx: Any) -> tuple[int, float]:
    """(tokens, seconds from the first delta in the view to the finished reply)."""
    times: list[float] = []
    result: list[Any] = []
    session = ctx.session
    on_delta = session.reply_delta.connect(lambda *_: times.append(time.perf_counter()))
    on_done = session.reply_finished.connect(
        lambda _id, stats: result.append((time.perf_counter(), stats)))
    session.new_conversation()
    session.send(PROMPT)
    wait_until(lambda: bool(result), 120)
    session.reply_delta.disconnect(on_delta)
    session.reply_finished.disconnect(on_done)
    if not result or not times:
        raise SystemExit("the window produced no reply")
    ended, stats = result[0]
    return int(stats.generated_tokens), ended - times[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    app = application()
    settings = {"sampling__seed": SEED, "sampling__max_tokens": MAX_TOKENS,
                "model__ctx_size": 2048, "model__threads": physical_cores()}
    ctx, window = open_window(None, args.model, **settings)
    reference = Engine(LoadSettings(args.model, ctx_size=2048, threads=physical_cores()))
    tokens = reference.tokenize_prompt([ChatMessage("user", PROMPT)])
    sampling = SamplingSettings(seed=SEED, max_tokens=MAX_TOKENS)
    count, _ = window_run(ctx)  # warm-up; fixes the token count
    bare_loop(reference._llm, tokens, count, sampling)
    gui_rates, bare_rates, ratios = [], [], []
    for run in range(args.runs):
        order = ("window", "bare") if run % 2 == 0 else ("bare", "window")
        rates = {}
        for which in order:
            if which == "window":
                n, seconds = window_run(ctx)
            else:
                n, seconds = bare_loop(reference._llm, tokens, count, sampling)
            if n != count:
                raise SystemExit(f"{which} generated {n} tokens, not {count}")
            rates[which] = per_second(n, seconds)
        gui_rates.append(rates["window"])
        bare_rates.append(rates["bare"])
        ratios.append(rates["window"] / rates["bare"])
    close_window(ctx, window)
    reference.close()
    figures = {"gui_tokens_per_s": statistics.median(gui_rates),
               "gui_bare_tokens_per_s": statistics.median(bare_rates),
               **spread("gen_ratio_gui", ratios),
               "gui_tokens_count": count}
    report(figures, args.json)
    del app


if __name__ == "__main__":
    main()
