"""Four API clients at once against one: what batching the replies gives.

    .venv/bin/python benchmarks/bench_concurrent.py [--runs 3] [--json out.json]

``openchat serve`` runs the starter model in its own process; the official ``openai`` client
streams from it on threads of this one.

- ``concurrent4_throughput_ratio``: the tokens/s of four clients streaming at once (all their
  tokens over the time from the first token any of them got to the last) ÷ one client's
  tokens/s alone, timed the same way. Goal ≥ 1.3 on a 2-core CPU.
- ``concurrent4_bare_batched_ratio``: the ceiling, in the same run: a bare llama-cpp-python
  loop decoding four sequences per ``llama_decode`` ÷ the same loop with one (no server, no
  sampling beyond greedy), one KV stream per sequence as ours. Ours should be ≥ 0.9 of it
  (``concurrent4_of_ceiling``). ``concurrent4_bare_unified_ratio``: the same loop with the
  four sharing one KV buffer, which rounds differently from a sequence alone (see
  ``core/llm/parallel.py``): what giving each reply its exact text alone costs.
- ``concurrent4_fairness``: the slowest client's tokens/s ÷ the fastest's. Goal ≥ 0.67.
- ``…_shared``: the same with ``openchat serve --parallel-shared`` (one KV buffer for all the
  replies: faster, not bit-identical), against the unified bare loop.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import llama_cpp
from figures import report, spread
from openai import OpenAI

from openchat_desktop.core.llm.sampling import physical_cores
from openchat_desktop.core.paths import starter_model_path

READY = re.compile(r"OpenChat API server: (http://127\.0\.0\.1:\d+/v1)")
PROMPTS = ["Write a long story about a lighthouse keeper and a storm.",
           "Write a long story about a baker who finds a map.",
           "Write a long story about two friends crossing a desert.",
           "Write a long story about a robot learning to paint."]
MAX_TOKENS = 160
CTX = 2048


class Stream:
    """One streamed reply: its first and last content chunk and its token count."""

    def __init__(self) -> None:
        self.first = self.last = 0.0
        self.tokens = 0

    @property
    def tokens_per_s(self) -> float:
        span = self.last - self.first
        return (self.tokens - 1) / span if span > 0 and self.tokens > 1 else 0.0


def serve(model: Path, threads: int, shared: bool) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "OPENCHAT_HOME": os.environ.get("OPENCHAT_HOME", "")}
    process = subprocess.Popen(
        [sys.executable, "-m", "openchat_desktop", "serve", "--port", "0", "--threads",
         str(threads), "--ctx-size", str(CTX), "--parallel", "4", "--model", str(model),
         *(["--parallel-shared"] if shared else [])],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    match = READY.search(process.stdout.readline())
    if match is None:
        process.kill()
        raise SystemExit("openchat serve did not start")
    return process, match.group(1)


def stream(client: OpenAI, model: str, prompt: str, seed: int, into: Stream) -> None:
    chunks = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], stream=True, seed=seed,
        max_tokens=MAX_TOKENS, temperature=0.8, stream_options={"include_usage": True})
    for chunk in chunks:
        if chunk.choices and chunk.choices[0].delta.content:
            now = time.perf_counter()
            into.first = into.first or now
            into.last = now
        if chunk.usage is not None:
            into.tokens = chunk.usage.completion_tokens


def together(client: OpenAI, model: str, count: int, seed: int) -> list[Stream]:
    streams = [Stream() for _ in range(count)]
    threads = [threading.Thread(target=stream, args=(client, model, PROMPTS[i], seed + i,
                                                     streams[i])) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return streams


def throughput(streams: list[Stream]) -> float:
    span = max(s.last for s in streams) - min(s.first for s in streams)
    return sum(s.tokens - 1 for s in streams) / span if span > 0 else 0.0


def bare_ratio(model: Path, threads: int, steps: int = 96, unified: bool = False) -> float:
    """Tokens/s of a bare loop decoding 4 sequences per step ÷ the same with 1; with
    ``unified``, the four share one KV buffer (llama.cpp's default) instead of a stream each."""
    llm = llama_cpp.Llama(str(model), n_ctx=CTX, n_threads=threads, verbose=False)
    params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
    params.n_seq_max, params.kv_unified, params.n_ctx = 4, unified, CTX * 4
    ctx = llama_cpp.llama_init_from_model(llm._model.model, params)
    prompts = [llm.tokenize(p.encode(), add_bos=True) for p in PROMPTS]
    try:
        return _bare_rate(ctx, prompts, steps) / _bare_rate(ctx, prompts[:1], steps)
    finally:
        llama_cpp.llama_free(ctx)
        llm.close()


def _bare_rate(ctx: llama_cpp.llama_context_p, prompts: list[list[int]], steps: int) -> float:
    memory = llama_cpp.llama_get_memory(ctx)
    llama_cpp.llama_memory_clear(memory, True)
    batch = llama_cpp.llama_batch_init(512, 0, 1)
    vocab = llama_cpp.llama_model_get_vocab(llama_cpp.llama_get_model(ctx))
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
    try:
        entries = [(seq, tok, pos, pos == len(p) - 1) for seq, p in enumerate(prompts)
                   for pos, tok in enumerate(p)]
        rows = [index for index, entry in enumerate(entries) if entry[3]]
        _fill(batch, entries)
        llama_cpp.llama_decode(ctx, batch)
        positions = [len(p) for p in prompts]
        started = time.perf_counter()
        for _ in range(steps):
            nexts = [_argmax(llama_cpp.llama_get_logits_ith(ctx, row), n_vocab) for row in rows]
            _fill(batch, [(seq, nexts[seq], positions[seq], True) for seq in range(len(prompts))])
            rows = list(range(len(prompts)))
            positions = [p + 1 for p in positions]
            llama_cpp.llama_decode(ctx, batch)
        return steps * len(prompts) / (time.perf_counter() - started)
    finally:
        llama_cpp.llama_batch_free(batch)


def _argmax(logits: object, n_vocab: int) -> int:
    import numpy as np

    return int(np.argmax(np.ctypeslib.as_array(logits, shape=(n_vocab,))))


def _fill(batch: llama_cpp.llama_batch, entries: list[tuple[int, int, int, bool]]) -> None:
    for index, (seq, token, pos, logits) in enumerate(entries):
        batch.token[index] = token
        batch.pos[index] = pos
        batch.n_seq_id[index] = 1
        batch.seq_id[index][0] = seq
        batch.logits[index] = logits
    batch.n_tokens = len(entries)


def measure(model: Path, threads: int, runs: int, shared: bool) -> dict[str, float]:
    """Four clients against one, ``runs`` times, with the server's API replies sharing one
    cache or not."""
    process, url = serve(model, threads, shared)
    singles: list[float] = []
    ratios: list[float] = []
    fairness: list[float] = []
    try:
        client = OpenAI(base_url=url, api_key="none", max_retries=0, timeout=600)
        name = client.models.list().data[0].id
        together(client, name, 1, 1)  # warm up
        for run in range(runs):
            single = throughput(together(client, name, 1, 100 + run))
            four = together(client, name, 4, 200 + run)
            singles.append(single)
            ratios.append(throughput(four) / single)
            rates = [s.tokens_per_s for s in four]
            fairness.append(min(rates) / max(rates))
    finally:
        process.kill()
        process.wait(10)
    tail = "_shared" if shared else ""
    return {**spread(f"concurrent4_throughput_ratio{tail}", ratios),
            **spread(f"concurrent4_fairness{tail}", fairness),
            **spread(f"concurrent1_tokens_per_s{tail}", singles)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    model = starter_model_path()
    if model is None:
        raise SystemExit("the starter model is not installed")
    threads = physical_cores()
    figures = {**measure(model, threads, args.runs, shared=False),
               **measure(model, threads, args.runs, shared=True)}
    bare = [bare_ratio(model, threads) for _ in range(args.runs)]
    unified = [bare_ratio(model, threads, unified=True) for _ in range(args.runs)]
    figures.update({**spread("concurrent4_bare_batched_ratio", bare),
                    **spread("concurrent4_bare_unified_ratio", unified)})
    figures["concurrent4_of_ceiling"] = (figures["concurrent4_throughput_ratio"]
                                         / figures["concurrent4_bare_batched_ratio"])
    figures["concurrent4_shared_of_ceiling"] = (figures["concurrent4_throughput_ratio_shared"]
                                                / figures["concurrent4_bare_unified_ratio"])
    report(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
