"""DownloadQueue: one (or N) at a time, pause/resume/cancel per job, listener calls."""

from __future__ import annotations

import threading
from pathlib import Path

from fakehub import FILE, REPO, FakeHub

from openchat_desktop.core.models.download_queue import DownloadQueue, QueueItem
from openchat_desktop.core.models.download_types import DownloadProgress, DownloadState, RetryPolicy
from openchat_desktop.core.models.downloader import DownloadJob
from openchat_desktop.core.models.hub import HubClient

NO_WAIT = RetryPolicy(max_tries=3, base_delay=0.0, max_delay=0.0)
Q8 = "tiny-chat.Q8_0.gguf"


def job(client: HubClient, tmp_path: Path, name: str) -> DownloadJob:
    return DownloadJob(client, REPO, name, tmp_path / name, retry=NO_WAIT)


def test_jobs_run_one_at_a_time(client: HubClient, tmp_path: Path) -> None:
    events: list[tuple[int, DownloadState]] = []
    lock = threading.Lock()

    def listener(item: QueueItem, progress: DownloadProgress) -> None:
        with lock:
            events.append((item.id, progress.state))

    queue = DownloadQueue(max_parallel=1, listener=listener)
    first, second = queue.add(job(client, tmp_path, FILE)), queue.add(job(client, tmp_path, Q8))
    assert queue.wait(30)
    assert [item.state for item in queue.items()] == [DownloadState.DONE] * 2
    assert (tmp_path / FILE).exists() and (tmp_path / Q8).exists()
    done_first = events.index((first, DownloadState.DONE))
    assert events.index((second, DownloadState.STARTING)) > done_first


def test_pause_resume_and_cancel(fake_hub: FakeHub, client: HubClient, tmp_path: Path) -> None:
    fake_hub.faults.throttle_bps = 1_000_000
    started = threading.Event()

    def listener(item: QueueItem, progress: DownloadProgress) -> None:
        if progress.bytes_done > 100_000:
            started.set()

    queue = DownloadQueue(max_parallel=1, listener=listener)
    running = queue.add(job(client, tmp_path, FILE))
    waiting = queue.add(job(client, tmp_path, Q8))
    queue.pause(waiting)  # still queued: paused without ever starting
    assert started.wait(10)
    queue.pause(running)
    assert queue.wait(10)
    states = {item.id: item.state for item in queue.items()}
    assert states == {running: DownloadState.PAUSED, waiting: DownloadState.PAUSED}

    fake_hub.faults.throttle_bps = None
    queue.resume(running)
    queue.cancel(waiting)
    assert queue.wait(30)
    states = {item.id: item.state for item in queue.items()}
    assert states == {running: DownloadState.DONE, waiting: DownloadState.CANCELLED}
    assert (tmp_path / FILE).exists() and not (tmp_path / Q8).exists()


def test_failures_are_reported_not_raised(client: HubClient, tmp_path: Path) -> None:
    queue = DownloadQueue()
    item_id = queue.add(job(client, tmp_path, "missing.gguf"))
    assert queue.wait(30)
    (item,) = queue.items()
    assert item.id == item_id and item.state is DownloadState.FAILED
    assert item.error is not None and item.error.startswith("Not found on the Hub")
    queue.shutdown(5)
