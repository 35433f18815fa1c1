"""The model manager's "Downloads" tab: one row per download, refreshed every 500 ms.

Rows change only on the download service's signals, whose progress comes from its 500 ms
timer (qutebrowser's download view rate), so a fast download costs a few repaints a second.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.models.download_types import DownloadProgress
from openchat_desktop.core.sizes import format_duration, format_size, format_speed
from openchat_desktop.services.downloads import DownloadItem, DownloadService
from openchat_desktop.ui.i18n import N_
from openchat_desktop.ui.model_manager.widgets import (
    Button,
    Tr,
    ask,
    cell,
    make_table,
    untranslated,
)

COLUMNS = (N_("File"), N_("Progress"), N_("Done / Total"), N_("Speed"), N_("Time left"), "",
           N_("State"))
PROGRESS, ACTIONS, STATE = 1, 5, 6
STATE_TEXT = {"queued": N_("Queued"), "starting": N_("Starting…"),
              "downloading": N_("Downloading"), "retrying": N_("Retrying"),
              "verifying": N_("Verifying…"), "paused": N_("Paused"),
              "cancelled": N_("Cancelled"), "done": N_("Done"), "failed": N_("Failed")}
_RUNNING = {"queued", "starting", "downloading", "retrying", "verifying"}
_OVER = {"done", "cancelled"}
ERROR_COLOUR = "#b3261e"


class DownloadRowActions(QWidget):
    """The Pause, Resume and Cancel buttons of one row. Signals: none (buttons only)."""

    def __init__(self, parent: QWidget | None = None, tr: Tr = untranslated) -> None:
        super().__init__(parent)
        self._tr = tr
        self.pause, self.resume = QPushButton(tr("Pause")), QPushButton(tr("Resume"))
        self.cancel = QPushButton(tr("Cancel…"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        for button in (self.pause, self.resume, self.cancel):
            layout.addWidget(button)

    def show_state(self, state: str) -> None:
        tr = self._tr
        self.pause.setText(tr("Pause"))
        self.cancel.setText(tr("Cancel…"))
        self.pause.setEnabled(state in _RUNNING)
        self.resume.setEnabled(state in ("paused", "failed"))
        self.resume.setText(tr("Retry") if state == "failed" else tr("Resume"))
        self.cancel.setEnabled(state not in _OVER)


class DownloadsTab(QWidget):
    """Every download of this session with its progress, speed, time left and controls.

    Signals: none; it drives the ``DownloadService`` directly.
    """

    def __init__(self, downloads: DownloadService, parent: QWidget | None = None, *,
                 tr: Tr = untranslated) -> None:
        super().__init__(parent)
        self._downloads, self._tr = downloads, tr
        self._rows: dict[int, int] = {}  # download id -> table row
        self.table = make_table(COLUMNS, tr=tr)
        self.table.horizontalHeader().setMinimumSectionSize(70)
        self.table.setAlternatingRowColors(False)  # reason lines would break the stripes
        self.empty = QLabel()
        self.clear_button = QPushButton()
        self.clear_button.clicked.connect(self._on_clear_clicked)
        footer = QHBoxLayout()
        footer.addWidget(self.empty)
        footer.addStretch(1)
        footer.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(footer)
        downloads.added.connect(self._on_download_added)
        downloads.progress.connect(self._on_download_progress)
        downloads.state_changed.connect(self._on_download_state_changed)
        self.retranslate()

    def retranslate(self) -> None:
        """Put the labels and every row in the current language."""
        tr = self._tr
        self.table.setHorizontalHeaderLabels([tr(text) if text else "" for text in COLUMNS])
        self.empty.setText(tr("No downloads yet. Download a model from the Catalog or Search "
                              "tab."))
        self.clear_button.setText(tr("Clear finished"))
        for item in self._downloads.items():
            self._show(item)
        self._update_footer()

    def row_of(self, item_id: int) -> int:
        return self._rows.get(item_id, -1)

    def row_actions(self, item_id: int) -> DownloadRowActions:
        widget = self.table.cellWidget(self._rows[item_id], ACTIONS)
        assert isinstance(widget, DownloadRowActions)
        return widget

    def reason_text(self, item_id: int) -> str:
        """The row's inline reason line ("" when it has none)."""
        row = self._rows[item_id] + 1
        item = self.table.item(row, 0)
        return "" if item is None or self.table.isRowHidden(row) else item.text()

    @Slot(int)
    def _on_download_added(self, item_id: int) -> None:
        self._refresh(item_id)

    @Slot(int, object)
    def _on_download_progress(self, item_id: int, _progress: DownloadProgress) -> None:
        self._refresh(item_id)

    @Slot(int, str)
    def _on_download_state_changed(self, item_id: int, _state: str) -> None:
        self._refresh(item_id)

    def _refresh(self, item_id: int) -> None:
        item = next((i for i in self._downloads.items() if i.id == item_id), None)
        if item is not None:
            self._show(item)
            self._update_footer()

    def _show(self, item: DownloadItem) -> None:
        row = self._rows.get(item.id)
        if row is None:
            row = self._rows[item.id] = self._add_row(item)
        progress = item.progress
        bar = self.table.cellWidget(row, PROGRESS)
        assert isinstance(bar, QProgressBar)
        # A busy bar only while transferring a file of unknown size; else the share done.
        bar.setRange(0, 0 if progress.total is None and item.state in _RUNNING - {"queued"}
                     else 1000)
        bar.setValue(int((progress.fraction or 0.0) * 1000))
        percent = f"{(progress.fraction or 0.0) * 100:.0f}%" if progress.total else ""
        bar.setFormat(self._tr("failed") if item.state == "failed" else percent)
        self.table.setItem(row, 2, cell(_amounts(progress), align_right=True))
        running = item.state in ("downloading", "retrying")
        self.table.setItem(row, 3, cell(format_speed(progress.speed) if running else "",
                                        align_right=True))
        self.table.setItem(row, 4, cell(format_duration(progress.eta) if running else "",
                                        align_right=True))
        state = cell(self._tr(STATE_TEXT.get(item.state, item.state)))
        if item.state == "failed":
            state.setForeground(QColor(ERROR_COLOUR))
        self.table.setItem(row, STATE, state)
        self.row_actions(item.id).show_state(item.state)
        self._show_reason(row + 1, item)

    def _show_reason(self, row: int, item: DownloadItem) -> None:
        """The one-line reason of a failure (or of a retry) on a full-width line below."""
        reason = item.error if item.state == "failed" else \
            item.progress.message if item.state == "retrying" else ""
        if reason:
            line = cell(reason)
            line.setForeground(QColor(ERROR_COLOUR if item.state == "failed" else "#6b4e00"))
            self.table.setItem(row, 0, line)
        self.table.setRowHidden(row, not reason or self.table.isRowHidden(row - 1))

    def _add_row(self, item: DownloadItem) -> int:
        """Two table rows per download: the figures, then a reason line spanning them all."""
        row = self.table.rowCount()
        self.table.setRowCount(row + 2)
        self.table.setSpan(row + 1, 0, 1, len(COLUMNS))
        self.table.setRowHidden(row + 1, True)
        self.table.setItem(row, 0, cell(item.name, f"{item.repo}/{item.filename}"))
        bar = QProgressBar()
        bar.setTextVisible(True)
        bar.setMinimumWidth(150)
        self.table.setCellWidget(row, PROGRESS, bar)
        actions = DownloadRowActions(tr=self._tr)
        actions.pause.clicked.connect(lambda: self._downloads.pause(item.id))
        actions.resume.clicked.connect(lambda: self._downloads.resume(item.id))
        actions.cancel.clicked.connect(lambda: self._on_cancel_clicked(item))
        self.table.setCellWidget(row, ACTIONS, actions)
        return row

    def _on_cancel_clicked(self, item: DownloadItem) -> None:
        tr = self._tr
        text = tr("Stop downloading {name}?\n\nKeep the partial file to continue later "
                  "(downloading it again resumes where it stopped), or delete it to free the "
                  "space now.").format(name=item.name)
        answer = ask(self, tr("Cancel download"), text,
                     {Button.Save: tr("Keep partial file"),
                      Button.Discard: tr("Delete partial file"),
                      Button.Cancel: tr("Don't cancel")}, Button.Save)
        if answer in (Button.Save, Button.Discard):
            self._downloads.cancel(item.id, keep_partial=answer == Button.Save)

    @Slot()
    def _on_clear_clicked(self) -> None:
        for item in self._downloads.items():
            row = self._rows.get(item.id)
            if row is not None and item.state in _OVER:
                self.table.hideRow(row)
                self.table.hideRow(row + 1)
        self._update_footer()

    def _update_footer(self) -> None:
        visible = sum(1 for row in self._rows.values() if not self.table.isRowHidden(row))
        self.empty.setVisible(visible == 0)
        self.clear_button.setEnabled(visible > 0)


def _amounts(progress: DownloadProgress) -> str:
    total = format_size(progress.total) if progress.total else "?"
    return f"{format_size(progress.bytes_done)} / {total}"
