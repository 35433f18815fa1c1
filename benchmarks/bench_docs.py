"""Local documents: how fast a folder is indexed, how fast a question finds its passages, how
often it finds the right page, and how much memory indexing a big folder takes.

    .venv/bin/python benchmarks/bench_docs.py [--quick] [--runs 3] [--json out.json]

- ``docs_index_mb_per_s``: keyword index (read, chunk, SQLite FTS5) of a real corpus, from an
  empty index: the distribution's Python documentation in HTML when ``python3-doc`` is
  installed, else the Language Reference topics CPython ships (``docs_recall_corpus`` says
  which); bytes of the files read over the wall time of ``index_collection``.
- ``docs_recall_at_5``: share of the corpus's question set (``tests/core/docs/``) whose answer
  page is among the first 5 distinct files found by keyword search alone; goal ≥ 0.8.
  ``docs_recall_at_5_passages`` counts only the first 5 passages themselves;
  ``docs_recall_at_5_pydoc`` is the figure on the pydoc topics, the test suite's corpus.
- ``docs_query_p95_ms``: ``search_collections`` (k = 6, the app's default) over an index of at
  least 10,000 chunks of corpus text, the question set asked warm, several rounds; goal < 50 ms.
- ``docs_index_peak_rss_mb_above_idle``: peak resident memory, sampled every 20 ms from a
  thread, while a fresh process indexes a generated 1 GB folder (100 MB with ``--quick``) of
  text files, over its resident memory just before; goal < 300 MB. The folder is the corpus's
  paragraphs shuffled with one seed per file, in files of 10 KB to 20 MB; it is deleted
  afterwards. The same run gives ``docs_index_mb_per_s_large`` and ``docs_query_p95_ms_large``.
- ``docs_embed_chunks_per_s``: chunks embedded per second by an installed embedding model, else
  the tiny random-weight test model (``docs_embed_model`` names it), batches of 32.
- ``docs_vector_scan_p95_ms``: the NumPy cosine top-k over 10,000 vectors of 384 floats;
  ``docs_vector_scan_sqlite_vec_p95_ms`` the same inside SQLite with sqlite-vec, null where the
  Python build cannot load SQLite extensions.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import docs_corpus  # noqa: E402
from figures import report, spread  # noqa: E402

from openchat_desktop.core.docs.collections import DocsLibrary  # noqa: E402
from openchat_desktop.core.docs.indexer import collection_stats, index_collection  # noqa: E402
from openchat_desktop.core.docs.search import search_collections  # noqa: E402

MB = 1_000_000
QUERY_K = 6  # the docs_top_k setting's default
QUERY_CHUNKS = 10_000
QUERY_ROUNDS = 5
Figures = dict[str, Any]  # numbers, and a few names and notes


class PeakRss:
    """Samples this process's resident memory from a thread; ``peak`` is the highest seen."""

    def __init__(self, interval_s: float = 0.02) -> None:
        import psutil

        self._process = psutil.Process()
        self._interval = interval_s
        self._stop = threading.Event()
        self.peak = self.now()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        return int(self._process.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def timed_index(library: DocsLibrary, name: str) -> tuple[float, int, int]:
    """(seconds, bytes read, chunks) of indexing ``name`` from where its index stands."""
    started = time.perf_counter()
    result = index_collection(library, name)
    seconds = time.perf_counter() - started
    return seconds, result.bytes_read, result.chunks


def query_times_ms(library: DocsLibrary, name: str, queries: Sequence[str],
                   rounds: int = QUERY_ROUNDS) -> list[float]:
    """Milliseconds of each search, after one warm-up round."""
    for query in queries:
        search_collections(library, [name], query, k=QUERY_K)
    times = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            search_collections(library, [name], query, k=QUERY_K)
            times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def corpus(tmp: Path) -> tuple[str, Path, list[docs_corpus.Question], Callable[[Path], str]]:
    """(name, folder, questions, page of a file): the HTML documentation where installed."""
    html = docs_corpus.python_doc_html()
    if html is not None:
        return ("python3-doc HTML", html, docs_corpus.html_questions(),
                lambda path: docs_corpus.page_id(path, html))
    folder = docs_corpus.write_pydoc_corpus(tmp / "pydoc-topics")
    return ("pydoc topics", folder, docs_corpus.pydoc_questions(),
            lambda path: docs_corpus.page_id(path, folder))


def pydoc_recall(tmp: Path) -> float:
    """Recall@5 on the pydoc topics, the test suite's corpus, whichever corpus the rest uses."""
    folder = docs_corpus.write_pydoc_corpus(tmp / "pydoc-recall")
    library = DocsLibrary(tmp / "pydoc-library")
    library.create("pydoc", [folder])
    index_collection(library, "pydoc")
    return docs_corpus.measure_recall(
        lambda text: search_collections(library, ["pydoc"], text, k=30),
        docs_corpus.pydoc_questions(), lambda path: docs_corpus.page_id(path, folder)).at_k


def index_and_recall(tmp: Path, runs: int) -> Figures:
    name, folder, questions, page_of = corpus(tmp)
    speeds, seconds, bytes_read = [], 0.0, 0
    for run in range(runs):
        library = DocsLibrary(tmp / f"library-{run}")
        library.create("corpus", [folder])
        seconds, bytes_read, _ = timed_index(library, "corpus")
        speeds.append(bytes_read / MB / seconds)
        if seconds > 60:  # a big corpus: one run says enough
            break
    recall = docs_corpus.measure_recall(
        lambda text: search_collections(library, ["corpus"], text, k=30), questions, page_of)
    print(f"recall misses ({name}):\n{recall.describe_misses()}", flush=True)
    stats = collection_stats(library, "corpus")
    return {**spread("docs_index_mb_per_s", speeds), "docs_index_corpus_mb": bytes_read / MB,
            "docs_index_corpus_s": seconds, "docs_recall_at_5": recall.at_k,
            "docs_recall_at_5_passages": recall.passages_at_k,
            "docs_recall_questions": recall.questions, "docs_recall_files": stats.files,
            "docs_recall_skipped": len(stats.skipped), "docs_recall_corpus": name,
            "docs_recall_at_5_pydoc": pydoc_recall(tmp)}


def pydoc_paragraphs(tmp: Path) -> list[str]:
    return docs_corpus.corpus_paragraphs(docs_corpus.write_pydoc_corpus(tmp / "paragraphs"))


def query_latency(tmp: Path) -> Figures:
    """p95 of keyword searches over an index of at least QUERY_CHUNKS chunks."""
    paragraphs = pydoc_paragraphs(tmp)
    library = DocsLibrary(tmp / "query-library")
    size = 14 * MB  # chunks of about 1,200 characters with overlap: over 10,000 of them
    for seed in range(1, 10):  # too few chunks (other chunk sizes): add a folder of the same
        folder = tmp / f"query-folder-{seed}"
        docs_corpus.write_generated_folder(folder, paragraphs, size, seed=seed)
        if seed == 1:
            library.create("queries", [folder])
        else:
            library.add_sources("queries", [folder])
        index_collection(library, "queries")
        chunks = collection_stats(library, "queries").chunks
        if chunks >= QUERY_CHUNKS:
            break
    queries = [q.text for q in docs_corpus.pydoc_questions()]
    times = query_times_ms(library, "queries", queries)
    return {"docs_query_p95_ms": p95(times), "docs_query_p50_ms": statistics.median(times),
            "docs_query_chunks": chunks}


def memory_child(folder: Path, library_root: Path) -> None:
    """In a fresh process: index ``folder`` while sampling memory; print the figures."""
    library = DocsLibrary(library_root)
    library.create("big", [folder])
    gc.collect()
    with PeakRss() as rss:
        idle = rss.now()
        seconds, bytes_read, chunks = timed_index(library, "big")
    # A query over a million chunks can take seconds: fewer of them.
    times = query_times_ms(library, "big",
                           [q.text for q in docs_corpus.pydoc_questions()][:20], rounds=1)
    print(json.dumps({"docs_index_peak_rss_mb_above_idle": (rss.peak - idle) / 2**20,
                      "docs_index_idle_rss_mb": idle / 2**20,
                      "docs_index_mb_per_s_large": bytes_read / MB / seconds,
                      "docs_index_large_s": seconds, "docs_index_large_chunks": chunks,
                      "docs_query_p95_ms_large": p95(times)}), flush=True)


def memory(tmp: Path, folder_mb: int) -> Figures:
    folder = tmp / "big-folder"
    files = docs_corpus.write_generated_folder(folder, pydoc_paragraphs(tmp), folder_mb * MB,
                                               seed=1)
    try:
        out = subprocess.run([sys.executable, __file__, "--child-memory", str(folder),
                              str(tmp / "big-library")], check=True, stdout=subprocess.PIPE,
                             text=True).stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(tmp / "big-library", ignore_errors=True)
    return {**json.loads(out.strip().splitlines()[-1]), "docs_memory_folder_mb": folder_mb,
            "docs_memory_files": files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="index a 100 MB folder for the memory figure instead of 1 GB")
    parser.add_argument("--runs", type=int, default=3, help="indexing runs of the corpus")
    parser.add_argument("--only", help="comma-separated subset: index,query,memory,embed")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child-memory", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        return memory_child(*args.child_memory)
    chosen = set(args.only.split(",")) if args.only else {"index", "query", "memory", "embed"}
    figures: Figures = {"docs_load_average_1m": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="openchat-bench-docs-") as tmp:
        if "index" in chosen:
            figures.update(index_and_recall(Path(tmp), args.runs))
        if "query" in chosen:
            figures.update(query_latency(Path(tmp)))
        if "memory" in chosen:
            figures.update(memory(Path(tmp), 100 if args.quick else 1000))
        if "embed" in chosen:
            from bench_docs_vectors import embedding_figures

            figures.update(embedding_figures(Path(tmp)))
    figures["docs_load_average_1m_end"] = os.getloadavg()[0]
    numbers = {k: v for k, v in figures.items() if isinstance(v, int | float)}
    report(numbers, None)
    for key, value in figures.items():
        if key not in numbers:
            print(f"{key:30} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return None


if __name__ == "__main__":
    main()
