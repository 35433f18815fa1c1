"""DownloadJob against the fake Hub: resume, retry, verify, pause, cancel, disk full."""

from __future__ import annotations

import errno
import shutil
import threading
import time
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
from fakehub import FILE, GATED, REPO, FakeHub, closed_port_url

from openchat_desktop.core.errors import HubError, ModelFileError
from openchat_desktop.core.models.download_types import DownloadProgress, DownloadState, RetryPolicy
from openchat_desktop.core.models.downloader import CORRUPT_MESSAGE, DownloadJob
from openchat_desktop.core.models.hub import HubClient
from openchat_desktop.core.models.hub_errors import GATED_MESSAGE, HubOfflineError
from openchat_desktop.core.models.partial import (
    PartInfo,
    discard_partial,
    part_path,
    resume_pending,
    sidecar_path,
    write_part_info,
)

NO_WAIT = RetryPolicy(max_tries=4, base_delay=0.0, max_delay=0.0)


def make_job(client: HubClient, target: Path, filename: str = FILE, repo: str = REPO,
             **kwargs: Any) -> DownloadJob:
    return DownloadJob(client, repo, filename, target, retry=NO_WAIT, **kwargs)


def assert_no_junk(target: Path) -> None:
    assert not target.exists()
    assert not part_path(target).exists()
    assert not sidecar_path(target).exists()


def stop_at(event: threading.Event, threshold: int,
            log: list[DownloadProgress]) -> Any:
    def callback(progress: DownloadProgress) -> None:
        log.append(progress)
        if progress.bytes_done >= threshold:
            event.set()
    return callback


def test_full_download_is_verified_and_reports_progress(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, openchat_home: Path) -> None:
    fake_hub.faults.throttle_bps = 2_000_000  # ~0.5 s, so throttling is visible
    reports: list[tuple[float, DownloadProgress]] = []
    job = DownloadJob(client, REPO, FILE, retry=NO_WAIT)
    started = time.monotonic()
    assert job.run(lambda p: reports.append((time.monotonic(), p))) is DownloadState.DONE
    elapsed = time.monotonic() - started

    target = openchat_home / "models" / "test-org" / "Tiny-Chat-GGUF" / FILE
    assert job.target == target
    assert target.read_bytes() == model_bytes
    assert not part_path(target).exists() and not sidecar_path(target).exists()
    routine = [p for _, p in reports if p.state is DownloadState.DOWNLOADING]
    assert len(routine) <= 4 * elapsed + 2
    final = reports[-1][1]
    assert final.state is DownloadState.DONE
    assert final.bytes_done == final.total == len(model_bytes)
    assert final.fraction == 1.0
    assert any(p.speed > 0 for _, p in reports)


def test_dropped_connection_resumes_without_resending(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, tmp_path: Path) -> None:
    fake_hub.faults.drop_after = 400_000
    target = tmp_path / "m.gguf"
    assert make_job(client, target).run() is DownloadState.DONE
    assert target.read_bytes() == model_bytes
    assert fake_hub.bytes_sent - len(model_bytes) < 0.10 * len(model_bytes)
    ranges = [h.get("Range") for m, _, h in fake_hub.requests if m == "GET"]
    assert ranges[-1] == "bytes=400000-"


def test_connection_dropping_every_time_still_finishes(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, tmp_path: Path) -> None:
    fake_hub.faults.drop_after, fake_hub.faults.drop_times = 300_000, -1
    target = tmp_path / "m.gguf"
    assert make_job(client, target).run() is DownloadState.DONE
    assert target.read_bytes() == model_bytes


def test_server_ignoring_range_restarts_cleanly(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, tmp_path: Path) -> None:
    fake_hub.faults.drop_after, fake_hub.faults.ignore_range = 300_000, True
    target = tmp_path / "m.gguf"
    assert make_job(client, target).run() is DownloadState.DONE
    assert target.read_bytes() == model_bytes


def test_new_job_after_restart_resumes_from_the_part(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, tmp_path: Path) -> None:
    fake_hub.faults.throttle_bps = 2_000_000
    target, pause = tmp_path / "m.gguf", threading.Event()
    log: list[DownloadProgress] = []
    first = make_job(client, target)
    assert first.run(stop_at(pause, 250_000, log), pause_event=pause) is DownloadState.PAUSED
    kept = part_path(target).stat().st_size
    assert kept >= 250_000 and sidecar_path(target).exists()
    (pending,) = resume_pending(tmp_path)
    assert (pending.target, pending.bytes_done, pending.info.repo) == (target, kept, REPO)

    fake_hub.faults.throttle_bps = None
    resumed = DownloadJob.from_pending(client, pending, retry=NO_WAIT)  # a new object
    assert resumed.run() is DownloadState.DONE
    assert target.read_bytes() == model_bytes
    ranges = [h.get("Range") for m, _, h in fake_hub.requests if m == "GET"]
    assert ranges[-1] == f"bytes={kept}-"
    assert resume_pending(tmp_path) == []


def test_pause_then_run_again_resumes_same_job(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, tmp_path: Path) -> None:
    fake_hub.faults.throttle_bps = 2_000_000
    job = make_job(client, tmp_path / "m.gguf")
    log: list[DownloadProgress] = []

    def pause_early(progress: DownloadProgress) -> None:
        log.append(progress)
        if progress.bytes_done >= 200_000:
            job.pause()

    assert job.run(pause_early) is DownloadState.PAUSED
    assert job.progress.state is DownloadState.PAUSED
    fake_hub.faults.throttle_bps = None
    assert job.run() is DownloadState.DONE
    assert (tmp_path / "m.gguf").read_bytes() == model_bytes


def test_cancel_keeps_the_part_until_discarded(
        fake_hub: FakeHub, client: HubClient, tmp_path: Path) -> None:
    fake_hub.faults.throttle_bps = 2_000_000
    target, cancel = tmp_path / "m.gguf", threading.Event()
    log: list[DownloadProgress] = []
    job = make_job(client, target)
    assert job.run(stop_at(cancel, 200_000, log), cancel_event=cancel) is DownloadState.CANCELLED
    assert log[-1].state is DownloadState.CANCELLED
    assert part_path(target).exists() and not target.exists()
    discard_partial(target)
    assert_no_junk(target)


def test_wrong_bytes_are_refused(fake_hub: FakeHub, client: HubClient, tmp_path: Path) -> None:
    fake_hub.faults.corrupt = True
    target = tmp_path / "m.gguf"
    log: list[DownloadProgress] = []
    with pytest.raises(HubError, match="SHA-256 mismatch") as caught:
        make_job(client, target).run(log.append)
    assert str(caught.value) == CORRUPT_MESSAGE
    assert log[-1].state is DownloadState.FAILED and log[-1].message == CORRUPT_MESSAGE
    assert_no_junk(target)


def test_changed_remote_file_discards_the_old_part(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, tmp_path: Path) -> None:
    target = tmp_path / "m.gguf"
    part_path(target).write_bytes(b"x" * 5000)
    write_part_info(target, PartInfo(REPO, FILE, "main", "", len(model_bytes), "0" * 64,
                                     None, None))
    assert make_job(client, target).run() is DownloadState.DONE
    assert target.read_bytes() == model_bytes


@pytest.mark.usefixtures("gated_repo")
def test_gated_repo_needs_a_token(fake_hub: FakeHub, client: HubClient,
                                  token_client: HubClient, tmp_path: Path) -> None:
    with pytest.raises(HubError) as caught:
        make_job(client, tmp_path / "s.gguf", "secret.Q4_K_M.gguf", GATED).run()
    assert str(caught.value) == GATED_MESSAGE
    job = make_job(token_client, tmp_path / "s.gguf", "secret.Q4_K_M.gguf", GATED)
    assert job.run() is DownloadState.DONE


def test_missing_file_and_repo(client: HubClient, tmp_path: Path) -> None:
    with pytest.raises(HubError, match=f"^Not found on the Hub: {REPO}/nope.gguf$"):
        make_job(client, tmp_path / "n.gguf", "nope.gguf").run()
    with pytest.raises(HubError, match=r"^Not found on the Hub: nobody/nothing/x\.gguf"):
        make_job(client, tmp_path / "n.gguf", "x.gguf", "nobody/nothing").run()
    assert_no_junk(tmp_path / "n.gguf")


def test_server_errors_are_retried_then_reported(
        fake_hub: FakeHub, client: HubClient, tmp_path: Path) -> None:
    fake_hub.faults.fail_times = 2  # fewer than NO_WAIT.max_tries: recovers
    assert make_job(client, tmp_path / "a.gguf").run() is DownloadState.DONE
    fake_hub.faults.fail_times = 100
    log: list[DownloadProgress] = []
    with pytest.raises(HubError, match=r"^The Hub server failed \(HTTP 500\)"):
        make_job(client, tmp_path / "b.gguf").run(log.append)
    assert sum(p.state is DownloadState.RETRYING for p in log) == NO_WAIT.max_tries - 1


def test_unreachable_server_is_offline(tmp_path: Path) -> None:
    endpoint = closed_port_url()
    client = HubClient(endpoint=endpoint, timeout=5.0)
    try:
        with pytest.raises(HubOfflineError, match=f"^No connection to {endpoint}"):
            make_job(client, tmp_path / "m.gguf").run()
    finally:
        client.close()


def test_disk_full_while_writing_leaves_no_junk(
        client: HubClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FullDisk:
        def __init__(self, path: Path) -> None:
            self.handle, self.written = path.open("ab"), 0

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def truncate(self, size: int) -> None:
            self.handle.truncate(size)

        def write(self, data: bytes) -> int:
            if self.written > 100_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)

    monkeypatch.setattr(DownloadJob, "_open_part", lambda self, path: FullDisk(path))
    target = tmp_path / "m.gguf"
    with pytest.raises(HubError, match=r"^The disk is full"):
        make_job(client, target).run()
    assert_no_junk(target)


def test_free_space_is_checked_first(
        client: HubClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 50 * 10**6))
    target = tmp_path / "m.gguf"
    with pytest.raises(HubError, match=r"^Not enough free disk space: need 0\.2 GB, "
                                       r"0\.1 GB free$"):
        make_job(client, target).run()
    assert_no_junk(target)


def test_file_that_is_not_gguf_is_not_installed(
        fake_hub: FakeHub, client: HubClient, tmp_path: Path) -> None:
    fake_hub.repos[REPO].files["broken.gguf"] = b"not a model at all" * 100
    target = tmp_path / "broken.gguf"
    with pytest.raises(ModelFileError, match="not a usable GGUF model"):
        make_job(client, target, "broken.gguf").run()
    assert_no_junk(target)
