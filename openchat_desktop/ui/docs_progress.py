"""How a running indexing job looks: one line of figures and a bar with a Cancel button.

The figures read "120 / 3,400 files · 4.2 MB/s · 1 min left". The docs service sends progress
at most every ~200 ms, so the bar repaints a few times a second however fast the files go.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from openchat_desktop.core.docs.types import IndexProgress
from openchat_desktop.core.sizes import format_speed
from openchat_desktop.ui.widgets import named

Tr = Callable[[str], str]
BAR_STEPS = 1000


def time_left(seconds: float | None, tr: Tr) -> str:
    """"40 s left", "3 min left", "1 h 5 min left"; "" while there is no estimate yet."""
    if seconds is None or math.isnan(seconds) or math.isinf(seconds):
        return ""
    whole = max(0, math.ceil(seconds))
    if whole < 60:
        return tr("{seconds} s left").format(seconds=whole)
    minutes = math.ceil(whole / 60)
    if minutes < 60:
        return tr("{minutes} min left").format(minutes=minutes)
    return tr("{hours} h {minutes} min left").format(hours=minutes // 60, minutes=minutes % 60)


def progress_text(progress: IndexProgress, tr: Tr) -> str:
    """"120 / 3,400 files · 4.2 MB/s · 1 min left" (speed and time once they are known)."""
    parts = [tr("{done} / {total} files").format(done=f"{progress.files_done:,}",
                                                  total=f"{progress.files_total:,}")]
    if progress.bytes_per_s > 0:
        parts.append(format_speed(progress.bytes_per_s))
    left = time_left(progress.seconds_left, tr)
    if left and progress.files_done < progress.files_total:
        parts.append(left)
    return " · ".join(parts)


def progress_fraction(progress: IndexProgress) -> float | None:
    """The share done, by bytes where there are any, else by files; None when unknown."""
    if progress.bytes_total > 0:
        return min(1.0, progress.bytes_done / progress.bytes_total)
    if progress.files_total > 0:
        return min(1.0, progress.files_done / progress.files_total)
    return None


class JobProgress(QWidget):
    """One running job: the collection's name, a bar, the figures and Cancel.

    Signals:
        cancel_requested(str name): Cancel was pressed for collection ``name``.
    """

    cancel_requested = Signal(str)

    def __init__(self, name: str, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name, self._tr = name, tr
        self._progress: IndexProgress | None = None
        self.title = named(QLabel(name, self), "roleLabel")
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy until the first figures: the files are being listed
        self.bar.setTextVisible(False)
        self.figures = named(QLabel(self), "muted")
        self.cancel = QPushButton(self)
        self.cancel.clicked.connect(self._on_cancel_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.figures)
        layout.addWidget(self.cancel)
        self.retranslate()

    def show_progress(self, progress: IndexProgress) -> None:
        self._progress = progress
        fraction = progress_fraction(progress)
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, BAR_STEPS)
            self.bar.setValue(round(fraction * BAR_STEPS))
        self.figures.setText(progress_text(progress, self._tr))
        current = str(progress.current) if progress.current is not None else ""
        self.figures.setToolTip(current)

    def set_cancelling(self) -> None:
        self.cancel.setEnabled(False)
        self.figures.setText(self._tr("Stopping…"))

    def retranslate(self) -> None:
        tr = self._tr
        self.cancel.setText(tr("Cancel"))
        self.cancel.setAccessibleName(tr("Cancel indexing {name}").format(name=self.name))
        self.bar.setAccessibleName(tr("Indexing {name}").format(name=self.name))
        if self._progress is not None:
            self.show_progress(self._progress)
        elif self.cancel.isEnabled():
            self.figures.setText(tr("Listing files…"))

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.set_cancelling()
        self.cancel_requested.emit(self.name)
