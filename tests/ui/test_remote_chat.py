"""Remote engines in the window, against the real ``llama_cpp.server``: one conversation
switches between a local model and a remote one, and a remote reply is marked as such (host
under the reply, ``Remote: host`` in the status bar); the picker groups the connection's
models; Stop frees the server; Settings → Connections saves a connection and its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import fake_engine_factory
from fixtures.apps import App, AppMaker, send
from fixtures.remote import SERVER_KEY
from pytestqt.qtbot import QtBot
from remote_fakes import LlamaServer

from openchat_desktop.core.llm.sampling import LoadSettings
from openchat_desktop.core.remote.connections import Connection, ConnectionStore
from openchat_desktop.core.remote.keys import KeyStore
from openchat_desktop.core.remote.model_ref import parse_remote
from openchat_desktop.services.llm_worker import default_engine_factory

KEY = SERVER_KEY
REMOTE = "remote:box/starter"
pytestmark = pytest.mark.usefixtures("memory_keyring")


@pytest.fixture
def server(llama_server: LlamaServer) -> LlamaServer:
    return llama_server


def local_or_remote() -> Any:
    """The fake engine for files, the real remote client for ``remote:`` models."""
    fake = fake_engine_factory()

    def factory(settings: LoadSettings) -> Any:
        if parse_remote(settings.model_path) is not None:
            return default_engine_factory(settings)
        return fake(settings)

    return factory


def remote_app(make_app: AppMaker, server: LlamaServer, openchat_home: Path) -> App:
    config = openchat_home / "config"
    ConnectionStore(config).put(Connection("box", server.base_url))
    KeyStore(config).set("box", KEY)
    return make_app(factory=local_or_remote())


def stats_text(app: App, index: int) -> str:
    return app.widgets()[index]._stats.text()


def test_local_and_remote_in_one_conversation(qtbot: QtBot, make_app: AppMaker,
                                              server: LlamaServer, openchat_home: Path,
                                              fake_model: Path) -> None:
    app = remote_app(make_app, server, openchat_home)
    status = app.window.status
    send(qtbot, app, "hello")
    assert "remote" not in stats_text(app, -1)
    app.use_model(REMOTE, **{"sampling.max_tokens": 6})
    send(qtbot, app, "Name a colour.", timeout=30_000)
    host = server.base_url.split("//")[1].split("/")[0]
    assert f"remote: {host}" in stats_text(app, -1) and "box/starter" in stats_text(app, -1)
    assert "remote" not in stats_text(app, 1)
    assert status.remote_label.isVisible()
    assert status.remote_label.text() == f"Remote: {host}"
    app.use_model(str(fake_model))
    send(qtbot, app, "and locally again")
    assert not status.remote_label.isVisible()
    assert len(app.widgets()) == 6


def test_picker_groups_connection_models(qtbot: QtBot, make_app: AppMaker,
                                         server: LlamaServer, openchat_home: Path) -> None:
    app = remote_app(make_app, server, openchat_home)
    picker = app.window.settings_panel.model_picker
    picker.reload_remote()
    qtbot.waitUntil(lambda: picker.combo.findData(REMOTE) >= 0, timeout=10_000)
    heading = picker.combo.findData(REMOTE) - 1
    assert picker.combo.itemText(heading).startswith("box — remote: 127.0.0.1")


def test_stop_a_remote_reply(qtbot: QtBot, make_app: AppMaker, server: LlamaServer,
                             openchat_home: Path) -> None:
    app = remote_app(make_app, server, openchat_home)
    app.use_model(REMOTE, **{"sampling.max_tokens": 400, "sampling.temperature": 1.0})
    session = app.ctx.session
    with qtbot.waitSignal(session.reply_progress, timeout=30_000):
        app.window.composer.set_text("Write a long story.")
        app.window.composer.button.click()
    with qtbot.waitSignal(session.reply_finished, timeout=2_000) as finished:
        session.stop()
    assert finished.args[1].stop_reason == "stopped"
    assert app.widgets()[-1].text()


def test_settings_page_saves_a_connection_and_its_key(qtbot: QtBot, make_app: AppMaker,
                                                      server: LlamaServer,
                                                      openchat_home: Path) -> None:
    app = make_app()
    dialog = app.window.commands.settings()
    page = dialog.connections_page
    page.name_edit.setText("lab")
    page.url_edit.setText(server.base_url)
    page.key_edit.setText(KEY)
    page.buttons["save"].click()
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=5_000)
    assert KeyStore(openchat_home / "config").get("lab") == KEY
    assert KEY not in (openchat_home / "config" / "connections.json").read_text("utf-8")
    assert "keychain" in page.keys_label.text()
    page.buttons["test"].click()
    qtbot.waitUntil(lambda: "models" in page.result_label.text(), timeout=20_000)
    page.buttons["remove"].click()
    assert page.list.count() == 0 and KeyStore(openchat_home / "config").get("lab") == ""
    dialog.reject()
