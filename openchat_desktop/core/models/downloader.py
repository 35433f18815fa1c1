"""Resumable, verified download of one GGUF file from the Hub (or a mirror).

Bytes go to ``<target>.part`` through HTTP range requests, hashed on a second thread as they
arrive (``hash_pipe``); dropped connections, timeouts and server errors are retried with
exponential back-off, resuming from the last byte. Only a file whose SHA-256 matches the
Hub's is moved into place.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from openchat_desktop.core.errors import HubError, ModelFileError
from openchat_desktop.core.models.download_types import (
    FREE_SPACE_MARGIN,
    DownloadProgress,
    DownloadState,
    ProgressCallback,
    RetryPolicy,
    SpeedMeter,
)
from openchat_desktop.core.models.hash_pipe import HashPipe, hash_prefix
from openchat_desktop.core.models.http_range import range_start
from openchat_desktop.core.models.hub import HubClient, RangeResponse, RemoteFile
from openchat_desktop.core.models.hub_errors import HubOfflineError, TransientHubError
from openchat_desktop.core.models.partial import (
    PartInfo,
    PendingDownload,
    discard_partial,
    part_path,
    read_part_info,
    sidecar_path,
    write_part_info,
)
from openchat_desktop.core.sizes import format_gb

__all__ = ["DownloadJob", "DownloadProgress", "DownloadState", "RetryPolicy", "discard_partial"]

CORRUPT_MESSAGE = "downloaded file is corrupt (SHA-256 mismatch); it was not installed"


class _Stopped(Exception):
    """Internal: the transfer stopped because pause or cancel was asked for."""


class _TooLong(Exception):
    """Internal: the server sent more bytes than the file has."""


class DownloadJob:
    """Downloads ``repo``/``filename`` to ``target``; ``run`` may be called again to resume.

    Thread-safe: ``run`` blocks its (worker) thread; ``pause``, ``cancel`` and ``progress``
    may be called from any other thread.
    """

    def __init__(self, client: HubClient, repo: str, filename: str, target: Path | None = None,
                 *, revision: str = "main", retry: RetryPolicy | None = None,
                 validate: Callable[[Path], object] | None = None,
                 progress_interval: float = 0.25) -> None:
        if target is None:
            from openchat_desktop.core.models.library import download_target

            target = download_target(repo, filename)
        self.client, self.repo, self.filename = client, repo, filename
        self.target, self.revision = Path(target), revision
        self.retry = retry or RetryPolicy()
        self._validate = validate if validate is not None else _read_gguf_info
        self._interval = progress_interval
        self._lock = threading.Lock()
        self._running = False
        self._pause, self._cancel = threading.Event(), threading.Event()
        self._events = (self._pause, self._cancel)
        self._hasher = hashlib.sha256()
        self._done = 0
        self._total: int | None = None
        self._meter = SpeedMeter()
        self._callback: ProgressCallback | None = None
        self._last = DownloadProgress(0, None, 0.0, None, DownloadState.QUEUED)
        self._last_emit = 0.0

    @classmethod
    def from_pending(cls, client: HubClient, pending: PendingDownload,
                     **options: Any) -> DownloadJob:
        """A job that resumes a download found by ``resume_pending`` after a restart."""
        info = pending.info
        return cls(client, info.repo, info.filename, pending.target,
                   revision=info.revision or "main", **options)

    @property
    def what(self) -> str:
        """``owner/repo/file``, as error messages name it."""
        return f"{self.repo}/{self.filename}"

    @property
    def progress(self) -> DownloadProgress:
        """The latest progress report."""
        with self._lock:
            return self._last

    def pause(self) -> None:
        """Stop transferring soon, keeping the part so that ``run`` resumes it."""
        self._events[0].set()

    def cancel(self) -> None:
        """Stop soon; the part stays until ``discard_partial(target)``."""
        self._events[1].set()

    def run(self, progress: ProgressCallback | None = None,
            pause_event: threading.Event | None = None,
            cancel_event: threading.Event | None = None) -> DownloadState:
        """Download until done, paused or cancelled; returns that state.

        Raises HubError (or its subclasses) and ModelFileError, after a FAILED report.
        """
        with self._lock:
            if self._running:
                raise RuntimeError("this download is already running")
            self._running = True
            # Own events are cleared: calling run() again is how a paused job resumes.
            for given, own in ((pause_event, self._pause), (cancel_event, self._cancel)):
                if given is None:
                    own.clear()
            self._events = (pause_event or self._pause, cancel_event or self._cancel)
        self._callback = progress
        try:
            return self._run()
        except (HubError, ModelFileError) as exc:
            self._emit(DownloadState.FAILED, force=True, message=str(exc))
            raise
        finally:
            with self._lock:
                self._running = False
                self._events = (self._pause, self._cancel)

    def _run(self) -> DownloadState:
        self._emit(DownloadState.STARTING, force=True)
        remote: RemoteFile | None = None
        failures, received_any = 0, False
        while True:
            if self._events[1].is_set() or self._events[0].is_set():
                return self._stopped()
            before = self._done
            try:
                if remote is None:
                    remote = self._prepare()
                self._transfer(remote)
                return self._finish(remote)
            except _Stopped:
                continue
            except (TransientHubError, HubOfflineError) as exc:
                received_any = received_any or self._done > before
                # Offline from the start: say so at once rather than after minutes of retry.
                if isinstance(exc, HubOfflineError) and not received_any:
                    raise
                failures = 1 if self._done > before else failures + 1
                if failures >= self.retry.max_tries:
                    raise
                self._emit(DownloadState.RETRYING, force=True, message=str(exc))
                self._sleep(self.retry.delay(failures))

    def _prepare(self) -> RemoteFile:
        """Fetch metadata, reconcile it with an existing part, check space, re-hash the part."""
        remote = self.client.file_metadata(self.repo, self.filename, self.revision)
        if remote.size is None:
            raise HubError(f"The Hub did not give the size of {self.what}")
        info = PartInfo(self.repo, self.filename, self.revision, remote.url or "", remote.size,
                        remote.sha256, remote.etag, remote.commit)
        old = read_part_info(self.target)
        part = part_path(self.target)
        if old is None or not old.same_remote(info):
            discard_partial(self.target)  # unknown bytes, or the file changed on the Hub
        have = part.stat().st_size if part.exists() else 0
        if have > remote.size:
            part.unlink()
            have = 0
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._check_space(remote.size - have)
        write_part_info(self.target, info)
        self._total = remote.size
        self._rehash(part, have)
        return remote

    def _check_space(self, remaining: int) -> None:
        free = shutil.disk_usage(self.target.parent).free
        need = remaining + FREE_SPACE_MARGIN
        if free < need:
            raise HubError(f"Not enough free disk space: need {format_gb(need)}, "
                           f"{format_gb(free)} free")

    def _rehash(self, part: Path, size: int) -> None:
        """Hash the bytes already on disk, so the final check covers the whole file."""
        self._hasher = hashlib.sha256()
        self._done = hash_prefix(self._hasher, part, size)

    def _transfer(self, remote: RemoteFile) -> None:
        total = remote.size or 0
        if self._done >= total:
            return
        self._meter.restart(self._done)
        self._emit(DownloadState.DOWNLOADING, force=True)
        with self.client.open_range(remote.url or "", self._done, self.what) as response:
            if response.status == 416:  # nothing past our offset: the part must be complete
                self._restart_part()
                raise TransientHubError(f"The Hub refused to resume {self.what}; restarting")
            if response.status == 206 and range_start(response.headers) != self._done:
                self._restart_part()
                raise TransientHubError(f"The Hub resumed {self.what} at the wrong place")
            if response.status == 200 and self._done:
                self._restart_part()  # the server ignored Range: it sends the whole file
            elif response.status not in (200, 206):
                raise HubError(f"Unexpected answer from the Hub for {self.what} "
                               f"(HTTP {response.status})")
            self._write(response, total)
        if self._done < total:
            raise TransientHubError(f"The connection closed early while downloading {self.what}")

    def _write(self, response: RangeResponse, total: int) -> None:
        """Receive the body; the hasher thread is drained and joined whatever happens."""
        pipe = HashPipe(self._hasher)
        try:
            self._receive(response, pipe, total)
        finally:
            pipe.close()
            pipe.check()  # a failed hasher outranks whatever else went wrong

    def _receive(self, response: RangeResponse, pipe: HashPipe, total: int) -> None:
        # Errors are handled after the file is closed: Windows cannot delete an open file.
        part = part_path(self.target)
        try:
            with self._open_part(part) as handle:
                # Only when needed: on ext4 a truncate makes the close wait for a flush.
                if self._done == 0 and part.stat().st_size:
                    handle.truncate(0)
                while count := pipe.relay(response.readinto, handle.write):
                    self._done += count
                    if self._done > total:
                        raise _TooLong
                    self._emit(DownloadState.DOWNLOADING)
                    if self._events[0].is_set() or self._events[1].is_set():
                        raise _Stopped
        except OSError as exc:
            self._write_failed(exc)
        except _TooLong:
            discard_partial(self.target)
            raise HubError(f"The Hub sent more bytes than {self.what} has; the partial file "
                           "was removed") from None

    def _open_part(self, part: Path) -> BinaryIO:
        """The part file, for appending (a seam for tests that simulate a full disk)."""
        return part.open("ab")

    def _write_failed(self, exc: OSError) -> None:
        discard_partial(self.target)
        if exc.errno == errno.ENOSPC:
            raise HubError(f"The disk is full: {self.filename} could not be saved; the "
                           "partial file was removed") from exc
        raise HubError(f"Cannot write {self.filename}: {exc.strerror or exc}") from exc

    def _restart_part(self) -> None:
        self._hasher, self._done = hashlib.sha256(), 0
        part_path(self.target).unlink(missing_ok=True)

    def _finish(self, remote: RemoteFile) -> DownloadState:
        self._emit(DownloadState.VERIFYING, force=True)
        if remote.sha256 and self._hasher.hexdigest() != remote.sha256.lower():
            discard_partial(self.target)
            raise HubError(CORRUPT_MESSAGE)
        os.replace(part_path(self.target), self.target)
        sidecar_path(self.target).unlink(missing_ok=True)
        try:
            self._validate(self.target)
        except ModelFileError as exc:
            self.target.unlink(missing_ok=True)
            raise ModelFileError(f"{self.filename} is not a usable GGUF model ({exc}); "
                                 "it was not installed") from exc
        self._emit(DownloadState.DONE, force=True)
        return DownloadState.DONE

    def _stopped(self) -> DownloadState:
        state = DownloadState.CANCELLED if self._events[1].is_set() else DownloadState.PAUSED
        self._emit(state, force=True)
        return state

    def _sleep(self, seconds: float) -> None:
        """Back-off wait that ends early on pause or cancel."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._events[0].is_set() or self._events[1].is_set():
                return
            self._events[1].wait(min(left, 0.05))

    def _emit(self, state: DownloadState, force: bool = False, message: str = "") -> None:
        """Report progress; routine updates at most once per ``progress_interval``."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_emit < self._interval:
                return
            self._last_emit = now
            speed = self._meter.sample(self._done, now)
            remaining = (self._total - self._done) if self._total is not None else None
            eta = remaining / speed if remaining is not None and speed > 0 else None
            if state is DownloadState.DONE:
                eta = 0.0
            self._last = DownloadProgress(self._done, self._total, speed, eta, state, message)
            report = self._last
        if self._callback is not None:
            self._callback(report)


def _read_gguf_info(path: Path) -> object:
    from openchat_desktop.core.gguf.info import read_gguf_info

    return read_gguf_info(path)
