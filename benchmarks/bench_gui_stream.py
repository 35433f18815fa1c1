"""Generation speed through the whole window (worker thread -> signals -> session -> chat view,
offscreen) with the real starter model, against the bare llama-cpp-python loop.

Both are timed from the first token to the last: for the window, from the first delta the
chat view receives to the end of the reply on the GUI thread, over the same number of tokens
the bare loop then generates from the same prompt. Runs alternate window/bare (ABBA...); the
ratio is the best window run over the best bare run.

The bare loop runs in a child process: llama.cpp's OpenMP threads belong to the thread that
starts them, so a second model generating on this process's main thread would add a second
team, and libgomp, seeing more threads than cores, stops spinning at its barriers, which
slows both to a third on a 2-core machine. The app itself only ever generates on its worker.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import decode_clock
import gui_support  # noqa: F401  (first: paths, offscreen platform, temporary profile)
from bench_engine import bare_loop, per_second
from figures import best_ratio, report, spread
from gui_support import application, close_window, open_window, wait_until

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import starter_model_path

PROMPT = "Write a long story about a lighthouse keeper and a storm."
MAX_TOKENS = 200
SEED = 1234


def window_run(ctx: Any) -> tuple[int, float, float]:
    """(tokens, seconds from the first delta in the view to the finished reply, host ms
    between decodes)."""
    times: list[float] = []
    result: list[Any] = []
    session = ctx.session
    on_delta = session.reply_delta.connect(lambda *_: times.append(time.perf_counter()))
    on_done = session.reply_finished.connect(
        lambda _id, stats: result.append((time.perf_counter(), stats)))
    session.new_conversation()
    decode_clock.start()
    session.send(PROMPT)
    wait_until(lambda: bool(result), 120)
    session.reply_delta.disconnect(on_delta)
    session.reply_finished.disconnect(on_done)
    if not result or not times:
        raise SystemExit("the window produced no reply")
    ended, stats = result[0]
    return int(stats.generated_tokens), ended - times[0], decode_clock.gap_ms()


def bare_child(model: Path) -> None:
    """Child process: for each count read from stdin, run the bare loop; print tokens,
    seconds and host ms between decodes."""
    decode_clock.install()
    reference = Engine(LoadSettings(model, ctx_size=2048, threads=physical_cores()))
    tokens = reference.tokenize_prompt([ChatMessage("user", PROMPT)])
    sampling = SamplingSettings(seed=SEED, max_tokens=MAX_TOKENS)
    for line in sys.stdin:
        decode_clock.start()
        count, seconds = bare_loop(reference._llm, tokens, int(line), sampling)
        print(json.dumps([count, seconds, decode_clock.gap_ms()]), flush=True)
    reference.close()


@contextmanager
def bare_process(model: Path) -> Iterator[Any]:
    """A child running ``bare_child``; yields ``run(count) -> (tokens, seconds, gap ms)``."""
    child = subprocess.Popen([sys.executable, __file__, "--bare-child", "--model", str(model)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pipes: tuple[IO[str], IO[str]] = (child.stdin, child.stdout)  # type: ignore[assignment]

    def run(count: int) -> tuple[int, float, float]:
        pipes[0].write(f"{count}\n")
        pipes[0].flush()
        tokens, seconds, gap = json.loads(pipes[1].readline())
        return int(tokens), float(seconds), float(gap)

    try:
        yield run
    finally:
        pipes[0].close()
        child.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--bare-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        return bare_child(args.model)
    decode_clock.install()
    app = application()
    settings = {"sampling__seed": SEED, "sampling__max_tokens": MAX_TOKENS,
                "model__ctx_size": 2048, "model__threads": physical_cores()}
    ctx, window = open_window(None, args.model, **settings)
    gui_rates, bare_rates = [], []
    gaps: dict[str, list[float]] = {"window": [], "bare": []}
    with bare_process(args.model) as bare_run:
        count, _, _ = window_run(ctx)  # warm-up; fixes the token count
        bare_run(count)
        for run in range(args.runs):
            order = ("window", "bare") if run % 2 == 0 else ("bare", "window")
            rates = {}
            for which in order:
                n, seconds, gap = window_run(ctx) if which == "window" else bare_run(count)
                if n != count:
                    raise SystemExit(f"{which} generated {n} tokens, not {count}")
                rates[which] = per_second(n, seconds)
                gaps[which].append(gap)
            gui_rates.append(rates["window"])
            bare_rates.append(rates["bare"])
            print(f"run {run}: window {rates['window']:.1f}, bare {rates['bare']:.1f} tok/s; "
                  f"host time per token {gaps['window'][-1]:.3f} / {gaps['bare'][-1]:.3f} ms",
                  flush=True)
    close_window(ctx, window)
    figures = {"gui_tokens_per_s": max(gui_rates),
               "gui_bare_tokens_per_s": max(bare_rates),
               **best_ratio("gen_ratio_gui", gui_rates, bare_rates, max),
               "gui_tokens_count": count,
               **spread("gen_host_gap_gui_ms", gaps["window"]),
               **spread("gen_host_gap_bare_ms", gaps["bare"])}
    report(figures, args.json)
    del app
    return None


if __name__ == "__main__":
    main()
