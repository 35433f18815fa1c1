"""DownloadService: throttled progress, pause/resume/cancel, restarts, quitting, failures."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakehub import FILE, REPO, FakeHub
from pytestqt.qtbot import QtBot

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models import downloader
from openchat_desktop.core.models.download_types import DownloadProgress
from openchat_desktop.core.models.library import download_target
from openchat_desktop.core.models.partial import part_path, resume_pending, sidecar_path
from openchat_desktop.services.downloads import DownloadService
from openchat_desktop.services.notifications import NotificationBus
from openchat_desktop.services.settings_bridge import SettingsBridge

Q8 = "tiny-chat.Q8_0.gguf"
TARGET_TIMEOUT_MS = 20_000
ServiceMaker = Callable[..., DownloadService]


def wait_for_bytes(qtbot: QtBot, service: DownloadService, item_id: int, count: int) -> None:
    qtbot.waitUntil(lambda: service.items()[item_id - 1].progress.bytes_done >= count,
                    timeout=TARGET_TIMEOUT_MS)


def wait_for_state(qtbot: QtBot, service: DownloadService, item_id: int, state: str) -> None:
    qtbot.waitUntil(lambda: service.items()[item_id - 1].state == state,
                    timeout=TARGET_TIMEOUT_MS)


def test_download_progress_is_throttled_and_ends_installed(
        qtbot: QtBot, fake_hub: FakeHub, make_downloads: ServiceMaker,
        model_bytes: bytes) -> None:
    fake_hub.faults.throttle_bps = 400_000  # ~2.6 s for the 1 MB file
    bus = NotificationBus()
    told: list[str] = []
    bus.info.connect(told.append)
    service = make_downloads(bus=bus)
    ticks: list[tuple[float, DownloadProgress]] = []
    states: list[str] = []
    service.progress.connect(lambda _id, progress: ticks.append((time.monotonic(), progress)))
    service.state_changed.connect(lambda _id, state: states.append(state))
    started = time.monotonic()
    with qtbot.waitSignal(service.finished, timeout=TARGET_TIMEOUT_MS) as finished:
        item_id = service.pull(REPO, FILE)
    elapsed = time.monotonic() - started
    assert finished.args == [item_id, str(download_target(REPO, FILE))]
    assert Path(finished.args[1]).read_bytes() == model_bytes
    assert len(ticks) / elapsed <= 4.0, (len(ticks), elapsed)
    assert len(ticks) >= 3  # it did report along the way
    assert ticks[-1][1].bytes_done == len(model_bytes)
    assert states[0] == "starting" and "downloading" in states and states[-1] == "done"
    assert service.items()[0].state == "done" and service.active_count() == 0
    assert told == [f"Downloaded {FILE}"]


def test_pause_keeps_the_part_and_resume_continues(
        qtbot: QtBot, fake_hub: FakeHub, make_downloads: ServiceMaker,
        model_bytes: bytes) -> None:
    fake_hub.faults.throttle_bps = 300_000
    service = make_downloads()
    item_id = service.pull(REPO, FILE)
    wait_for_bytes(qtbot, service, item_id, 100_000)
    with qtbot.waitSignal(service.state_changed, check_params_cb=lambda _i, s: s == "paused",
                          timeout=TARGET_TIMEOUT_MS):
        service.pause(item_id)
    target = download_target(REPO, FILE)
    assert part_path(target).stat().st_size > 0 and not target.exists()
    fake_hub.faults.throttle_bps = None
    with qtbot.waitSignal(service.finished, timeout=TARGET_TIMEOUT_MS):
        service.resume(item_id)
    assert target.read_bytes() == model_bytes
    assert any(headers.get("Range", "").startswith("bytes=") and
               headers["Range"] != "bytes=0-" for _m, _p, headers in fake_hub.requests)


@pytest.mark.parametrize("keep", [True, False])
def test_cancel_keeps_or_discards_the_partial_file(
        qtbot: QtBot, fake_hub: FakeHub, make_downloads: ServiceMaker, keep: bool) -> None:
    fake_hub.faults.throttle_bps = 300_000
    service = make_downloads()
    item_id = service.pull(REPO, FILE)
    wait_for_bytes(qtbot, service, item_id, 50_000)
    with qtbot.waitSignal(service.state_changed, check_params_cb=lambda _i, s: s == "cancelled",
                          timeout=TARGET_TIMEOUT_MS):
        service.cancel(item_id, keep_partial=keep)
    target = download_target(REPO, FILE)
    assert part_path(target).exists() is keep and sidecar_path(target).exists() is keep
    assert not target.exists()


def test_a_paused_queued_download_never_starts(
        qtbot: QtBot, fake_hub: FakeHub, make_downloads: ServiceMaker) -> None:
    fake_hub.faults.throttle_bps = 300_000
    service = make_downloads(max_parallel=1)
    first, second = service.pull(REPO, FILE), service.pull(REPO, Q8)
    service.pause(second)
    wait_for_state(qtbot, service, second, "paused")
    service.cancel(first, keep_partial=False)
    wait_for_state(qtbot, service, first, "cancelled")
    assert not part_path(download_target(REPO, Q8)).exists()
    with qtbot.waitSignal(service.finished, timeout=TARGET_TIMEOUT_MS):
        service.resume(second)


def test_quitting_while_downloading_keeps_the_part_and_a_restart_resumes_it(
        qtbot: QtBot, fake_hub: FakeHub, make_downloads: ServiceMaker,
        model_bytes: bytes) -> None:
    fake_hub.faults.throttle_bps = 300_000
    first = make_downloads()
    item_id = first.pull(REPO, FILE)
    wait_for_bytes(qtbot, first, item_id, 100_000)
    first.shutdown()
    target = download_target(REPO, FILE)
    kept = part_path(target).stat().st_size
    assert kept > 0 and not target.exists() and len(resume_pending()) == 1

    fake_hub.faults.throttle_bps = None
    sent_before = fake_hub.bytes_sent
    again = make_downloads()
    with qtbot.waitSignal(again.added, timeout=1000):
        (resumed,) = again.resume_pending()
    wait_for_state(qtbot, again, resumed, "paused")
    item = again.items()[0]
    assert item.filename == FILE and item.progress.bytes_done == kept
    assert fake_hub.bytes_sent == sent_before  # listing it touched no network
    assert again.resume_pending() == []  # not listed twice
    with qtbot.waitSignal(again.finished, timeout=TARGET_TIMEOUT_MS):
        again.resume(resumed)
    assert target.read_bytes() == model_bytes
    assert fake_hub.bytes_sent - sent_before == len(model_bytes) - kept


def test_corrupt_download_fails_with_one_line(
        qtbot: QtBot, fake_hub: FakeHub, make_downloads: ServiceMaker) -> None:
    fake_hub.faults.corrupt = True
    bus = NotificationBus()
    warnings: list[str] = []
    bus.warning.connect(warnings.append)
    service = make_downloads(bus=bus)
    with qtbot.waitSignal(service.failed, timeout=TARGET_TIMEOUT_MS) as failed:
        service.pull(REPO, Q8)
    assert warnings == [f"{Q8} was not downloaded: {failed.args[1]}"]
    assert "SHA-256 mismatch" in failed.args[1] and "\n" not in failed.args[1]
    assert service.items()[0].state == "failed"
    assert service.items()[0].error == failed.args[1]


def test_no_free_space_fails_before_downloading(
        qtbot: QtBot, make_downloads: ServiceMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(downloader.shutil, "disk_usage", lambda _p: type(
        "Usage", (), {"free": 1000})())
    service = make_downloads()
    with qtbot.waitSignal(service.failed, timeout=TARGET_TIMEOUT_MS) as failed:
        service.pull(REPO, Q8)
    assert failed.args[1].startswith("Not enough free disk space")


def test_offline_download_fails_at_once(
        qtbot: QtBot, hub_settings: SettingsBridge, make_downloads: ServiceMaker) -> None:
    from fakehub import closed_port_url

    hub_settings.set("hub.endpoint", closed_port_url())
    service = make_downloads()
    with qtbot.waitSignal(service.failed, timeout=TARGET_TIMEOUT_MS) as failed:
        service.pull(REPO, Q8)
    assert failed.args[1].startswith("No connection to http://127.0.0.1:")


def test_pulling_twice_and_pulling_an_installed_file(
        qtbot: QtBot, fake_hub: FakeHub, make_downloads: ServiceMaker) -> None:
    fake_hub.faults.throttle_bps = 200_000
    service = make_downloads()
    item_id = service.pull(REPO, FILE)
    assert service.pull(REPO, FILE) == item_id
    service.cancel(item_id, keep_partial=False)
    with qtbot.waitSignal(service.finished, timeout=TARGET_TIMEOUT_MS):
        service.pull(REPO, Q8)
    with pytest.raises(HubError, match="already installed"):
        service.pull(REPO, Q8)
    with pytest.raises(HubError, match="Not a valid Hub file name"):
        service.pull("no-owner", "x.gguf")
