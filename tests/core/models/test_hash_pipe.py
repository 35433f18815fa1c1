"""Hashing on a second thread (core/models/hash_pipe.py): always drained, joined, never hung."""

from __future__ import annotations

import hashlib
import re
import threading
import types
from pathlib import Path

import pytest
from fakehub import FILE, REPO, FakeHub

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models import downloader
from openchat_desktop.core.models.download_types import DownloadProgress, DownloadState, RetryPolicy
from openchat_desktop.core.models.downloader import CORRUPT_MESSAGE, DownloadJob
from openchat_desktop.core.models.hash_pipe import HashPipe
from openchat_desktop.core.models.hub import HubClient
from openchat_desktop.core.models.partial import part_path, sidecar_path

NO_WAIT = RetryPolicy(max_tries=4, base_delay=0.0, max_delay=0.0)


def hashers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "openchat-sha256"]


class Broken:
    """A hasher that fails on its second block."""

    def __init__(self) -> None:
        self.calls = 0

    def update(self, data: memoryview) -> None:
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("hasher broke")

    def hexdigest(self) -> str:
        return ""


def test_pipe_hashes_every_block_in_order() -> None:
    data = bytes(range(256)) * 10_000
    hasher = hashlib.sha256()
    pipe = HashPipe(hasher, block_size=4096, depth=2)
    written = bytearray()
    offset = 0

    def read(buffer: memoryview) -> int:
        nonlocal offset
        count = min(len(buffer), 3000, len(data) - offset)  # short reads, like a socket
        buffer[:count] = data[offset:offset + count]
        offset += count
        return count

    while pipe.relay(read, written.extend):
        pass
    pipe.close()
    pipe.check()
    assert not pipe.alive
    assert bytes(written) == data
    assert hasher.hexdigest() == hashlib.sha256(data).hexdigest()


def test_pipe_with_a_failing_hasher_neither_hangs_nor_leaks() -> None:
    pipe = HashPipe(Broken(), block_size=16, depth=2)
    with pytest.raises(RuntimeError, match="hasher broke"):
        for _ in range(100):  # many more blocks than buffers: must not wait forever
            pipe.relay(lambda buffer: 16, lambda block: None)
    pipe.close()
    assert not pipe.alive
    with pytest.raises(RuntimeError, match="hasher broke"):
        pipe.check()


def test_failing_hasher_fails_the_download_without_hanging(
        fake_hub: FakeHub, client: HubClient, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(downloader, "hashlib", types.SimpleNamespace(sha256=Broken))
    target = tmp_path / "m.gguf"
    with pytest.raises(RuntimeError, match="hasher broke"):
        DownloadJob(client, REPO, FILE, target, retry=NO_WAIT).run()
    assert hashers() == [] and not target.exists()


@pytest.mark.parametrize("stop", ["pause", "cancel"])
def test_no_hasher_thread_after_pause_or_cancel(
        fake_hub: FakeHub, client: HubClient, tmp_path: Path, stop: str) -> None:
    fake_hub.faults.throttle_bps = 2_000_000
    job = DownloadJob(client, REPO, FILE, tmp_path / "m.gguf", retry=NO_WAIT)
    seen: list[int] = []

    def stop_early(progress: DownloadProgress) -> None:
        if progress.state is DownloadState.DOWNLOADING:
            seen.append(len(hashers()))
        if progress.bytes_done >= 200_000:
            getattr(job, stop)()

    expected = DownloadState.PAUSED if stop == "pause" else DownloadState.CANCELLED
    assert job.run(stop_early) is expected
    assert max(seen) == 1  # it did hash on a second thread...
    assert hashers() == []  # ...which is gone now
    assert part_path(tmp_path / "m.gguf").stat().st_size >= 200_000


def test_no_hasher_thread_after_dropped_connections(
        fake_hub: FakeHub, client: HubClient, model_bytes: bytes, tmp_path: Path) -> None:
    fake_hub.faults.drop_after, fake_hub.faults.drop_times = 300_000, 2
    target = tmp_path / "m.gguf"
    states: list[DownloadState] = []
    job = DownloadJob(client, REPO, FILE, target, retry=NO_WAIT)
    assert job.run(lambda p: states.append(p.state)) is DownloadState.DONE
    assert states.count(DownloadState.RETRYING) == 2
    assert target.read_bytes() == model_bytes  # verified: every byte hashed exactly once
    assert hashers() == []


def test_wrong_hash_leaves_no_thread_and_nothing_installed(
        fake_hub: FakeHub, client: HubClient, tmp_path: Path) -> None:
    fake_hub.faults.corrupt = True
    target = tmp_path / "m.gguf"
    with pytest.raises(HubError, match=re.escape(CORRUPT_MESSAGE)):
        DownloadJob(client, REPO, FILE, target, retry=NO_WAIT).run()
    assert hashers() == []
    assert not target.exists() and not part_path(target).exists()
    assert not sidecar_path(target).exists()
