"""Settings → Connections: the remote OpenAI-compatible servers the app can chat through.

Add, edit, remove and test a connection (a name, a base URL, an API key, extra headers). The
key goes to the system keychain (or the private key file where there is none, which the page
says); the field shows only whether a key is stored, never the key. A host outside the user's
network asks for a yes once. Changes are saved at once: they are not part of the settings
dialog's Cancel, which only puts settings values back.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from openchat_desktop.core.remote.connections import Connection, ConnectionStore, validated
from openchat_desktop.core.remote.errors import RemoteError, host_of
from openchat_desktop.core.remote.keys import KeyStore
from openchat_desktop.services.notifications import one_line_reason
from openchat_desktop.services.tasks import run_in_background
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.widgets import named


def parse_headers(text: str) -> dict[str, str]:
    """``NAME=VALUE`` pairs separated by commas or new lines; raises RemoteError."""
    headers: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.replace("\n", ",").split(","))):
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise RemoteError(f"Header {pair!r}: give NAME=VALUE.", "config")
        headers[name.strip()] = value.strip()
    return headers


class ConnectionsPage(QWidget):
    """The list of connections and an editor for the selected one.

    Signals: ``changed()`` after a connection was saved or removed.
    """

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.store = ConnectionStore(ctx.paths.config_dir)
        self.keys = KeyStore(ctx.paths.config_dir)
        self.list = QListWidget(self)
        self.name_edit, self.url_edit = QLineEdit(self), QLineEdit(self)
        self.key_edit, self.headers_edit = QLineEdit(self), QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.buttons = {name: QPushButton(self) for name in ("new", "save", "remove", "test")}
        self.keys_label = named(QLabel(self, wordWrap=True), "muted")
        self.result_label = QLabel(self, wordWrap=True)
        self._form = QFormLayout()
        self._labels = [QLabel(self) for _ in range(4)]
        for label, edit in zip(self._labels, (self.name_edit, self.url_edit, self.key_edit,
                                              self.headers_edit), strict=True):
            label.setBuddy(edit)
            self._form.addRow(label, edit)
        self._layout()
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        for name, button in self.buttons.items():
            button.clicked.connect(getattr(self, f"_on_{name}_clicked"))
        self.retranslate()
        self._refresh()

    def _layout(self) -> None:
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(self._form)
        layout.addLayout(row)
        layout.addWidget(self.result_label)
        layout.addWidget(self.keys_label)

    def retranslate(self) -> None:
        tr = self._ctx.i18n.tr
        for label, text in zip(self._labels, (tr("Name"), tr("Base URL"), tr("API key"),
                                              tr("Extra headers")), strict=True):
            label.setText(text)
        self.url_edit.setPlaceholderText("http://gpu-box:8000/v1")
        self.headers_edit.setPlaceholderText(tr("NAME=VALUE, NAME=VALUE"))
        self.list.setAccessibleName(tr("Connections"))
        for name, text in (("new", tr("New")), ("save", tr("Save")), ("remove", tr("Remove")),
                           ("test", tr("Test"))):
            self.buttons[name].setText(text)
        self.keys_label.setText(self._where_text())
        self._show_key_state()

    def _where_text(self) -> str:
        tr = self._ctx.i18n.tr
        if self.keys.uses_keychain:
            return tr("API keys are kept in the system keychain.")
        return tr("No system keychain was found: API keys are kept in {file}, readable only "
                  "by you.").format(file=self.keys.file)

    def selected(self) -> Connection | None:
        item = self.list.currentItem()
        return self.store.get(item.text().split(" — ")[0]) if item is not None else None

    def _refresh(self, select: str = "") -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for connection in self.store.all():
            self.list.addItem(f"{connection.name} — {connection.base_url}")
            if connection.name == select:
                self.list.setCurrentRow(self.list.count() - 1)
        self.list.blockSignals(False)
        self._on_list_current_row_changed(self.list.currentRow())

    def _show_key_state(self) -> None:
        tr, chosen = self._ctx.i18n.tr, self.selected()
        stored = chosen is not None and bool(self.keys.get(chosen.name))
        self.key_edit.setPlaceholderText(tr("a key is stored (type to replace it)") if stored
                                         else tr("none"))

    def _edited(self) -> Connection:
        name = self.name_edit.text().strip()
        # Settings only the command line sets (proxy, CA file…) survive an edit here.
        previous = self.store.get(name) or Connection(name, "")
        connection = validated(replace(previous, base_url=self.url_edit.text().strip(),
                                       headers=parse_headers(self.headers_edit.text()),
                                       public_ok=False))
        if previous.base_url == connection.base_url:
            connection = replace(connection, public_ok=previous.public_ok)
        return connection

    def _say(self, text: str, error: bool = False) -> None:
        label = self.result_label
        label.setObjectName("errorLabel" if error else "")
        label.style().unpolish(label)  # the theme's colour follows the object name
        label.style().polish(label)
        label.setText(text)

    # -- slots ------------------------------------------------------------------------------
    @Slot(int)
    def _on_list_current_row_changed(self, _row: int) -> None:
        chosen = self.selected()
        self.name_edit.setText(chosen.name if chosen else "")
        self.url_edit.setText(chosen.base_url if chosen else "")
        self.headers_edit.setText(", ".join(f"{k}={v}" for k, v in
                                            (chosen.headers if chosen else {}).items()))
        self.key_edit.clear()
        self._show_key_state()
        self.buttons["remove"].setEnabled(chosen is not None)
        self.buttons["test"].setEnabled(chosen is not None)

    @Slot()
    def _on_new_clicked(self) -> None:
        self.list.setCurrentRow(-1)
        self._on_list_current_row_changed(-1)
        self.name_edit.setFocus()

    @Slot()
    def _on_save_clicked(self) -> None:
        try:
            connection = self._edited()
        except RemoteError as exc:
            self._say(str(exc), error=True)
            return
        # Resolving the host name may take a moment: off the GUI thread.
        from openchat_desktop.core.remote.opening import needs_confirmation

        run_in_background(lambda: needs_confirmation(connection),
                          lambda ask: self._save(connection, ask),
                          lambda exc: self._say(one_line_reason(exc), error=True))

    def _save(self, connection: Connection, ask: bool) -> None:
        if ask:
            if not self.confirm_public(connection):
                self._say(self._ctx.i18n.tr("Not saved."))
                return
            connection = replace(connection, public_ok=True)
        try:
            connection = self.store.put(connection)
            if self.key_edit.text():
                self.keys.set(connection.name, self.key_edit.text())
        except (RemoteError, OSError) as exc:
            self._say(one_line_reason(exc), error=True)
            return
        self._say(self._ctx.i18n.tr("Saved {name}.").format(name=connection.name))
        self._refresh(select=connection.name)
        self.changed.emit()

    def confirm_public(self, connection: Connection) -> bool:
        """Ask once before conversations go to a host outside the user's network."""
        tr = self._ctx.i18n.tr
        answer = QMessageBox.question(
            self, tr("Send conversations to another network?"),
            tr("{host} is outside your network. Chats with its models are sent there and "
               "leave this computer. Use it?").format(host=host_of(connection.base_url)))
        return answer == QMessageBox.StandardButton.Yes

    @Slot()
    def _on_remove_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        self.store.remove(chosen.name)
        self.keys.delete(chosen.name)
        self._say(self._ctx.i18n.tr("Removed {name}.").format(name=chosen.name))
        self._refresh()
        self.changed.emit()

    @Slot()
    def _on_test_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        from openchat_desktop.core.remote.opening import probe  # loads httpx

        tr, key = self._ctx.i18n.tr, self.keys.get(chosen.name)
        self._say(tr("Testing {name}…").format(name=chosen.name))
        self.buttons["test"].setEnabled(False)
        run_in_background(lambda: probe(chosen, key), self._on_probe_done,
                          self._on_probe_failed)

    def _on_probe_done(self, result: object) -> None:
        tr = self._ctx.i18n.tr
        self.buttons["test"].setEnabled(self.selected() is not None)
        models = getattr(result, "models", [])
        names = ", ".join(m.id for m in models[:5]) + (" …" if len(models) > 5 else "")
        self._say(tr("{count} models ({names}); first token after {ttft:.2f} s.").format(
            count=len(models), names=names or "-", ttft=getattr(result, "ttft_seconds", 0.0)))

    def _on_probe_failed(self, exc: BaseException) -> None:
        self.buttons["test"].setEnabled(self.selected() is not None)
        self._say(one_line_reason(exc), error=True)
