"""The GUI thread while a fast model streams into a long conversation, and opening that
conversation, in the real window (offscreen) over a scripted fake engine.

Stall: a 1 ms precise QTimer records the gaps between its ticks while the fake engine
streams markdown at 300 tokens/s into a 2,000-message conversation; a gap is how long the GUI
thread could not react. Open: milliseconds from asking the session to open the conversation
to the window having processed every event it caused (layout and paint included). Busy: the
GUI thread's CPU time over the wall time of a reply streamed at 300 tokens/s into a new
conversation (no probe timer): what the window takes from the cores the model runs on.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import gui_support
from fakes import fake_engine_factory
from figures import report, spread
from gui_support import (
    add_long_conversation,
    application,
    close_window,
    open_window,
    wait_until,
)
from PySide6.QtCore import QCoreApplication, Qt, QTimer

MESSAGES = 2000
TOKENS_PER_SECOND = 300
REPLY_TOKENS = 900  # three seconds of streaming
PIECES = ("Here", " is", " a", " **bold**", " word", ",", " then", " `code`", ".\n\n",
          "```python\n", "def", " f", "(x", "):\n", "    return", " x", " *", " 2", "\n```\n",
          "- item", " one", "\n", "- item", " two", "\n\n")


def reply_tokens() -> list[str]:
    return [PIECES[index % len(PIECES)] for index in range(REPLY_TOKENS)]


def open_ms(ctx: object, conv_id: int) -> float:
    started = time.perf_counter()
    ctx.session.open(conv_id)  # type: ignore[attr-defined]
    QCoreApplication.processEvents()
    QCoreApplication.processEvents()
    return (time.perf_counter() - started) * 1000


def stream_reply(ctx: object, on_sent: Callable[[], None] = lambda: None) -> None:
    """Send one message and wait for the whole reply; ``on_sent`` runs right after sending."""
    done: list[bool] = []
    session = ctx.session  # type: ignore[attr-defined]
    handle = session.reply_finished.connect(lambda *_: done.append(True))
    session.send("Show me some code, please.")
    on_sent()
    wait_until(lambda: bool(done), 60)
    session.reply_finished.disconnect(handle)


def stall_run(ctx: object) -> list[float]:
    """Gaps (ms) between 1 ms timer ticks during one streamed reply."""
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    def start_ticking() -> None:
        last[0] = time.perf_counter()
        timer.start()

    timer = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    stream_reply(ctx, start_ticking)
    timer.stop()
    return gaps


def busy_run(ctx: object) -> float:
    """The GUI thread's share of one core (%) while one reply streams, with no probe timer."""
    cpu, started = time.thread_time(), time.perf_counter()
    stream_reply(ctx)
    return (time.thread_time() - cpu) / (time.perf_counter() - started) * 100


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    app = application()
    factory = fake_engine_factory(tokens=reply_tokens(), tokens_per_second=TOKENS_PER_SECOND)
    model = Path(gui_support.os.environ["OPENCHAT_HOME"]) / "fake-model.gguf"
    model.write_bytes(b"GGUF")
    ctx, window = open_window(factory, model)
    small = ctx.store.create_conversation("small")
    big = add_long_conversation(ctx, MESSAGES)
    opens = []
    for _ in range(args.runs + 1):
        open_ms(ctx, small)
        opens.append(open_ms(ctx, big))
    opens = opens[1:]  # the first open also warms caches (fonts, styles)
    p99s, maxes = [], []
    renderer = window.chat_view._renderer
    theme = renderer.theme
    for _ in range(args.runs):
        ctx.session.open(big)
        wait_until(lambda: False, 0.2)
        # A theme change and back empties the HTML cache: each run's reply renders anew.
        renderer.set_theme("dark" if theme == "light" else "light")
        renderer.set_theme(theme)
        gaps = stall_run(ctx)
        p99s.append(p99(gaps))
        maxes.append(max(gaps))
    busy = []
    for _ in range(args.runs):
        ctx.session.new_conversation()
        busy.append(busy_run(ctx))
    close_window(ctx, window)
    figures = {**spread("open_conversation_ms", opens),
               **spread("ui_stall_p99_ms", p99s),
               **spread("ui_stall_max_ms", maxes),
               **spread("ui_thread_busy_pct", busy)}
    report(figures, args.json)
    del app


if __name__ == "__main__":
    main()
