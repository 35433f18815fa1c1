"""The current conversation's settings and model, the half of ``ChatSession`` without replies.

Which model a conversation talks to, and how it samples, come from its own overrides on top
of the app settings. The model is loaded only when it differs from the one already loaded
(or loading), so switching between conversations of the same model costs nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from openchat_desktop.core.errors import OpenChatError, StoreError
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.store.conversations import ConversationStore, Message
from openchat_desktop.services import conversation_settings as conv_settings
from openchat_desktop.services.llm_worker import LlmWorker, ModelStatus
from openchat_desktop.services.settings_bridge import SettingsBridge


class ConversationContext(QObject):
    """The current conversation id, its effective settings and the model request for it.

    Signals:
        conversation_settings_changed(): the current conversation's own settings changed.
        notice(str): a one-line remark for the user (no model to load, template fallback).
    """

    conversation_settings_changed = Signal()
    notice = Signal(str)

    def __init__(self, store: ConversationStore, worker: LlmWorker, settings: SettingsBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store, self._worker, self._settings = store, worker, settings
        self._conv_id: int | None = None
        self._requested_load: LoadSettings | None = None
        self._load_error: str | None = None
        worker.load_started.connect(self._on_worker_load_started)
        worker.load_failed.connect(self._on_worker_load_failed)
        worker.loaded.connect(self._on_worker_loaded)

    @property
    def current_id(self) -> int | None:
        return self._conv_id

    # -- settings ---------------------------------------------------------------------------
    def conversation_sampling(self) -> SamplingSettings:
        return conv_settings.sampling_from(self._values(self._conv_id))

    def conversation_load_settings(self) -> LoadSettings:
        """Raises NoModelError when no model is set and the starter model is missing."""
        return conv_settings.load_settings_from(self._values(self._conv_id))

    def conversation_overrides(self) -> dict[str, Any]:
        """The settings the current conversation sets itself (the rest follow the app's)."""
        return {} if self._conv_id is None else self._store.conversation_settings(self._conv_id)

    def set_conversation_setting(self, key: str, value: Any) -> None:
        """Override ``key`` for this conversation (raises SettingsError); None goes back to
        the app's value. A changed model setting reloads the model if one is in use."""
        conv_id = self._require_conversation()
        overrides = self._store.conversation_settings(conv_id)
        if value is None:
            overrides.pop(key, None)
        else:
            overrides[key] = conv_settings.validate_override(key, value)
        self._save_overrides(conv_id, overrides, reload=key.startswith("model."))

    def reset_conversation_settings(self) -> None:
        """Drop every override: the conversation follows the app settings again."""
        self._save_overrides(self._require_conversation(), {}, reload=True)

    def ensure_model_loaded(self) -> bool:
        """Load the current conversation's model unless it is already loaded or loading.
        Returns False (and says why in ``notice``) when there is no model to load."""
        try:
            self._request_model(self.conversation_load_settings())
        except OpenChatError as exc:
            self.notice.emit(str(exc))
            return False
        return True

    # -- helpers for the session -----------------------------------------------------------
    def _values(self, conv_id: int | None) -> dict[str, Any]:
        overrides = {} if conv_id is None else self._store.conversation_settings(conv_id)
        return conv_settings.merged(self._settings.snapshot(), overrides)

    def _save_overrides(self, conv_id: int, overrides: dict[str, Any], reload: bool) -> None:
        self._store.set_conversation_settings(conv_id, overrides)
        self.conversation_settings_changed.emit()
        if reload and self._requested_load is not None:
            self.ensure_model_loaded()

    def _request_model(self, wanted: LoadSettings) -> None:
        if wanted == self._requested_load:
            return
        self._requested_load = wanted
        self._load_error = None
        self._worker.load(wanted)

    def _model_name(self) -> str:
        status = self._worker.status
        if status is not None:
            return status.model_name
        return self._requested_load.model_path.stem if self._requested_load else ""

    def _require_conversation(self) -> int:
        if self._conv_id is None:
            raise StoreError("No conversation is open.")
        return self._conv_id

    def message(self, message_id: int) -> Message | None:
        """A message of the open conversation as stored now; None when it is not there."""
        try:
            return self._message(message_id)
        except StoreError:
            return None

    def _message(self, message_id: int) -> Message:
        """A message of the current conversation, whichever version is shown."""
        found = next((m for m in self._store.siblings(message_id) if m.id == message_id), None)
        if found is None or found.conversation_id != self._conv_id:
            raise StoreError("That message is not in the open conversation.")
        return found

    @Slot(str)
    def _on_worker_load_started(self, path: str) -> None:
        # Someone else (the model manager) loads another model: ours must be asked again.
        if self._requested_load is None or path != str(self._requested_load.model_path):
            self._requested_load = None

    @Slot(str, str)
    def _on_worker_load_failed(self, message: str, details: str) -> None:
        self._requested_load = None
        self._load_error = message

    @Slot(object)
    def _on_worker_loaded(self, status: ModelStatus) -> None:
        if status.template_warning:
            self.notice.emit(status.template_warning)
