"""``openchat docs …``: collections of local documents in the terminal.

add, list, rm, reindex, search. Indexing shows one self-rewriting progress line on a terminal
(plain lines, now and then, when the output is a pipe or a file); Ctrl-C stops it cleanly,
keeping every file read so far. Every failure ends with one line on stderr and a non-zero
exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

from openchat_desktop.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    fail,
    load_settings,
    run_subcommand,
)
from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.docs.context import citation_location
from openchat_desktop.core.docs.types import (
    IndexProgress,
    IndexReport,
    Passage,
    SkippedFile,
    TextEmbedder,
)
from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY
from openchat_desktop.core.sizes import format_duration, format_size, format_speed

_TOP_K = SETTINGS_BY_KEY["docs.top_k"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``docs`` and its sub-commands on an argparse ``subparsers`` object."""
    docs = subparsers.add_parser(
        "docs", help="collections of your own documents to chat with",
        description="Collections of local folders and files (PDF, DOCX, Markdown, text, HTML, "
                    "source code), indexed on this computer for `openchat chat --docs NAME`.")
    commands = docs.add_subparsers(dest="docs_command", metavar="ACTION")
    add = commands.add_parser("add", help="create a collection or add folders and files to one, "
                              "and index them")
    add.add_argument("name")
    add.add_argument("paths", nargs="+", metavar="PATH")
    listing = commands.add_parser("list", help="collections, their size and when indexed")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    remove = commands.add_parser("rm", help="remove a collection and its index (your files "
                                 "are left alone)")
    remove.add_argument("name")
    reindex = commands.add_parser("reindex", help="read the added and changed files again")
    reindex.add_argument("name")
    search = commands.add_parser("search", help="the passages that best match a query")
    search.add_argument("name")
    search.add_argument("query")
    search.add_argument("-k", type=int, metavar="N", help="how many passages (default: the "
                        f"docs.top_k setting, {_TOP_K.default})")
    search.add_argument("--json", action="store_true", help="print a JSON list")
    docs.set_defaults(docs_parser=docs, run=run_docs)
    return docs


def run_docs(args: argparse.Namespace) -> int:
    """Run the parsed ``docs`` command; returns the exit code (never raises)."""
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "add": _add, "list": _list, "rm": _rm, "reindex": _reindex, "search": _search}
    return run_subcommand(args, "docs", handlers)


def docs_library() -> DocsLibrary:
    """The profile's collections. The indexing and search code (readers, SQLite, NumPy) is
    imported by the commands that use it, so ``openchat`` itself starts as fast as before."""
    from openchat_desktop.cli.docs_lookup import docs_library as library

    return library()


def strip_control(text: str) -> str:
    """``text`` without terminal control sequences (file names and passages are untrusted)."""
    # Deferred: the terminal chat's module pulls in the template engine.
    from openchat_desktop.cli.terminal import strip_control as strip

    return strip(text)


def _add(args: argparse.Namespace) -> int:
    from openchat_desktop.cli.docs_lookup import embedder_from

    library = docs_library()
    # The embedding model first: when it cannot load, the collections stay as they were.
    with embedder_from(load_settings(), "documents") as embedder:
        existing = {c.name.casefold() for c in library.list()}
        if args.name.strip().casefold() in existing:
            collection = library.add_sources(args.name, args.paths)
        else:
            collection = library.create(args.name, args.paths)
            print(f"Created collection '{collection.name}'.")
        return _index(library, collection.name, embedder)


def _reindex(args: argparse.Namespace) -> int:
    from openchat_desktop.cli.docs_lookup import embedder_from

    library = docs_library()
    name = library.get(args.name).name
    with embedder_from(load_settings(), "documents") as embedder:
        return _index(library, name, embedder)


def _rm(args: argparse.Namespace) -> int:
    library = docs_library()
    name = library.get(args.name).name
    library.remove(name)
    print(f"Removed collection '{name}' and its index (your files were not touched).")
    return EXIT_OK


def _index(library: DocsLibrary, name: str, embedder: TextEmbedder | None) -> int:
    """Index ``name`` on a helper thread so Ctrl-C on this one can cancel it cleanly."""
    from openchat_desktop.core.docs.indexer import collection_stats, index_collection

    line = ProgressLine(name)
    cancel = threading.Event()
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["report"] = index_collection(library, name, on_progress=line.update,
                                                 cancel=cancel, embedder=embedder)
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="docs-index", daemon=True).start()
    _wait(done, cancel, line)
    line.close()
    if "error" in outcome:
        raise outcome["error"]
    report: IndexReport = outcome["report"]
    _print_report(name, report)
    _print_skipped(report.skipped + [s for s in collection_stats(library, name).skipped
                                     if s.path not in {r.path for r in report.skipped}])
    if report.cancelled:
        print(f"What was read so far is kept; `openchat docs reindex {name}` reads the rest.")
    return EXIT_INTERRUPTED if report.cancelled else EXIT_OK


def _wait(done: threading.Event, cancel: threading.Event, line: ProgressLine) -> None:
    """Wait for the indexing thread; the first Ctrl-C asks it to stop after the current
    file (what it read stays in the index), a second one gives up waiting."""
    # An Event, not Thread.join: a join interrupted by Ctrl-C may leave the thread looking
    # finished while it still runs (CPython issue gh-90882).
    while True:
        try:  # around the whole loop: Ctrl-C lands between any two steps of it
            while not done.wait(0.2):
                pass
            return
        except KeyboardInterrupt:
            if cancel.is_set():
                raise
            cancel.set()
            line.note("Stopping after the current file… (Ctrl-C again to quit at once)")


def _print_report(name: str, report: IndexReport) -> None:
    rate = report.bytes_read / report.elapsed_s if report.elapsed_s > 0 else 0.0
    verb = "Stopped indexing" if report.cancelled else "Indexed"
    print(f"{verb} '{name}': {report.added} added, {report.updated} updated, "
          f"{report.removed} removed, {report.unchanged} unchanged; {report.chunks} passages "
          f"from {format_size(report.bytes_read)} in {report.elapsed_s:.1f} s "
          f"({format_speed(rate)}).")


def _print_skipped(skipped: list[SkippedFile]) -> None:
    """Every file left out of the index, this time or before, with its reason."""
    if skipped:
        print(f"Skipped {len(skipped)} file{'s' if len(skipped) > 1 else ''}:")
    for item in skipped:
        print(f"  {strip_control(str(item.path))}: {strip_control(item.reason)}")


class ProgressLine:
    """Indexing progress on ``stream``: one line rewritten in place (at most 4 times a
    second) on a terminal, else a plain line every few seconds."""

    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.min_interval = 0.25 if self.tty else 5.0
        self._last = float("-inf")
        self._open = False
        self._lock = threading.Lock()  # updates come from the indexing thread

    def update(self, progress: IndexProgress) -> None:
        now = time.monotonic()
        finished = progress.files_done >= progress.files_total
        with self._lock:
            if now - self._last < self.min_interval and not (finished and self.tty):
                return
            self._last = now
            self._emit(self.render(progress))

    def render(self, progress: IndexProgress) -> str:
        """The line for ``progress``: files done / total, speed, time left."""
        return (f"Indexing {self.name}: {progress.files_done}/{progress.files_total} files  "
                f"{format_size(progress.bytes_done)} / {format_size(progress.bytes_total)}  "
                f"{format_speed(progress.bytes_per_s)}  "
                f"{format_duration(progress.seconds_left)} left")

    def note(self, text: str) -> None:
        with self._lock:
            self._emit(text)

    def close(self) -> None:
        """End the rewritten line, so what follows starts on a line of its own."""
        with self._lock:
            if self._open:
                self.stream.write("\n")
                self.stream.flush()
                self._open = False

    def _emit(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + strip_control(text) + "\x1b[K")
            self._open = True
        else:
            self.stream.write(strip_control(text) + "\n")
        self.stream.flush()


def _list(args: argparse.Namespace) -> int:
    from openchat_desktop.core.docs.indexer import collection_stats

    library = docs_library()
    rows: list[dict[str, Any]] = []
    for collection in library.list():
        stats = collection_stats(library, collection.name)
        rows.append({"name": collection.name, "files": stats.files, "chunks": stats.chunks,
                     "bytes": stats.bytes, "skipped": len(stats.skipped),
                     "indexed_at": stats.indexed_at, "embedding_model": stats.embedding_model,
                     "sources": [str(s) for s in collection.sources]})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        print("No collections yet; make one with `openchat docs add NAME FOLDER`.")
        return EXIT_OK
    table = [("NAME", "FILES", "PASSAGES", "SIZE", "SKIPPED", "INDEXED", "SEARCH")]
    table += [(strip_control(r["name"]), str(r["files"]), str(r["chunks"]),
               format_size(r["bytes"]), str(r["skipped"]), _when(r["indexed_at"]),
               f"keywords + {r['embedding_model']}" if r["embedding_model"] else "keywords")
              for r in rows]
    _print_table(table)
    return EXIT_OK


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())


def _search(args: argparse.Namespace) -> int:
    from openchat_desktop.cli.docs_lookup import embedder_from
    from openchat_desktop.core.docs.search import search_collections

    if not args.query.strip():
        return fail("Give some words to search for.")
    settings = load_settings()
    k = args.k if args.k is not None else settings.get("docs.top_k")
    if not 1 <= k <= 100:
        return fail("-k must be between 1 and 100.")
    library = docs_library()
    name = library.get(args.name).name
    with embedder_from(settings, "queries") as embedder:
        passages = search_collections(library, [name], args.query, k=k, embedder=embedder)
    if args.json:
        print(json.dumps([_passage_json(rank, p) for rank, p in enumerate(passages, 1)],
                         ensure_ascii=False, indent=1))
        return EXIT_OK
    if not passages:
        print(f"No passage of '{name}' matches {args.query!r}.")
    for rank, passage in enumerate(passages, 1):
        _print_passage(rank, passage)
    return EXIT_OK


def _passage_json(rank: int, passage: Passage) -> dict[str, Any]:
    return {"rank": rank, "score": passage.score, "path": str(passage.path),
            "title": passage.title, "page": passage.page, "heading": passage.heading,
            "line": passage.line, "location": citation_location(passage),
            "chunk_id": passage.chunk_id, "text": passage.text}


def _print_passage(rank: int, passage: Passage) -> None:
    where = citation_location(passage)
    title = strip_control(" ".join(passage.title.split()))
    print(f"[{rank}] {title}" + (f" — {strip_control(where)}" if where else "")
          + f"  (score {passage.score:.3f})")
    print(f"    {strip_control(str(passage.path))}")
    for text_line in strip_control(passage.text.strip()).splitlines():
        print(f"    {text_line}".rstrip())
    print()
