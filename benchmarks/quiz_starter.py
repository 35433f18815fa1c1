"""How well the starter model answers simple questions under different sampling settings.

Ten simple questions a new user might ask first, each asked in a fresh conversation (no
system prompt, as in a new chat), under each candidate setting and several seeds. An answer
counts as right when it contains one of the question's keywords (case-insensitive). The
"old" candidate is the app's defaults from the settings schema; the others are the model
card's example settings and a few lower temperatures. Prints a table and, with --json,
writes the figures.

    .venv/bin/python benchmarks/quiz_starter.py [--seeds 5] [--model PATH] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import starter_model_path

# (question, keywords any of which makes the answer right)
QUIZ: list[tuple[str, tuple[str, ...]]] = [
    ("What is the capital of France?", ("paris",)),
    ("What is 2 + 2?", ("4", "four")),
    ("What color is the sky on a clear day?", ("blue",)),
    ("How many days are there in a week?", ("7", "seven")),
    ("What is the largest planet in our solar system?", ("jupiter",)),
    ("What is the opposite of hot?", ("cold",)),
    ("Which animal says 'meow'?", ("cat", "kitten")),
    ("What is the capital of Japan?", ("tokyo",)),
    ("How many legs does a spider have?", ("8", "eight")),
    ("What do bees make?", ("honey",)),
]

CANDIDATES: dict[str, dict[str, Any]] = {
    "old (app defaults)": {},
    "card (t0.2 p0.9)": {"temperature": 0.2, "top_p": 0.9},
    "t0.2 p0.9 rp1.0": {"temperature": 0.2, "top_p": 0.9, "repeat_penalty": 1.0},
    "t0.4 p0.9": {"temperature": 0.4, "top_p": 0.9},
    "greedy (t0)": {"temperature": 0.0},
}
MAX_TOKENS = 64


def is_right(answer: str, keywords: tuple[str, ...]) -> bool:
    """Whether ``answer`` contains one of ``keywords`` as a word (digits: anywhere)."""
    text = f" {answer.lower()} "
    for word in keywords:
        if word.isdigit():
            if word in text:
                return True
        elif any(f"{left}{word}{right}" in text for left in " (\"'*" for right in " .,!?)\"'*s"):
            return True
    return False


def ask(engine: Engine, question: str, sampling: SamplingSettings) -> str:
    """One answer in a fresh conversation (the KV cache is emptied first)."""
    engine._llm.reset()
    generation = engine.stream([ChatMessage("user", question)], sampling)
    return "".join(generation).strip()


def run(engine: Engine, seeds: list[int], verbose: bool) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, changes in CANDIDATES.items():
        scores: list[int] = []
        started = time.monotonic()
        for seed in seeds:
            sampling = SamplingSettings(max_tokens=MAX_TOKENS, seed=seed).with_changes(**changes)
            right = 0
            for question, keywords in QUIZ:
                answer = ask(engine, question, sampling)
                ok = is_right(answer, keywords)
                right += ok
                if verbose:
                    print(f"  [{name} seed {seed}] {'OK ' if ok else 'BAD'} {question} -> "
                          f"{answer[:100]!r}")
            scores.append(right)
        results[name] = {
            "settings": changes, "scores": scores, "mean": statistics.mean(scores),
            "min": min(scores), "max": max(scores),
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"{name:22} mean {statistics.mean(scores):4.1f}/10  "
              f"min {min(scores)}  max {max(scores)}  per seed {scores}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--verbose", action="store_true", help="print every answer")
    args = parser.parse_args()
    if args.model is None:
        parser.error("no starter model found; pass --model PATH.gguf")
    engine = Engine(LoadSettings(model_path=args.model, ctx_size=1024))
    seeds = [1000 + i for i in range(args.seeds)]
    print(f"model {args.model.name}, {len(QUIZ)} questions, seeds {seeds}, "
          f"app defaults: {SamplingSettings().to_dict()}")
    results = run(engine, seeds, args.verbose)
    engine.close()
    if args.json:
        args.json.write_text(json.dumps({"model": args.model.name, "seeds": seeds,
                                         "results": results}, indent=2))


if __name__ == "__main__":
    main()
