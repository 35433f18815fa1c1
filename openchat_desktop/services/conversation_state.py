"""The open conversation's state: which one it is, its own settings, and the model it asks for.

Which model a conversation talks to, and how it samples, come from its own overrides on top
of the app settings. The model is loaded only when it differs from the one already loaded
(or loading), so switching between conversations of the same model costs nothing.
``ChatSession`` holds one ``ConversationState``; nothing else writes to it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from openchat_desktop.core.errors import OpenChatError, StoreError
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services import conversation_settings as conv_settings
from openchat_desktop.services.llm_worker import LlmWorker, ModelStatus
from openchat_desktop.services.settings_bridge import SettingsBridge


class ConversationState(QObject):
    """The open conversation's id, its effective settings and the model request for it.

    Signals:
        settings_changed(): the open conversation's own settings changed.
        notice(str): a one-line remark for the user (no model to load, template fallback).
    """

    settings_changed = Signal()
    notice = Signal(str)

    def __init__(self, store: ConversationStore, worker: LlmWorker, settings: SettingsBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store, self._worker, self._settings = store, worker, settings
        self.current_id: int | None = None
        self._requested_load: LoadSettings | None = None
        self.load_error: str | None = None  # why the last load failed, until the next one
        worker.load_started.connect(self._on_worker_load_started)
        worker.load_failed.connect(self._on_worker_load_failed)
        worker.loaded.connect(self._on_worker_loaded)

    @property
    def model_requested(self) -> bool:
        """Whether a model was asked for (and not replaced by someone else's since)."""
        return self._requested_load is not None

    def require_current(self) -> int:
        """The open conversation's id; raises StoreError when none is open."""
        if self.current_id is None:
            raise StoreError("No conversation is open.")
        return self.current_id

    # -- settings ---------------------------------------------------------------------------
    def values(self, conv_id: int | None = None) -> dict[str, Any]:
        """Every setting as ``conv_id`` (default: the open conversation) sees it."""
        conv_id = self.current_id if conv_id is None else conv_id
        overrides = {} if conv_id is None else self._store.conversation_settings(conv_id)
        return conv_settings.merged(self._settings.snapshot(), overrides)

    def sampling(self) -> SamplingSettings:
        return conv_settings.sampling_from(self.values())

    def load_settings(self) -> LoadSettings:
        """Raises NoModelError when no model is set and the starter model is missing."""
        return conv_settings.load_settings_from(self.values())

    def overrides(self) -> dict[str, Any]:
        """The settings the open conversation sets itself (the rest follow the app's)."""
        return {} if self.current_id is None else self._store.conversation_settings(
            self.current_id)

    def set_override(self, key: str, value: Any) -> None:
        """Override ``key`` for this conversation (raises SettingsError); None goes back to
        the app's value. A changed model setting reloads the model if one is in use."""
        conv_id = self.require_current()
        overrides = self._store.conversation_settings(conv_id)
        if value is None:
            overrides.pop(key, None)
        else:
            overrides[key] = conv_settings.validate_override(key, value)
        self._save_overrides(conv_id, overrides, reload=key.startswith("model."))

    def reset_overrides(self) -> None:
        """Drop every override: the conversation follows the app settings again. Its
        attached documents are not a setting and stay attached."""
        conv_id = self.require_current()
        key = conv_settings.DOCS_COLLECTIONS_KEY
        attached = self._store.conversation_settings(conv_id).get(key)
        kept = {key: attached} if attached else {}
        self._save_overrides(conv_id, kept, reload=True)

    def _save_overrides(self, conv_id: int, overrides: dict[str, Any], reload: bool) -> None:
        self._store.set_conversation_settings(conv_id, overrides)
        self.settings_changed.emit()
        if reload and self.model_requested:
            self.ensure_model_loaded()

    # -- the model --------------------------------------------------------------------------
    def ensure_model_loaded(self) -> bool:
        """Load the open conversation's model unless it is already loaded or loading.
        Returns False (and says why in ``notice``) when there is no model to load."""
        try:
            self.request_model(self.load_settings())
        except OpenChatError as exc:
            self.notice.emit(str(exc))
            return False
        return True

    def request_model(self, wanted: LoadSettings) -> None:
        """Ask the worker for ``wanted`` unless it is the model already asked for."""
        if wanted == self._requested_load:
            return
        self._requested_load = wanted
        self.load_error = None
        self._worker.load(wanted)

    def model_name(self) -> str:
        """The loaded model's name, else the one being loaded, else ""."""
        status = self._worker.status
        if status is not None:
            return status.model_name
        return self._requested_load.model_path.stem if self._requested_load else ""

    @Slot(str)
    def _on_worker_load_started(self, path: str) -> None:
        # Someone else (the model manager) loads another model: ours must be asked again.
        if self._requested_load is None or path != str(self._requested_load.model_path):
            self._requested_load = None

    @Slot(str, str)
    def _on_worker_load_failed(self, message: str, details: str) -> None:
        self._requested_load = None
        self.load_error = message

    @Slot(object)
    def _on_worker_loaded(self, status: ModelStatus) -> None:
        if status.template_warning:
            self.notice.emit(status.template_warning)
