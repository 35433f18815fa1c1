"""``openchat models pull``: pick the file, download it with a progress bar, handle Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from openchat_desktop.cli.common import EXIT_INTERRUPTED, EXIT_OK, settings_value
from openchat_desktop.core.errors import HubError, OpenChatError
from openchat_desktop.core.models.download_types import DownloadProgress, DownloadState
from openchat_desktop.core.models.downloader import DownloadJob
from openchat_desktop.core.models.hub import HubClient, RemoteFile
from openchat_desktop.core.sizes import format_duration, format_size, format_speed

PREFERRED_QUANT = "q4_k_m"


@contextmanager
def hub_client(args: argparse.Namespace) -> Iterator[HubClient]:
    """A HubClient from ``--endpoint/--token/--proxy``, falling back on the settings."""
    client = HubClient(
        endpoint=getattr(args, "endpoint", None) or settings_value("hub.endpoint") or None,
        token=getattr(args, "token", None) or settings_value("hub.token") or None,
        proxy=getattr(args, "proxy", None) or settings_value("hub.proxy") or None)
    try:
        yield client
    finally:
        client.close()


def split_spec(spec: str) -> tuple[str, str | None]:
    """``owner/repo:file`` to ``(repo, file)``; a catalog id to its repo and file."""
    from openchat_desktop.core.models.catalog import find_entry

    repo, _, file = spec.strip().partition(":")
    if "/" not in repo:
        entry = find_entry(spec)
        if entry is None:
            raise HubError(f"not a repository or catalog id: {spec} (expected OWNER/REPO[:FILE];"
                           " see `openchat models catalog`)")
        return entry.repo, entry.file
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise HubError(f"not a repository name: {repo} (expected OWNER/REPO)")
    return repo, file or None


def choose_file(files: list[RemoteFile], repo: str) -> str:
    """The repo's Q4_K_M file; else the only one; else ask on a terminal, or fail."""
    if not files:
        raise HubError(f"{repo} has no GGUF files")
    names = [item.path for item in files]
    preferred = [name for name in names if PREFERRED_QUANT in name.lower()]
    if len(preferred) == 1 or len(names) == 1:
        return (preferred or names)[0]
    if not sys.stdin.isatty():
        raise HubError(f"{repo} has several GGUF files; name one as {repo}:FILE: "
                       + ", ".join(names))
    for number, item in enumerate(files, 1):
        print(f"{number:3}. {item.path} ({format_size(item.size or 0)})", file=sys.stderr)
    answer = input(f"Which file (1-{len(files)})? ").strip()
    if not answer.isdigit() or not 1 <= int(answer) <= len(files):
        raise HubError("no file chosen")
    return names[int(answer) - 1]


class ProgressBar:
    """One self-rewriting line on ``stream``: bar, percent, bytes, speed, ETA (<= 4/s)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 24,
                 min_interval: float = 0.25) -> None:
        self.label, self.width, self.min_interval = label, width, min_interval
        self.stream = stream or sys.stderr
        self._last = -1.0
        self._state: DownloadState | None = None
        self.lines_written = 0

    def update(self, progress: DownloadProgress) -> None:
        """Redraw, unless the last redraw was too recent and the state is unchanged."""
        if progress.state in (DownloadState.STARTING, DownloadState.FAILED):
            return  # nothing to draw yet; a failure is reported as one error line
        now = time.monotonic()
        if progress.state == self._state and now - self._last < self.min_interval:
            return
        self._last, self._state = now, progress.state
        self.stream.write("\r" + self.render(progress) + "\x1b[K")
        self.stream.flush()
        self.lines_written += 1

    def render(self, progress: DownloadProgress) -> str:
        """The line for ``progress`` (without the carriage return)."""
        fraction = progress.fraction or 0.0
        filled = int(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        total = format_size(progress.total) if progress.total else "?"
        state = "" if progress.state is DownloadState.DOWNLOADING else f" {progress.state.value}"
        return (f"{self.label} [{bar}] {fraction * 100:5.1f}%  "
                f"{format_size(progress.bytes_done)} / {total}  {format_speed(progress.speed)}"
                f"  ETA {format_duration(progress.eta)}{state}")

    def close(self) -> None:
        """End the progress line."""
        if self.lines_written:
            self.stream.write("\n")
            self.stream.flush()


def run_pull(args: argparse.Namespace) -> int:
    """Download the model named by ``args.spec``; returns the exit code."""
    from openchat_desktop.core.models.catalog import find_entry
    from openchat_desktop.core.models.library import download_target
    from openchat_desktop.core.paths import starter_model_path

    entry = find_entry(args.spec)
    if entry is not None and entry.starter and (starter := starter_model_path()) is not None:
        print(f"Already installed (the starter model): {starter}")
        return EXIT_OK
    repo, filename = split_spec(args.spec)
    with hub_client(args) as client:
        if filename is None:
            filename = choose_file(client.list_gguf_files(repo, args.revision), repo)
        target = download_target(repo, filename)
        if target.exists():
            print(f"Already installed: {target}")
            return EXIT_OK
        job = DownloadJob(client, repo, filename, target, revision=args.revision)
        bar = ProgressBar(filename if len(filename) <= 32 else filename[:31] + "…")
        state = _run_interruptibly(job, bar)
    if state is DownloadState.PAUSED:
        print(f"Paused; the partial download is kept. Run `openchat models pull {repo}:"
              f"{filename}` again to resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"Saved to {target}")
    return EXIT_OK


def _run_interruptibly(job: DownloadJob, bar: ProgressBar) -> DownloadState:
    """Run the job on a worker thread so Ctrl-C here can pause it cleanly."""
    outcome: list[DownloadState | BaseException] = []

    def work() -> None:
        try:
            outcome.append(job.run(bar.update))
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome.append(exc)

    worker = threading.Thread(target=work, name="pull", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        job.pause()
        worker.join()
    finally:
        bar.close()
    result = outcome[0] if outcome else DownloadState.PAUSED
    if isinstance(result, OpenChatError):
        raise result
    if isinstance(result, BaseException):
        raise HubError(f"download failed: {result}")
    return result
