"""Generation speed through the engine vs a bare llama-cpp-python token loop.

Same model, prompt, seed and sampling; prints median/min/max tokens/s of each and the ratio.
Run on a quiet machine: OpenMP threads slow down badly when another process competes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import llama_cpp

from openchat_desktop.core.engine import Engine
from openchat_desktop.core.paths import starter_model_path
from openchat_desktop.core.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.templates import ChatMessage

PROMPT = "Write a long story about a lighthouse keeper and a storm."
SAMPLING = SamplingSettings(temperature=0.8, seed=1234, max_tokens=200, repeat_penalty=1.1)


def bare_loop(llm: llama_cpp.Llama, tokens: list[int]) -> tuple[int, float]:
    """The reference: llama-cpp-python's own generate(), nothing else per token."""
    llm.reset()
    llm.set_seed(SAMPLING.seed)
    llm.eval(tokens)
    started = time.perf_counter()
    count = 0
    vocab = llm._model.vocab
    for token in llm.generate(tokens, top_k=SAMPLING.top_k, top_p=SAMPLING.top_p,
                              min_p=SAMPLING.min_p, temp=SAMPLING.temperature,
                              repeat_penalty=SAMPLING.repeat_penalty):
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        llm.detokenize([token])
        count += 1
        if count >= SAMPLING.max_tokens:
            break
    return count, time.perf_counter() - started


def engine_loop(engine: Engine) -> tuple[int, float, int]:
    engine._llm.reset()
    generation = engine.stream([ChatMessage("user", PROMPT)], SAMPLING)
    for _ in generation:
        pass
    stats = generation.stats
    return stats.generated_tokens, stats.generation_seconds, stats.prompt_evaluated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    threads = physical_cores()
    engine = Engine(LoadSettings(args.model, ctx_size=2048, threads=threads))
    tokens = engine.tokenize_prompt([ChatMessage("user", PROMPT)])
    bare = llama_cpp.Llama(str(args.model), n_ctx=2048, n_threads=threads, flash_attn=True,
                           verbose=False)
    bare_rates, engine_rates = [], []
    for _ in range(args.runs):
        n, seconds = bare_loop(bare, tokens)
        bare_rates.append(n / seconds)
        n_engine, seconds, _ = engine_loop(engine)
        engine_rates.append(n_engine / seconds)
    figures = {"bare_tokens_per_s": statistics.median(bare_rates),
               "engine_tokens_per_s": statistics.median(engine_rates),
               "gen_ratio_engine": statistics.median(engine_rates) / statistics.median(bare_rates),
               "tokens": n, "threads": threads}
    for name, rates in (("bare llama-cpp-python", bare_rates), ("engine", engine_rates)):
        print(f"{name:22} median {statistics.median(rates):7.2f} tok/s "
              f"(min {min(rates):.2f}, max {max(rates):.2f}, {args.runs} runs)")
    print(f"ratio engine/bare: {figures['gen_ratio_engine']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
