"""Start the desktop app: build the one ``AppContext``, show the window, tidy up at quit.

The window is shown before anything slow happens: the model loads on its worker thread
afterwards, and llama.cpp, pygments and the Hub client are imported only when first needed.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from openchat_desktop.core.docs.collections import DocsLibrary
from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.state_cache import StateCache
from openchat_desktop.core.logs import setup_logging
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.settings import Settings
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.server.switch import ApiServerSwitch
from openchat_desktop.services.chat_session import ChatSession
from openchat_desktop.services.conversations import ConversationService
from openchat_desktop.services.docs import DocsService
from openchat_desktop.services.llm_worker import EngineFactory, LlmWorker, default_engine_factory
from openchat_desktop.services.notifications import NotificationBus, install_excepthooks
from openchat_desktop.services.settings_bridge import SettingsBridge
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.i18n import Translator
from openchat_desktop.ui.main_window import MainWindow
from openchat_desktop.ui.qt_preflight import check_qt_can_start
from openchat_desktop.ui.resumed_downloads import resume_unfinished_downloads
from openchat_desktop.ui.single_instance import SingleInstance, server_name
from openchat_desktop.ui.smoke import SmokeTest
from openchat_desktop.ui.theme import ThemeManager

log = logging.getLogger(__name__)
APP_NAME = "OpenChat"
STATE_CACHE_KEY = "cache.state_cache_mb"
ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICON_SIZES = (16, 32, 48, 64, 128, 256)
STARTUP_CHECKS_MS = 500  # after the first paint: start-up stays fast


def build_context(home: str | Path | None = None,
                  engine_factory: EngineFactory | None = None) -> AppContext:
    """Open the settings, the conversation store and the model worker of one profile.

    ``home`` overrides ``$OPENCHAT_HOME``; ``engine_factory`` (default: the real engine,
    imported lazily on the worker thread) lets tests run the app on a scripted fake.
    """
    paths = app_paths(home).ensure()
    settings = SettingsBridge(Settings(paths.settings_file))
    store = ConversationStore(paths.database_file)
    purge_bin(store)
    worker = LlmWorker(engine_factory or default_engine_factory,
                       state_cache=kept_states(paths.state_cache_dir, settings))
    docs = DocsService(DocsLibrary(paths.docs_dir), settings,
                       live_conversations=lambda: live_conversation_ids(store))
    # The session marks replies left "streaming" by a crash as interrupted.
    session = ChatSession(store, worker, settings, ConversationService(store), docs=docs)
    i18n = Translator(settings.get("ui.language"))
    # The language follows its setting from here, whoever changes it and whatever is open.
    settings.changed.connect(
        lambda key, value: i18n.set_language(str(value)) if key == "ui.language" else None)
    ctx = AppContext(paths=paths, settings=settings, store=store, worker=worker,
                     session=session, bus=NotificationBus(), i18n=i18n, docs=docs)
    report_docs_problems(ctx)
    return ctx


def live_conversation_ids(store: ConversationStore) -> set[int]:
    """Conversations that still exist, those in the bin included (they can come back)."""
    return {summary.id for summary in store.list_conversations(include_deleted=True)}


def report_docs_problems(ctx: AppContext) -> None:
    """Indexing that stops on an error, or runs without its embedding model, is told on the
    one message path, so the user hears of it with the documents dialog closed."""
    ctx.docs.notice.connect(ctx.bus.show_warning)
    ctx.docs.failed.connect(lambda name, message: ctx.bus.show_warning(
        f"Indexing “{name}” stopped: {message}"))


def kept_states(folder: Path, settings: SettingsBridge) -> StateCache:
    """The conversation state cache, its disk cap following its setting."""
    cache = StateCache(folder, int(settings.get(STATE_CACHE_KEY)) << 20)
    settings.changed.connect(lambda key, value: cache.set_disk_cap(int(value) << 20)
                             if key == STATE_CACHE_KEY else None)
    return cache


def purge_bin(store: ConversationStore) -> None:
    """Erase conversations deleted over 30 days ago, once per start (one quick query)."""
    try:
        purged = store.purge_deleted()
    except OpenChatError as exc:  # a full or read-only disk must not stop the app
        log.warning("deleted conversations not purged: %s", exc)
        return
    if purged:
        log.info("purged %d conversation(s) deleted over 30 days ago", purged)


def report_startup_problems(ctx: AppContext) -> None:
    """Settings reset to defaults or a damaged database recovered: say so once."""
    for warning in ctx.settings.warnings:
        ctx.bus.show_warning(warning)
    notice = ctx.conversations.recovery_notice
    if notice:
        ctx.bus.show_warning(notice)


def app_icon() -> QIcon:
    """The OpenChat icon, from ``resources/icons`` beside the package (checkout or bundle)."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = ICON_DIR / f"openchat-{size}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("openchat-desktop")
    app.setWindowIcon(app_icon())
    return app


def run_gui(smoke_test: bool = False, screenshot: str | None = None) -> int:
    """Run the window until it closes; returns the exit code.

    With ``smoke_test`` the window asks the model one question through the composer and
    closes; any failure returns 1 with a one-line reason on stderr.
    """
    check_qt_can_start()  # Qt would abort the process without a display or its libraries
    started = time.perf_counter()
    app = _application()
    paths = app_paths().ensure()
    setup_logging(paths)
    instance = None if smoke_test else SingleInstance(server_name(paths.data_dir))
    if instance is not None and instance.notify_running():
        log.info("another instance is running; asked it to come to the front")
        return 0
    if instance is not None:
        instance.listen()
    ctx = build_context()
    uninstall_hooks = install_excepthooks(ctx.bus)
    try:
        return _run_window(app, ctx, instance, smoke_test, screenshot, started)
    finally:
        uninstall_hooks()
        ctx.close()
        if instance is not None:
            instance.close()


def _run_window(app: QApplication, ctx: AppContext, instance: SingleInstance | None,
                smoke_test: bool, screenshot: str | None, started: float) -> int:
    window = MainWindow(ctx, ThemeManager(app, ctx.settings.get("ui.theme")))
    if instance is not None:
        instance.activated.connect(window.bring_to_front)
    if smoke_test:
        return _run_smoke_test(app, window, screenshot)
    window.restore_state()
    window.show()
    log.info("window shown %.0f ms after start", (time.perf_counter() - started) * 1000)
    QTimer.singleShot(0, window.start)
    QTimer.singleShot(0, lambda: report_startup_problems(ctx))
    QTimer.singleShot(STARTUP_CHECKS_MS, lambda: resume_unfinished_downloads(ctx))
    # Files changed while the app was closed are read again, in the background.
    QTimer.singleShot(STARTUP_CHECKS_MS, ctx.docs.reindex_changed_on_start)
    api_server = start_api_server(ctx, window)
    code = app.exec()
    api_server.stop()  # before the worker goes: open requests end, waiting ones are refused
    window.close()
    return int(code)


def start_api_server(ctx: AppContext, window: MainWindow) -> ApiServerSwitch:
    """The local API server, on when its setting says so; it shares the window's model
    worker (window replies first) and shows its address and requests in the status bar."""
    switch = ApiServerSwitch(ctx.settings, ctx.worker, window)
    switch.status_changed.connect(window.status.show_api_status)
    switch.failed.connect(lambda reason: ctx.bus.show_warning(
        ctx.i18n.tr("The API server did not start: {reason}").format(reason=reason)))
    QTimer.singleShot(STARTUP_CHECKS_MS, switch.apply)
    return switch


def _run_smoke_test(app: QApplication, window: MainWindow, screenshot: str | None) -> int:
    window.persist_state = False  # a test run must not move the user's window next time
    smoke = SmokeTest(window, screenshot)
    smoke.finished.connect(lambda _code, _reason: window.close())
    window.ctx.bus.error.connect(lambda message, _details: log.error("smoke test: %s", message))
    window.show()
    QTimer.singleShot(0, smoke.start)
    app.exec()
    if smoke.code is None:
        print("openchat: smoke test: the window closed before the test ended", file=sys.stderr)
        return 1
    if smoke.code != 0:
        print(f"openchat: smoke test failed: {smoke.reason}", file=sys.stderr)
    return smoke.code
