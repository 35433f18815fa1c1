"""Generation speed through the engine vs a bare llama-cpp-python token loop.

Same model, prompt, seed, sampling and token count; one warm-up run of each, then A/B runs
interleaved in alternating order (ABBA...) so that drift in CPU speed hits both alike. The
ratio is the median of the per-pair ratios; min and max are shown. Both loops are timed from
the first sampled token to the last (the prompt is not part of generation speed).
Run on a quiet machine: OpenMP threads slow down badly when another process competes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import decode_clock
import llama_cpp
from figures import spread

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import starter_model_path

PROMPT = "Write a long story about a lighthouse keeper and a storm."
SAMPLING = SamplingSettings(temperature=0.8, seed=1234, max_tokens=200, repeat_penalty=1.1)


def bare_loop(llm: llama_cpp.Llama, tokens: list[int], limit: int,
              sampling: SamplingSettings = SAMPLING) -> tuple[int, float]:
    """The reference: llama-cpp-python's own generate(), nothing else per token.

    Returns (tokens generated, seconds from the first token to the last)."""
    llm.reset()
    llm.set_seed(sampling.seed)
    llm.last_n_tokens_size = sampling.repeat_last_n
    llm.eval(tokens)
    count, first, last = 0, 0.0, 0.0
    vocab = llm._model.vocab
    for token in llm.generate(tokens, top_k=sampling.top_k, top_p=sampling.top_p,
                              min_p=sampling.min_p, temp=sampling.temperature,
                              repeat_penalty=sampling.repeat_penalty):
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        llm.detokenize([token])
        count += 1
        last = time.perf_counter()
        if count == 1:
            first = last
        if count >= limit:
            break
    return count, last - first


def engine_loop(engine: Engine, limit: int) -> tuple[int, float]:
    """The engine's stream, timed the same way as ``bare_loop``."""
    engine._llm.reset()
    sampling = replace(SAMPLING, max_tokens=limit)
    count, first, last = 0, 0.0, 0.0
    generation = engine.stream([ChatMessage("user", PROMPT)], sampling)
    for _ in generation:
        last = time.perf_counter()
        if not first:
            first = last
    count = generation.stats.generated_tokens
    return count, last - first


def per_second(count: int, seconds: float) -> float:
    return (count - 1) / seconds if seconds > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    threads = physical_cores()
    engine = Engine(LoadSettings(args.model, ctx_size=2048, threads=threads))
    tokens = engine.tokenize_prompt([ChatMessage("user", PROMPT)])
    bare = llama_cpp.Llama(str(args.model), n_ctx=2048, n_threads=threads,
                           n_batch=engine.settings.n_batch, flash_attn=True, verbose=False)
    # Warm-up, and the token count both will produce (the engine ends at EOS or a stop string).
    limit, _ = engine_loop(engine, SAMPLING.max_tokens)
    bare_loop(bare, tokens, limit)
    decode_clock.install()
    bare_rates, engine_rates, ratios = [], [], []
    gaps: dict[str, list[float]] = {"bare": [], "engine": []}
    for run in range(args.runs):
        order = ("bare", "engine") if run % 2 == 0 else ("engine", "bare")
        rates = {}
        for which in order:
            decode_clock.start()
            if which == "bare":
                n, seconds = bare_loop(bare, tokens, limit)
            else:
                n, seconds = engine_loop(engine, limit)
            if n != limit:
                raise SystemExit(f"{which} generated {n} tokens, not {limit}")
            rates[which] = per_second(n, seconds)
            gaps[which].append(decode_clock.gap_ms())
        bare_rates.append(rates["bare"])
        engine_rates.append(rates["engine"])
        ratios.append(rates["engine"] / rates["bare"])
    figures = {"bare_tokens_per_s": statistics.median(bare_rates),
               "engine_tokens_per_s": statistics.median(engine_rates),
               **spread("gen_ratio_engine", ratios),
               "gen_tokens_count": limit, "threads_count": threads,
               **spread("gen_host_gap_engine_ms", gaps["engine"]),
               **spread("gen_host_gap_engine_bare_ms", gaps["bare"])}
    for name, series in (("bare llama-cpp-python", bare_rates), ("engine", engine_rates)):
        print(f"{name:22} median {statistics.median(series):7.2f} tok/s "
              f"(min {min(series):.2f}, max {max(series):.2f}, {args.runs} runs, {limit} tokens)")
    print(f"host time per token (between decodes): engine "
          f"{figures['gen_host_gap_engine_ms']:.3f} ms, bare "
          f"{figures['gen_host_gap_engine_bare_ms']:.3f} ms")
    print(f"ratio engine/bare: median {figures['gen_ratio_engine']:.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
