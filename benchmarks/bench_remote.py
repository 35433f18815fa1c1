"""Remote engines, with the real ``llama_cpp.server`` and the starter model, in the real app
(window offscreen):

- ``remote_gen_ratio``: tokens/s of a reply in the window (the figure shown under it, timed on
  the model thread from the first content event to the last) over the official ``openai``
  client's tokens/s timed the same way, against the same server with the same request (prompt,
  seed and sampling fields: the client sends the body the app sends);
- ``remote_stop_ms``: Stop in the window → the connection to the server closed, seen by a
  small TCP relay between the app and the server (the server sees it at the same moment).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from pathlib import Path
from typing import Any

import gui_support  # noqa: F401  (first: paths, offscreen platform, temporary profile)
from figures import best_ratio, report, spread
from gui_support import application, close_window, open_window
from qt_wait import wait_until
from remote_fakes import start_llama_server

from openchat_desktop.core.llm.sampling import SamplingSettings, physical_cores
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import app_paths, starter_model_path
from openchat_desktop.core.remote.client import RemoteClient
from openchat_desktop.core.remote.connections import Connection, ConnectionStore

PROMPT = "Write a long story about a lighthouse keeper and a storm."
MAX_TOKENS = 200
SEED = 1234
STOP_AFTER_TOKENS = 10


class Relay:
    """A TCP relay to ``target``; ``closed_at`` holds when each client connection ended."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.closed_at: list[float] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, True),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False),
                             daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        if from_client:
            self.closed_at.append(time.perf_counter())
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def openai_run(client: Any, body: dict[str, Any]) -> float:
    """tokens/s the openai client receives (first content chunk to last)."""
    standard = {key: body[key] for key in ("model", "messages", "max_tokens", "temperature",
                                           "top_p", "seed")}
    extra = {key: value for key, value in body.items()
             if key not in standard and key not in ("stream", "stream_options")}
    first = last = 0.0
    chunks = 0
    for chunk in client.chat.completions.create(**standard, extra_body=extra, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.perf_counter()
            first = first or last
            chunks += 1
    return chunks / (last - first) if last > first else 0.0  # one chunk: nothing to time


def window_run(ctx: Any) -> float:
    """tokens/s of one reply in the window, as shown under it."""
    session = ctx.session
    session.new_conversation()
    done: list[Any] = []
    session.reply_finished.connect(lambda _id, stats: done.append(stats))
    session.send(PROMPT)
    wait_until(lambda: bool(done), 120)
    session.reply_finished.disconnect()
    if not done:
        raise SystemExit("the window's reply did not finish")
    return float(done[0].tokens_per_second)


def stop_run(ctx: Any, relay: Relay) -> float:
    """ms from Stop in the window to the connection to the server closed."""
    session = ctx.session
    session.new_conversation()
    seen = len(relay.closed_at)
    stopped: list[float] = []

    def on_progress(_message_id: int, tokens: int) -> None:
        if tokens >= STOP_AFTER_TOKENS and not stopped:
            stopped.append(time.perf_counter())
            session.stop()

    session.reply_progress.connect(on_progress)
    session.send(PROMPT)
    def closed_after_stop() -> list[float]:
        # Other connections (a model list asked in the background) may close meanwhile.
        return [t for t in relay.closed_at[seen:] if stopped and t >= stopped[0]]

    wait_until(lambda: bool(closed_after_stop()), 60)
    session.reply_progress.disconnect(on_progress)
    if not closed_after_stop():
        raise SystemExit("the stopped reply's connection did not close")
    wait_until(lambda: not ctx.worker.is_busy, 10)
    return (closed_after_stop()[0] - stopped[0]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from openai import OpenAI

    application()
    # A remote server runs on another machine; here it shares this one, so it leaves a core
    # to the app, or the figure would measure two processes sharing CPUs, not the client.
    server = start_llama_server(args.model, threads=max(1, physical_cores() - 1), n_ctx=2048)
    host, port = server.base_url.split("//")[1].split("/")[0].split(":")
    relay = Relay((host, int(port)))
    ConnectionStore(app_paths().config_dir).put(Connection("bench", server.base_url))
    ConnectionStore(app_paths().config_dir).put(
        Connection("relay", f"http://127.0.0.1:{relay.port}/v1"))
    sampling = SamplingSettings(seed=SEED, max_tokens=MAX_TOKENS)
    body = RemoteClient(Connection("bench", server.base_url), server.model).request_body(
        [ChatMessage("user", PROMPT)], sampling)
    client = OpenAI(base_url=server.base_url, api_key="none")
    try:
        ctx, window = open_window(model=Path("remote:bench/starter"),
                                  chat__system_prompt="", sampling__seed=SEED,
                                  sampling__max_tokens=MAX_TOKENS)
        ours, theirs = [], []
        openai_run(client, body)  # warm-up: the first request loads the model's pages
        for _ in range(args.runs):
            ours.append(window_run(ctx))
            theirs.append(openai_run(client, body))
        close_window(ctx, window)
        ctx, window = open_window(model=Path("remote:relay/starter"), chat__system_prompt="",
                                  sampling__max_tokens=MAX_TOKENS)
        stops = [stop_run(ctx, relay) for _ in range(args.runs)]
        close_window(ctx, window)
    finally:
        server.stop()
    figures = {**best_ratio("remote_gen_ratio", ours, theirs, max),
               "remote_tokens_per_s": max(ours), "remote_openai_tokens_per_s": max(theirs),
               **spread("remote_stop_ms", stops)}
    report(figures, args.json)


if __name__ == "__main__":
    main()
