"""The picker's download offers, downloads resumed at start-up, the Model Manager in Chinese,
and the bin emptied of conversations deleted over 30 days ago."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from fakehub import FILE, REPO, FakeHub
from fakes import fake_engine_factory
from fixtures.apps import AppMaker
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from openchat_desktop.app import build_context
from openchat_desktop.core.models.catalog import load_catalog
from openchat_desktop.core.models.library import download_target
from openchat_desktop.core.models.partial import PartInfo, part_path, write_part_info
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.sizes import format_size
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.ui.model_manager.dialog import ModelManagerDialog
from openchat_desktop.ui.resumed_downloads import resume_unfinished_downloads

TIMEOUT_MS = 20_000
DAY_S = 24 * 3600


def answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    # Imported here: pytest loads the module as a plugin, and an earlier import would keep
    # its asserts from being rewritten.
    from fixtures.model_manager import answer_message_boxes

    return answer_message_boxes(monkeypatch, QMessageBox.StandardButton.Yes)


def test_picker_offers_catalog_models_and_uses_the_downloaded_file(
        qtbot: QtBot, make_app: AppMaker, fake_hub: FakeHub, empty_hf_cache: Path,
        model_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = next(entry for entry in load_catalog() if not entry.starter)
    fake_hub.add_repo(entry.repo, {entry.file: model_bytes})
    app = make_app()
    app.ctx.settings.set("hub.endpoint", fake_hub.url)
    combo = app.window.settings_panel.model_picker.combo
    label = f"Download: {entry.id} ({format_size(entry.size_bytes)})"
    qtbot.waitUntil(lambda: combo.findText(label) >= 0, timeout=TIMEOUT_MS)
    assert not app.ctx.has_model_services  # listing the offers brought no Hub client in
    conv_id = app.ctx.session.current_id
    assert conv_id is not None
    texts = answer_yes(monkeypatch)
    combo.activated.emit(combo.findText(label))
    assert texts[0].startswith(f"{entry.id} is not installed")
    assert combo.currentIndex() == 0  # still the model in use while the file comes in
    downloads = app.ctx.model_services().downloads
    (item,) = downloads.items()
    assert (item.repo, item.filename) == (entry.repo, entry.file)
    target = str(download_target(entry.repo, entry.file))
    settings = app.ctx.store.conversation_settings
    qtbot.waitUntil(lambda: settings(conv_id).get(MODEL_PATH_KEY) == target, timeout=TIMEOUT_MS)
    assert Path(target).read_bytes() == model_bytes
    qtbot.waitUntil(lambda: combo.findText(label) < 0 and combo.currentData() == target,
                    timeout=TIMEOUT_MS)


def test_unfinished_downloads_are_listed_paused_after_start(
        qtbot: QtBot, make_app: AppMaker, empty_hf_cache: Path) -> None:
    target = download_target(REPO, FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    part_path(target).write_bytes(b"\0" * 4000)
    write_part_info(target, PartInfo(REPO, FILE, "main", f"https://example.invalid/{FILE}",
                                     10_000, None, "etag", "commit"))
    app = make_app()
    with qtbot.waitSignal(app.ctx.bus.info, timeout=TIMEOUT_MS,
                          check_params_cb=lambda text: "unfinished download" in text) as info:
        resume_unfinished_downloads(app.ctx)
    assert info.args == ["1 unfinished download — open Models → Model Manager to resume"]
    downloads = app.ctx.model_services().downloads
    qtbot.waitUntil(lambda: [i.state for i in downloads.items()] == ["paused"],
                    timeout=TIMEOUT_MS)
    (item,) = downloads.items()
    assert item.target == target and item.progress.bytes_done == 4000


def test_nothing_unfinished_means_no_model_services(qtbot: QtBot, make_app: AppMaker,
                                                    empty_hf_cache: Path) -> None:
    app = make_app()
    resume_unfinished_downloads(app.ctx)
    qtbot.wait(300)
    assert not app.ctx.has_model_services


def test_model_manager_is_translated_and_switches_live(
        qtbot: QtBot, make_app: AppMaker, empty_hf_cache: Path) -> None:
    app = make_app()
    app.ctx.settings.set("ui.language", "zh_CN")
    dialog = app.window.commands.model_manager()
    assert isinstance(dialog, ModelManagerDialog)
    assert dialog.windowTitle() == "模型管理器"
    assert [dialog.tabs.tabText(i) for i in range(4)] == ["已安装", "模型目录", "搜索", "下载"]
    assert dialog.installed_tab.buttons["use"].text() == "用于当前对话"
    assert dialog.downloads_tab.clear_button.text() == "清除已结束"
    app.ctx.settings.set("ui.language", "en")
    assert dialog.windowTitle() == "Model Manager" and dialog.tabs.tabText(1) == "Catalog"
    assert dialog.search_tab.search_button.text() == "Search"
    dialog.close()


def test_the_bin_is_emptied_of_month_old_conversations_at_start(openchat_home: Path) -> None:
    paths = app_paths().ensure()
    store = ConversationStore(paths.database_file)
    old, recent, kept = (store.create_conversation(title) for title in ("old", "recent", "kept"))
    store.delete(old)
    store.delete(recent)
    store.close()
    with sqlite3.connect(paths.database_file) as conn:
        for conv_id, age in ((old, 31 * DAY_S), (recent, DAY_S)):
            conn.execute("UPDATE conversations SET deleted_at = ? WHERE id = ?",
                         (time.time() - age, conv_id))
    conn.close()
    ctx = build_context(engine_factory=fake_engine_factory())
    try:
        left = {row.id for row in ctx.store.list_conversations(include_deleted=True)}
    finally:
        ctx.close()
    assert left == {recent, kept}
