"""The Model Manager's Downloads tab: progress rows, pause/resume/cancel, restarts, errors."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from fakehub import FILE, REPO, FakeHub, make_gguf
from PySide6.QtWidgets import QMessageBox, QProgressBar
from pytestqt.qtbot import QtBot

from openchat_desktop.core.models import downloader
from openchat_desktop.core.models.catalog import load_catalog
from openchat_desktop.core.models.library import download_target
from openchat_desktop.core.models.partial import part_path, sidecar_path
from openchat_desktop.core.paths import STARTER_MODEL_FILE
from openchat_desktop.ui.model_manager.dialog import ModelManagerDialog, open_model_manager
from openchat_desktop.ui.model_manager.downloads import PROGRESS, DownloadsTab

if TYPE_CHECKING:
    from fixtures.model_manager import ManagerServices, ServiceMaker

Button = QMessageBox.StandardButton
Q8 = "tiny-chat.Q8_0.gguf"
TIMEOUT_MS = 20_000


def cells(tab: DownloadsTab, item_id: int) -> list[str]:
    row = tab.row_of(item_id)
    items = [tab.table.item(row, column) for column in range(tab.table.columnCount())]
    return [item.text() if item is not None else "" for item in items]


def bar(tab: DownloadsTab, item_id: int) -> QProgressBar:
    widget = tab.table.cellWidget(tab.row_of(item_id), PROGRESS)
    assert isinstance(widget, QProgressBar)
    return widget


def test_a_download_shows_throttled_progress_and_lands_in_installed(
        qtbot: QtBot, manager: ModelManagerDialog, manager_services: ManagerServices,
        fake_hub: FakeHub, model_bytes: bytes) -> None:
    fake_hub.faults.throttle_bps = 400_000  # ~2.6 s
    downloads, tab = manager_services.downloads, manager.downloads_tab
    ticks: list[float] = []
    downloads.progress.connect(lambda *_args: ticks.append(time.monotonic()))
    started = time.monotonic()
    item_id = downloads.pull(REPO, FILE)
    qtbot.waitUntil(lambda: 0 < bar(tab, item_id).value() < 1000, timeout=TIMEOUT_MS)
    running = cells(tab, item_id)
    assert running[0] == FILE and running[2].endswith(" / 1.1 MB")
    assert running[3].endswith("/s") and ":" in running[4] and running[6] == "Downloading"
    assert bar(tab, item_id).text().endswith("%")
    assert manager.tabs.tabText(3) == "Downloads (1)"
    qtbot.waitUntil(lambda: cells(tab, item_id)[6] == "Done", timeout=TIMEOUT_MS)
    elapsed = time.monotonic() - started
    rate = len(ticks) / elapsed
    print(f"progress signals: {len(ticks)} in {elapsed:.2f} s = {rate:.1f}/s")
    assert rate <= 4.0 and len(ticks) >= 3
    assert bar(tab, item_id).value() == 1000 and cells(tab, item_id)[2] == "1.1 MB / 1.1 MB"
    qtbot.waitUntil(lambda: FILE in [m.name for m in manager.installed_tab.models],
                    timeout=TIMEOUT_MS)
    assert manager.tabs.tabText(3) == "Downloads"
    tab.clear_button.click()
    assert tab.table.isRowHidden(tab.row_of(item_id)) and tab.empty.isVisibleTo(tab)


def test_pause_and_resume_buttons(qtbot: QtBot, manager: ModelManagerDialog,
                                  manager_services: ManagerServices, fake_hub: FakeHub) -> None:
    fake_hub.faults.throttle_bps = 300_000
    tab = manager.downloads_tab
    item_id = manager_services.downloads.pull(REPO, FILE)
    qtbot.waitUntil(lambda: tab.row_actions(item_id).pause.isEnabled() and
                    bar(tab, item_id).value() > 0, timeout=TIMEOUT_MS)
    tab.row_actions(item_id).pause.click()
    qtbot.waitUntil(lambda: cells(tab, item_id)[6] == "Paused", timeout=TIMEOUT_MS)
    actions = tab.row_actions(item_id)
    assert actions.resume.isEnabled() and not actions.pause.isEnabled()
    assert part_path(download_target(REPO, FILE)).exists()
    fake_hub.faults.throttle_bps = None
    actions.resume.click()
    qtbot.waitUntil(lambda: cells(tab, item_id)[6] == "Done", timeout=TIMEOUT_MS)
    assert not tab.row_actions(item_id).cancel.isEnabled()


@pytest.mark.parametrize("choice", [Button.Save, Button.Discard, Button.Cancel])
def test_cancel_asks_whether_to_keep_the_partial_file(
        qtbot: QtBot, manager: ModelManagerDialog, manager_services: ManagerServices,
        fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, choice: Button) -> None:
    from fixtures.model_manager import answer_message_boxes

    fake_hub.faults.throttle_bps = 200_000
    tab = manager.downloads_tab
    item_id = manager_services.downloads.pull(REPO, FILE)
    qtbot.waitUntil(lambda: bar(tab, item_id).value() > 0, timeout=TIMEOUT_MS)
    texts = answer_message_boxes(monkeypatch, choice)
    tab.row_actions(item_id).cancel.click()
    assert texts[0].startswith(f"Stop downloading {FILE}?")
    target = download_target(REPO, FILE)
    if choice == Button.Cancel:  # "Don't cancel"
        qtbot.wait(700)
        assert cells(tab, item_id)[6] == "Downloading"
        return
    qtbot.waitUntil(lambda: cells(tab, item_id)[6] == "Cancelled", timeout=TIMEOUT_MS)
    kept = choice == Button.Save
    assert part_path(target).exists() is kept and sidecar_path(target).exists() is kept


def test_quit_while_downloading_then_restart_resumes(
        qtbot: QtBot, manager_services: ManagerServices, make_downloads: ServiceMaker,
        fake_hub: FakeHub, model_bytes: bytes) -> None:
    fake_hub.faults.throttle_bps = 300_000
    first = manager_services.downloads
    item_id = first.pull(REPO, FILE)
    qtbot.waitUntil(lambda: first.items()[0].progress.bytes_done > 100_000, timeout=TIMEOUT_MS)
    first.shutdown()  # what quitting the app does
    target = download_target(REPO, FILE)
    kept = part_path(target).stat().st_size
    assert kept > 100_000 and not target.exists()

    fake_hub.faults.throttle_bps = None
    manager_services.downloads = make_downloads()
    (resumed,) = manager_services.downloads.resume_pending()
    dialog = open_model_manager(manager_services)
    qtbot.addWidget(dialog)
    tab = dialog.downloads_tab
    qtbot.waitUntil(lambda: cells(tab, resumed)[6] == "Paused", timeout=TIMEOUT_MS)
    assert cells(tab, resumed)[0] == FILE and bar(tab, resumed).value() == \
        int(kept / len(model_bytes) * 1000)
    tab.row_actions(resumed).resume.click()
    qtbot.waitUntil(lambda: cells(tab, resumed)[6] == "Done", timeout=TIMEOUT_MS)
    assert target.read_bytes() == model_bytes and item_id == resumed == 1


def test_errors_show_in_the_row_with_one_line(
        qtbot: QtBot, manager: ModelManagerDialog, manager_services: ManagerServices,
        fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    tab, downloads = manager.downloads_tab, manager_services.downloads
    fake_hub.faults.corrupt = True
    corrupt = downloads.pull(REPO, Q8)
    qtbot.waitUntil(lambda: cells(tab, corrupt)[6] == "Failed", timeout=TIMEOUT_MS)
    assert tab.reason_text(corrupt) == ("downloaded file is corrupt (SHA-256 mismatch); it was "
                                        "not installed")
    assert tab.row_actions(corrupt).resume.isEnabled()
    fake_hub.faults.corrupt = False
    monkeypatch.setattr(downloader.shutil, "disk_usage",
                        lambda _path: type("Usage", (), {"free": 10_000_000})())
    full = downloads.pull(REPO, FILE)
    qtbot.waitUntil(lambda: cells(tab, full)[6] == "Failed", timeout=TIMEOUT_MS)
    assert tab.reason_text(full).startswith("Not enough free disk space: need 0.2 GB")
    assert "\n" not in tab.reason_text(full)
    fake_hub.faults.corrupt = True
    monkeypatch.undo()
    tab.row_actions(full).resume.click()  # fails again, for another reason: the line follows
    qtbot.waitUntil(lambda: "SHA-256" in tab.reason_text(full), timeout=TIMEOUT_MS)
    fake_hub.faults.corrupt = False
    downloads.resume(corrupt)
    qtbot.waitUntil(lambda: cells(tab, corrupt)[6] == "Done", timeout=TIMEOUT_MS)
    assert tab.reason_text(corrupt) == ""  # a download that went on drops its old reason


def test_catalog_download_button(qtbot: QtBot, manager: ModelManagerDialog,
                                 fake_hub: FakeHub) -> None:
    # The first entry that is not the installed starter model (the catalog's order may change).
    row, entry = next((i, e) for i, e in enumerate(load_catalog())
                      if e.file != STARTER_MODEL_FILE)
    fake_hub.add_repo(entry.repo, {entry.file: make_gguf(32 * 1024, seed=7)})
    fake_hub.faults.throttle_bps = 20_000
    manager.show_tab("catalog")

    def button_text() -> str:
        button = manager.catalog_tab.action_button(row)
        assert button is not None
        return button.text()

    manager.catalog_tab.action_button(row).click()  # type: ignore[union-attr]
    assert manager.tabs.currentWidget() is manager.downloads_tab
    assert button_text() == "Downloading…"
    fake_hub.faults.throttle_bps = None
    qtbot.waitUntil(lambda: button_text() == "Installed", timeout=TIMEOUT_MS)
