"""The Model Manager window: installed list, catalog fit, Hub search, import, delete, wiring."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import gguf_factory
import pytest
from fakehub import FILE, REPO, FakeHub, closed_port_url
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from openchat_desktop.core.models.catalog import entry_fit, load_catalog
from openchat_desktop.core.models.library import download_target
from openchat_desktop.core.paths import app_paths
from openchat_desktop.services.settings_bridge import SettingsBridge
from openchat_desktop.ui.model_manager.catalog import COLUMNS
from openchat_desktop.ui.model_manager.dialog import (
    ModelManagerDialog,
    offer_download,
    open_model_manager,
)
from openchat_desktop.ui.model_manager.widgets import FIT_COLOURS

if TYPE_CHECKING:
    from fixtures.model_manager import ManagerServices

GB = 1000**3
Button = QMessageBox.StandardButton
TIMEOUT_MS = 10_000


def answer(monkeypatch: pytest.MonkeyPatch, button: Button) -> list[str]:
    from fixtures.model_manager import answer_message_boxes

    return answer_message_boxes(monkeypatch, button)


def text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return item.text()


def names(dialog: ModelManagerDialog) -> list[str]:
    return [model.name for model in dialog.installed_tab.models]


def select(dialog: ModelManagerDialog, name: str) -> None:
    dialog.installed_tab.table.selectRow(names(dialog).index(name))


def downloaded_model(model_bytes: bytes) -> Path:
    target = download_target(REPO, FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(model_bytes)
    return target


def test_catalog_shows_every_entry_with_its_fit_badge(
        qtbot: QtBot, manager_services: ManagerServices) -> None:
    entries = load_catalog()
    target = download_target(entries[2].repo, entries[2].file)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"GGUF")
    started = time.monotonic()
    dialog = open_model_manager(manager_services)
    qtbot.addWidget(dialog)
    table = dialog.catalog_tab.table
    qtbot.waitUntil(lambda: table.rowCount() == len(entries) and
                    bool(dialog.installed_tab.summary.text()), timeout=TIMEOUT_MS)
    print(f"catalog + installed listed in {(time.monotonic() - started) * 1000:.0f} ms")
    fit_column = COLUMNS.index("Fit")
    for row, entry in enumerate(entries):
        badge = table.item(row, fit_column)
        assert badge is not None and badge.text() == entry_fit(entry, 8 * GB)
        assert badge.background().color().name() == FIT_COLOURS[badge.text()][0]
        button = dialog.catalog_tab.action_button(row)
        assert button is not None and button.text() == ("Installed" if row == 2 or entry.starter
                                                         else "Download")
    assert {text(table, r, fit_column) for r in range(len(entries))} == {"fits", "tight",
                                                                         "too big"}
    assert "8.0 GB of RAM" in dialog.catalog_tab.memory_label.text()
    table.selectRow(0)
    assert entries[0].description in dialog.catalog_tab.about.text()


def test_installed_details_use_and_open_folder(
        qtbot: QtBot, manager: ModelManagerDialog, manager_services: ManagerServices,
        model_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    downloaded_model(model_bytes)
    with qtbot.waitSignal(manager_services.model_catalog.installed_changed, timeout=TIMEOUT_MS):
        manager.refresh()
    tab = manager.installed_tab
    select(manager, FILE)
    row = tab.table.currentRow()
    assert text(tab.table, row, 1) == "1.1 MB" and text(tab.table, row, 2) == "Downloaded"
    tab.buttons["details"].click()
    qtbot.waitUntil(lambda: "Architecture: llama" in tab.details.toPlainText(),
                    timeout=TIMEOUT_MS)
    assert "MB used in the models folder" in tab.summary.text()
    with qtbot.waitSignal(manager.model_chosen) as chosen:
        tab.buttons["use"].click()
    assert chosen.args == [str(download_target(REPO, FILE))] and not manager.isVisible()
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    tab.buttons["open"].click()
    assert opened == [QUrl.fromLocalFile(str(app_paths().models_dir))]


@pytest.mark.parametrize("agree", [False, True])
def test_delete_asks_first(qtbot: QtBot, manager: ModelManagerDialog,
                           manager_services: ManagerServices, model_bytes: bytes,
                           monkeypatch: pytest.MonkeyPatch, agree: bool) -> None:
    target = downloaded_model(model_bytes)
    with qtbot.waitSignal(manager_services.model_catalog.installed_changed, timeout=TIMEOUT_MS):
        manager.refresh()
    texts = answer(monkeypatch, Button.Ok if agree else Button.Cancel)
    select(manager, FILE)
    manager.installed_tab.buttons["delete"].click()
    assert texts and texts[0].startswith(f"Delete {FILE}?")
    if agree:
        qtbot.waitUntil(lambda: FILE not in names(manager), timeout=TIMEOUT_MS)
    else:
        qtbot.wait(200)
        assert FILE in names(manager)
    assert target.exists() is not agree


def test_a_file_outside_the_models_folder_is_only_forgotten(
        qtbot: QtBot, manager: ModelManagerDialog, manager_services: ManagerServices,
        tmp_path: Path, model_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "mine.gguf").write_bytes(model_bytes)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a: str(shelf))
    manager.installed_tab.buttons["folder"].click()
    qtbot.waitUntil(lambda: "mine.gguf" in names(manager), timeout=TIMEOUT_MS)
    assert manager_services.settings.get("models.extra_dirs") == [str(shelf)]
    texts = answer(monkeypatch, Button.Ok)
    select(manager, "mine.gguf")
    manager.installed_tab.buttons["delete"].click()
    assert "only forgets it: the file is not deleted" in texts[0]
    qtbot.waitUntil(lambda: "mine.gguf" not in names(manager), timeout=TIMEOUT_MS)
    assert (shelf / "mine.gguf").exists()


def test_import_a_valid_and_a_broken_file(qtbot: QtBot, manager: ModelManagerDialog,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    good = gguf_factory.build_gguf().write(tmp_path / "made.gguf")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(gguf_factory.build_gguf().data[:100])
    notice = manager.installed_tab.notice
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *_a: ([str(bad)], ""))
    manager.installed_tab.buttons["import"].click()
    qtbot.waitUntil(lambda: notice.kind == "error", timeout=TIMEOUT_MS)
    assert notice.text.startswith("Not imported: ") and "broken.gguf" in notice.text
    assert "\n" not in notice.text and "Traceback" not in notice.text
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *_a: ([str(good)], ""))
    manager.installed_tab.buttons["import"].click()
    qtbot.waitUntil(lambda: "made.gguf" in names(manager), timeout=TIMEOUT_MS)
    assert notice.kind == "info" and notice.text.startswith("Imported made.gguf")


def test_dropping_gguf_files_imports_them(qtbot: QtBot, manager: ModelManagerDialog,
                                          tmp_path: Path) -> None:
    good = gguf_factory.build_gguf().write(tmp_path / "dropped.gguf")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good)), QUrl.fromLocalFile(str(tmp_path / "a.txt"))])
    manager.show_tab("search")
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    manager.dropEvent(event)
    assert manager.tabs.currentWidget() is manager.installed_tab
    qtbot.waitUntil(lambda: "dropped.gguf" in names(manager), timeout=TIMEOUT_MS)


def test_search_lists_every_gguf_file_and_downloads_one(
        qtbot: QtBot, manager: ModelManagerDialog, manager_services: ManagerServices,
        fake_hub: FakeHub) -> None:
    tab = manager.search_tab
    manager.show_tab("search")
    tab.search("tiny")
    qtbot.waitUntil(lambda: tab.repos.count() == 1, timeout=TIMEOUT_MS)
    tab.repos.setCurrentRow(0)
    qtbot.waitUntil(lambda: tab.files_table.rowCount() == 2, timeout=TIMEOUT_MS)
    files = fake_hub.repos[REPO].files
    shown = {text(tab.files_table, r, 0): text(tab.files_table, r, 1) for r in range(2)}
    assert shown == {FILE: "1.1 MB", "tiny-chat.Q8_0.gguf": "71.2 KB"}
    assert len([name for name in files if name.endswith(".gguf")]) == 2
    with qtbot.waitSignal(manager_services.downloads.finished, timeout=TIMEOUT_MS):
        button = tab.files_table.cellWidget(1, 2)
        assert isinstance(button, QPushButton)
        button.click()
        assert manager.tabs.currentWidget() is manager.downloads_tab
    qtbot.waitUntil(lambda: "tiny-chat.Q8_0.gguf" in names(manager), timeout=TIMEOUT_MS)


def test_offline_search_shows_an_inline_state_and_retry_recovers(
        qtbot: QtBot, manager: ModelManagerDialog, manager_services: ManagerServices,
        hub_settings: SettingsBridge, fake_hub: FakeHub) -> None:
    hub_settings.set("hub.endpoint", closed_port_url())
    tab = manager.search_tab
    manager.show_tab("search")
    started = time.monotonic()
    tab.search("tiny")
    assert time.monotonic() - started < 0.2  # the window never waits for the network
    qtbot.waitUntil(lambda: tab.notice.kind == "error", timeout=TIMEOUT_MS)
    endpoint = manager_services.model_catalog.endpoint
    assert tab.notice.text.startswith(f"No connection to {endpoint}")
    assert tab.notice.button.isVisible() and tab.notice.button.text() == "Retry"
    hub_settings.set("hub.endpoint", fake_hub.url)  # a mirror typed into Settings: asks again
    qtbot.waitUntil(lambda: tab.repos.count() == 1, timeout=TIMEOUT_MS)
    assert tab.notice.isHidden()


def test_a_hub_error_is_shown_inline_and_retry_asks_again(
        qtbot: QtBot, manager: ModelManagerDialog, fake_hub: FakeHub) -> None:
    fake_hub.faults.fail_times = 1
    tab = manager.search_tab
    manager.show_tab("search")
    tab.search("tiny")
    qtbot.waitUntil(lambda: tab.notice.kind == "error", timeout=TIMEOUT_MS)
    assert tab.notice.text.startswith("The Hub server failed (HTTP 500)")
    tab.notice.button.click()
    qtbot.waitUntil(lambda: tab.repos.count() == 1, timeout=TIMEOUT_MS)
    assert tab.notice.isHidden()


def test_open_reuses_the_window_and_offer_download(
        qtbot: QtBot, manager_services: ManagerServices,
        monkeypatch: pytest.MonkeyPatch) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    chosen: list[str] = []
    first = open_model_manager(manager_services, parent, chosen.append)
    assert open_model_manager(manager_services, parent, chosen.append) is first
    assert first.parent() is parent and first.isVisible()
    first.model_chosen.emit("/models/a.gguf")
    assert chosen == ["/models/a.gguf"]  # connected once
    entry, downloads = load_catalog()[1], manager_services.downloads
    texts = answer(monkeypatch, Button.No)
    assert not offer_download(parent, entry, downloads)
    assert texts[0].startswith(f"{entry.id} is not installed") and downloads.items() == []
    answer(monkeypatch, Button.Yes)
    assert offer_download(parent, entry, downloads)
    (item,) = downloads.items()
    assert (item.repo, item.filename) == (entry.repo, entry.file)
