"""The one bundle of app-wide objects, built once in ``app.py`` and passed to every widget.

No module reaches for a global: a test builds its own context (a fake engine, a temporary
home) and swaps any member it likes before the window is made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.paths import AppPaths
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.conversations import ConversationService
from openchat_desktop.services.docs import DocsService
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.notifications import NotificationBus
from openchat_desktop.services.settings_bridge import SettingsBridge
from openchat_desktop.ui.i18n import Translator

if TYPE_CHECKING:
    from openchat_desktop.services.downloads import DownloadService
    from openchat_desktop.services.model_catalog import ModelCatalogService

log = logging.getLogger(__name__)


@dataclass
class ModelServices:
    """The model library and downloads (what the Model Manager window needs)."""

    settings: SettingsBridge
    downloads: DownloadService
    model_catalog: ModelCatalogService
    i18n: Translator | None = None


@dataclass
class AppContext:
    """Settings, conversations, the model worker and the chat session of one running app.

    Widgets read and change conversations through ``conversations`` (the session's
    ``ConversationService``), never through ``store``, which is here to be closed last.
    ``docs`` holds the local-document collections, their indexing and searches.
    """

    paths: AppPaths
    settings: SettingsBridge
    store: ConversationStore
    worker: LlmWorker
    session: ChatSession
    bus: NotificationBus
    i18n: Translator
    docs: DocsService
    closed: bool = False
    _model_services: ModelServices | None = field(default=None, repr=False)
    _services_watchers: list[Callable[[ModelServices], None]] = field(
        default_factory=list, repr=False)

    @property
    def conversations(self) -> ConversationService:
        """The one way to list and change conversations; ``changed`` follows every change."""
        return self.session.conversations

    @property
    def has_model_services(self) -> bool:
        """Whether ``model_services()`` has been made (asking never makes it)."""
        return self._model_services is not None

    def when_model_services(self, callback: Callable[[ModelServices], None]) -> None:
        """Call ``callback(services)`` once the model services exist (now, if they do), so a
        widget can follow downloads without being the one that brings the Hub client in."""
        if self._model_services is not None:
            callback(self._model_services)
        else:
            self._services_watchers.append(callback)

    def model_services(self) -> ModelServices:
        """The download and catalog services, made on first use: they bring in the Hub
        client, which costs half a second of imports nobody should wait for at start-up."""
        if self._model_services is None:
            from openchat_desktop.services.downloads import DownloadService
            from openchat_desktop.services.model_catalog import ModelCatalogService

            self._model_services = ModelServices(
                self.settings, DownloadService(self.settings, bus=self.bus),
                ModelCatalogService(self.settings), self.i18n)
            watchers, self._services_watchers = self._services_watchers, []
            for callback in watchers:
                callback(self._model_services)
        return self._model_services

    def close(self) -> None:
        """Stop the reply, save it, free the model and close the files; safe to call twice.

        The order matters: the session saves the stopped reply before the store closes, and
        the worker frees the model on its own thread before the process ends.
        """
        if self.closed:
            return
        self.closed = True
        try:
            self.session.shutdown()
            self.session.flush()
        except StoreError as exc:
            log.warning("reply not saved at quit: %s", exc)
        if self._model_services is not None:
            self._model_services.downloads.shutdown()
        self.docs.shutdown()  # indexing stops between two files; its index stays usable
        self.worker.shutdown()
        self.settings.close()
        self.store.close()
