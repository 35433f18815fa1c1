"""Run every benchmark, each in its own process, and print one table; writes bench-results.json.

    .venv/bin/python benchmarks/run_all.py [--only engine,ui] [--out bench-results.json]

Every sub-benchmark writes flat JSON (figure -> number, with ``_min``/``_max`` beside the
median of several runs). A missed goal is reported, never fatal: the exit status is non-zero
only when a benchmark crashed. Run on a quiet machine; llama.cpp's threads slow down badly when
another process competes for the cores, so each benchmark waits (a while) for idle CPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUIET_BUSY = 0.3  # of all CPUs
Results = dict[str, float | str | None]


@dataclass(frozen=True)
class Goal:
    key: str
    compared_with: str  # may name other keys of the results as {key}
    op: str  # "<=", ">=", "<", ">" or "" (no goal: shown for what it explains)
    value: float
    unit: str = ""


GOALS = (
    Goal("gen_ratio_engine", "bare llama-cpp-python loop {bare_tokens_per_s:.1f} tok/s", ">=",
         0.98),
    Goal("gen_ratio_gui", "same bare loop {gui_bare_tokens_per_s:.1f} tok/s", ">=", 0.97),
    Goal("ttft_ratio_turn20", "turn 1: {ttft_turn1_ms:.0f} ms, turn 20: {ttft_turn20_ms:.0f} ms; "
         "llama.cpp alone {ttft_turn1_bare_eval_ms:.0f} / {ttft_turn20_bare_eval_ms:.0f} ms",
         "<=", 1.3),
    Goal("ui_stall_p99_ms", "300 tok/s into 2,000 messages", "<", 16, " ms"),
    Goal("ui_stall_max_ms", "same run", "<", 50, " ms"),
    Goal("startup_window_s", "import PySide6.QtWidgets {startup_qt_import_s:.2f} s", "<", 1.5,
         " s"),
    Goal("open_conversation_ms", "2,000 messages", "<", 150, " ms"),
    Goal("rss_overhead_mb", "window, model file {model_file_mb:.0f} MB; terminal "
         "{rss_overhead_terminal_mb:.0f} MB; whole 4,096-token cache "
         "{rss_overhead_reserved_mb:.0f} MB", "<", 200, " MB"),
    Goal("stop_latency_gen_ms", "during generation", "<", 100, " ms"),
    Goal("stop_latency_prompt_ms", "during a 2,000-token prompt", "<", 500, " ms"),
    Goal("download_ratio_curl", "curl {curl_mb_per_s:.0f} MB/s", ">=", 0.9),
    Goal("api_gen_ratio", "engine alone {api_engine_tokens_per_s:.1f} tok/s, openai client "
         "streaming", ">=", 0.95),
    Goal("api_ttft_overhead_ms", "first token via the API minus via the queue", "<=", 20,
         " ms"),
    Goal("api_disconnect_stop_ms", "client hang-up to the model thread idle", "<=", 100,
         " ms"),
    Goal("api_ui_stall_p99_ms", "window frames while an API stream runs", "<", 16, " ms"),
    Goal("remote_gen_ratio", "openai client {remote_openai_tokens_per_s:.1f} tok/s from the "
         "same llama_cpp.server", ">=", 0.97),
    Goal("remote_stop_ms", "Stop in the window to the server's connection closed", "<=", 100,
         " ms"),
    Goal("resume_ttft_ratio_switch", "first token back in a {resume_prompt_tokens:.0f}-token "
         "conversation after another one, over reading it from scratch", "<=", 0.1),
    Goal("resume_ttft_ratio_restart", "same, from the disk cache after the engine closed",
         "<=", 0.1),
    Goal("concurrent4_throughput_ratio", "one client alone {concurrent1_tokens_per_s:.0f} "
         "tok/s; bare batched decode of 4 over 1: {concurrent4_bare_batched_ratio:.2f}", ">=",
         1.3),
    Goal("concurrent4_of_ceiling", "our ratio over the bare batched decode's", ">=", 0.9),
    Goal("concurrent4_fairness", "slowest of 4 clients over the fastest", ">=", 0.67),
    Goal("concurrent4_throughput_ratio_shared", "--parallel-shared (one KV buffer, not "
         "bit-identical); bare unified decode {concurrent4_bare_unified_ratio:.2f}, fairness "
         "{concurrent4_fairness_shared:.2f}", ">=", 1.3),
    Goal("docs_recall_at_5", "{docs_recall_questions:.0f} questions over the "
         "{docs_recall_corpus} ({docs_recall_files:.0f} files), keyword search alone", ">=",
         0.8),
    Goal("docs_query_p95_ms", "keyword search, {docs_query_chunks:.0f} chunks, warm", "<", 50,
         " ms"),
    Goal("docs_index_peak_rss_mb_above_idle", "indexing a {docs_memory_folder_mb:.0f} MB "
         "folder of {docs_memory_files:.0f} text files", "<", 300, " MB"),
    # Figures with no goal of their own: they explain the ones above, or measure what those
    # leave out (how fast a long prompt is read).
    Goal("gen_host_gap_gui_ms", "host time per token between decodes: bare loop "
         "{gen_host_gap_bare_ms:.2f} ms; engine {gen_host_gap_engine_ms:.2f} ms against "
         "{gen_host_gap_engine_bare_ms:.2f} ms", "", 0, " ms"),
    Goal("ui_thread_busy_pct", "GUI thread's share of a core, 300 tok/s streaming", "", 0,
         "%"),
    Goal("download_hash_ceiling", "SHA-256 alone, one thread, {sha256_mb_per_s:.0f} MB/s, over "
         "curl: the most a download verified as it arrives can reach", "", 0),
    Goal("download_ratio_curl_1gbit", "curl, both with the server capped at 1 Gbit/s", "", 0),
    Goal("prompt_ratio_engine", "one bare eval of the {prompt_tokens:.0f}-token prompt, "
         "{prompt_bare_tokens_per_s:.0f} tok/s", "", 0),
    Goal("docs_index_mb_per_s", "keyword index of the {docs_recall_corpus}; the "
         "{docs_memory_folder_mb:.0f} MB folder: {docs_index_mb_per_s_large:.1f} MB/s", "", 0,
         " MB/s"),
    Goal("docs_embed_chunks_per_s", "{docs_embed_model}, batches of 32; vector scan of 10,000: "
         "NumPy {docs_vector_scan_p95_ms:.1f} ms", "", 0),
)

# name, script, arguments (the JSON path is appended)
BENCHMARKS: tuple[tuple[str, str, list[str]], ...] = (
    ("engine", "bench_engine.py", ["--runs", "6"]),
    ("figures", "bench_engine_figures.py", []),
    ("gui", "bench_gui_stream.py", ["--runs", "10"]),
    ("memory", "bench_memory.py", ["--runs", "3"]),
    ("ui", "bench_ui.py", ["--runs", "3"]),
    ("startup", "bench_startup.py", ["--runs", "5"]),
    ("download", "bench_download.py", ["--runs", "5", "--ratio-only"]),
    ("api", "bench_api.py", ["--runs", "5"]),
    ("remote", "bench_remote.py", ["--runs", "5"]),
    ("resume", "bench_resume.py", ["--runs", "3"]),
    ("concurrent", "bench_concurrent.py", ["--runs", "3"]),
    ("docs", "bench_docs.py", ["--runs", "3"]),
)


def busy_fraction(seconds: float = 1.0) -> float:
    """How busy the CPUs are right now (0..1), from /proc/stat over ``seconds``; the load
    average would still count the benchmark that just ended for a minute."""
    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):  # not Linux
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(max_wait_s: float) -> float:
    """Wait until the CPUs are mostly idle (or give up); returns the busy fraction."""
    deadline = time.monotonic() + max_wait_s
    busy = busy_fraction()
    while busy >= QUIET_BUSY and time.monotonic() < deadline:
        busy = busy_fraction(3.0)
    return busy


def run_one(name: str, script: str, args: list[str], max_wait_s: float) -> Results:
    busy = wait_for_quiet(max_wait_s)
    note = "" if busy < QUIET_BUSY else f" (CPUs {busy:.0%} busy: figures may be low)"
    print(f"-- {name}{note}", flush=True)
    with tempfile.TemporaryDirectory(prefix="openchat-bench-") as tmp:
        out = Path(tmp) / "figures.json"
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(out)],
                              env=env, check=False)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"benchmark {name} failed (exit {proc.returncode})")
        figures = json.loads(out.read_text())
    print(f"   {time.perf_counter() - started:.0f} s", flush=True)
    # Figures are numbers; a few benchmarks add a name (which corpus) or null (not measurable).
    return {key: value if value is None or isinstance(value, str) else float(value)
            for key, value in figures.items()}


def met(goal: Goal, value: float) -> bool:
    return {"<=": value <= goal.value, ">=": value >= goal.value,
            "<": value < goal.value, ">": value > goal.value}[goal.op]


def fmt(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"


def table(results: Results) -> list[str]:
    rows = [("figure", "ours: median (min-max)", "compared with", "goal", "met?")]
    for goal in GOALS:
        value = results.get(goal.key)
        if not isinstance(value, float):
            target = f"{goal.op} {goal.value:g}{goal.unit}" if goal.op else "-"
            rows.append((goal.key, "not run", "", target, "-"))
            continue
        spread = ""
        low, high = results.get(f"{goal.key}_min"), results.get(f"{goal.key}_max")
        if isinstance(low, float) and isinstance(high, float):
            spread = f" ({fmt(low)}-{fmt(high)})"
        try:
            against = goal.compared_with.format(**results)
        except (KeyError, ValueError, TypeError):  # a figure not run, or a name, or null
            against = goal.compared_with.split("{")[0].strip()
        if not goal.op:
            rows.append((goal.key, f"{fmt(value)}{goal.unit}{spread}", against, "-", "-"))
            continue
        rows.append((goal.key, f"{fmt(value)}{goal.unit}{spread}", against,
                     f"{goal.op} {goal.value:g}{goal.unit}", "yes" if met(goal, value) else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return lines


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated subset: " +
                        ",".join(name for name, _, _ in BENCHMARKS))
    parser.add_argument("--out", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--max-wait", type=float, default=120,
                        help="seconds to wait for a quiet machine before each benchmark")
    args = parser.parse_args()
    chosen = set(args.only.split(",")) if args.only else None
    results: Results = {}
    crashed = []
    for name, script, extra in BENCHMARKS:
        if chosen is not None and name not in chosen:
            continue
        try:
            results.update(run_one(name, script, extra, args.max_wait))
        except (RuntimeError, ValueError, OSError) as exc:
            print(f"   {exc}", file=sys.stderr)
            crashed.append(name)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\n{cpu_model()}, {os.cpu_count()} logical CPUs, Python "
          f"{platform.python_version()}, {platform.system()}")
    print("\n".join(table(results)))
    print(f"\nAll figures: {args.out}" + (f"; crashed: {', '.join(crashed)}" if crashed else ""))
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
