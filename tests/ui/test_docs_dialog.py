"""The documents window: create and index a collection, watch its progress, see what was
skipped and why, try a search, re-index, cancel and remove, all with errors shown inline."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.apps import App, AppMaker
from fixtures.model_manager import answer_message_boxes
from PySide6.QtWidgets import QMessageBox, QTableWidget
from pytestqt.qtbot import QtBot

from openchat_desktop.core.docs.types import IndexProgress
from openchat_desktop.ui.docs_dialog import DocsDialog, open_docs_dialog
from openchat_desktop.ui.docs_new import NewCollectionDialog
from openchat_desktop.ui.docs_progress import JobProgress, progress_text, time_left

Button = QMessageBox.StandardButton
TIMEOUT_MS = 20_000


def en(text: str) -> str:
    return text


def text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return item.text()


def notes_folder(root: Path) -> Path:
    """A small folder: two readable notes and one file no reader accepts."""
    folder = root / "notes"
    folder.mkdir()
    (folder / "kettle.md").write_text("# Kettle\n\nDescale the kettle with citric acid every "
                                      "month so the water tastes clean.\n", encoding="utf-8")
    (folder / "garden.txt").write_text("Tomatoes need six hours of sun and deep watering "
                                       "twice a week.\n", encoding="utf-8")
    (folder / "broken.docx").write_bytes(b"not a zip archive at all")
    return folder


def dialog_for(qtbot: QtBot, app: App) -> DocsDialog:
    dialog = app.window.commands.docs()
    assert isinstance(dialog, DocsDialog)
    qtbot.addWidget(dialog)
    return dialog


def create_and_wait(qtbot: QtBot, dialog: DocsDialog, name: str, paths: list[Path]) -> None:
    with qtbot.waitSignal(dialog._docs.finished, timeout=TIMEOUT_MS):
        assert dialog.create_collection(name, paths)


def test_progress_line_reads_like_the_design() -> None:
    progress = IndexProgress(files_done=120, files_total=3400, bytes_done=42_000_000,
                             bytes_total=294_000_000, elapsed_s=10.0)
    assert progress_text(progress, en) == "120 / 3,400 files · 4.2 MB/s · 1 min left"
    assert time_left(None, en) == "" and time_left(12.2, en) == "13 s left"
    assert time_left(3 * 3600 + 300, en) == "3 h 5 min left"
    start = IndexProgress(files_done=0, files_total=10, bytes_done=0, bytes_total=100,
                          elapsed_s=0.0)
    assert progress_text(start, en) == "0 / 10 files"  # no speed or time before a rate


def test_job_row_shows_figures_and_cancels(qtbot: QtBot) -> None:
    job = JobProgress("Work", en)
    qtbot.addWidget(job)
    assert job.bar.maximum() == 0  # busy while the files are listed
    job.show_progress(IndexProgress(5, 10, 500, 1000, 1.0))
    assert job.bar.maximum() > 0 and job.bar.value() == job.bar.maximum() // 2
    with qtbot.waitSignal(job.cancel_requested) as blocker:
        job.cancel.click()
    assert blocker.args == ["Work"] and not job.cancel.isEnabled()


def test_new_collection_form_needs_a_name_and_a_source(qtbot: QtBot, tmp_path: Path) -> None:
    form = NewCollectionDialog(en)
    qtbot.addWidget(form)
    assert not form.ok_button.isEnabled()
    form.name_edit.setText("  Notes ")
    assert not form.ok_button.isEnabled()
    form.add_sources([tmp_path, tmp_path])
    assert form.ok_button.isEnabled()
    assert form.name() == "Notes" and form.sources() == [tmp_path]


def test_creating_a_collection_indexes_it_and_lists_skipped_files(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path) -> None:
    app = make_app()
    dialog = dialog_for(qtbot, app)
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.collections.empty.isVisible()
    seen: list[str] = []
    dialog._docs.progress.connect(lambda name, _p: seen.append(dialog.jobs[name].figures.text()))
    create_and_wait(qtbot, dialog, "Home", [notes_folder(tmp_path)])
    assert seen and "files" in seen[0]  # a job row with its figures while it ran
    assert not dialog.jobs  # and gone once it finished
    assert dialog.collections.names() == ["Home"]
    assert dialog.collections.selected_name() == "Home"
    table = dialog.collections.table
    assert text(table, 0, 1) == "2"  # the two notes; the damaged DOCX was skipped
    assert text(table, 0, 5) == "keyword search"
    assert "is indexed" in dialog.notice.text and "1 skipped" in dialog.notice.text
    reasons = dialog.skipped.reasons()
    assert list(reasons) == [str(tmp_path / "notes" / "broken.docx")]
    assert "DOCX" in reasons[str(tmp_path / "notes" / "broken.docx")]  # with its reason
    assert open_docs_dialog(app.ctx.docs, app.ctx.i18n, app.window) is dialog  # one window


def test_search_box_shows_ranked_passages(qtbot: QtBot, make_app: AppMaker,
                                          tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, make_app())
    create_and_wait(qtbot, dialog, "Home", [notes_folder(tmp_path)])
    search = dialog.search
    search.search()
    assert "Type a question" in search.status.text()
    search.query_edit.setText("how often should I descale the kettle")
    search.search()
    qtbot.waitUntil(lambda: bool(search.passages), timeout=TIMEOUT_MS)
    assert search.passages[0].path.name == "kettle.md"
    assert text(search.table, 0, 1) in ("Kettle", "kettle.md")
    assert float(text(search.table, 0, 3)) == pytest.approx(search.passages[0].score,
                                                                  abs=1e-3)
    assert "citric acid" in search.preview.toPlainText()
    search.query_edit.setText("zeppelin")
    search.search()
    qtbot.waitUntil(lambda: "Nothing" in search.status.text(), timeout=TIMEOUT_MS)
    assert search.table.rowCount() == 0


def test_bad_name_is_refused_inline(qtbot: QtBot, make_app: AppMaker, tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, make_app())
    assert not dialog.create_collection("   ", [notes_folder(tmp_path)])
    assert dialog.notice.kind == "error" and "name" in dialog.notice.text
    assert not dialog.create_collection("Gone", [tmp_path / "missing"])
    assert dialog.notice.kind == "error" and dialog.collections.names() == []


def test_reindex_picks_up_changes_and_remove_asks_first(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = dialog_for(qtbot, make_app())
    folder = notes_folder(tmp_path)
    create_and_wait(qtbot, dialog, "Home", [folder])
    (folder / "bikes.md").write_text("Oil the bike chain after rain.\n", encoding="utf-8")
    with qtbot.waitSignal(dialog._docs.finished, timeout=TIMEOUT_MS) as blocker:
        dialog.reindex_selected()
    assert blocker.args[1].added == 1 and "1 added" in dialog.notice.text
    assert text(dialog.collections.table, 0, 1) == "3"
    index_file = dialog._docs.library.index_file("Home")
    texts = answer_message_boxes(monkeypatch, Button.Cancel)
    assert not dialog.remove_selected()
    assert "Home" in texts[0] and dialog.collections.names() == ["Home"]
    answer_message_boxes(monkeypatch, Button.Ok)
    assert dialog.remove_selected()
    assert dialog.collections.names() == [] and not index_file.exists()
    assert folder.joinpath("bikes.md").exists()  # the person's files are never touched


def test_cancel_indexing_keeps_the_app_usable(qtbot: QtBot, make_app: AppMaker,
                                              tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(1000):  # ~10 MB: long enough to cancel half-way
        (folder / f"note{number}.txt").write_text(f"Note {number}: " + "words " * 1600,
                                                  encoding="utf-8")
    app = make_app()
    dialog = dialog_for(qtbot, app)
    with qtbot.waitSignal(dialog._docs.progress, timeout=TIMEOUT_MS):
        assert dialog.create_collection("Many", [folder])
    assert dialog.cancel_button.isEnabled() and not dialog.reindex_button.isEnabled()
    assert app.window.isEnabled()  # modeless: the chat goes on meanwhile
    with qtbot.waitSignal(dialog._docs.finished, timeout=TIMEOUT_MS) as blocker:
        dialog.jobs["Many"].cancel.click()
    assert blocker.args[1].cancelled
    assert "cancelled" in dialog.notice.text and not dialog.jobs
    assert dialog.reindex_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_cancel_button_drops_a_waiting_job(qtbot: QtBot, make_app: AppMaker,
                                           tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, make_app())
    folder = notes_folder(tmp_path)
    first = tmp_path / "first.txt"
    first.write_text("words " * 100_000, encoding="utf-8")
    with qtbot.waitSignal(dialog._docs.finished, timeout=TIMEOUT_MS) as blocker:
        dialog.create_collection("First", [first])
        dialog.create_collection("Second", [folder])  # waits for First
        assert dialog.collections.selected_name() == "Second"
        assert dialog.cancel_button.isEnabled()
        dialog.cancel_button.click()
    assert blocker.args[0] == "Second" and blocker.args[1].cancelled
    qtbot.waitUntil(lambda: not dialog._docs.is_indexing("First"), timeout=TIMEOUT_MS)


def test_window_follows_the_language(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    dialog = dialog_for(qtbot, app)
    app.ctx.settings.set("ui.language", "zh_CN")
    assert dialog.windowTitle() == "文档" and dialog.new_button.text() == "新建文档集…"
    assert app.window.menu_actions["docs"].text() == "文档(&D)…"
    app.ctx.settings.set("ui.language", "en")
    assert dialog.windowTitle() == "Documents"
