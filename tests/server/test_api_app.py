"""The app's switch: Settings → Local server turns the server on beside the window, on the
window's own model worker; clients chat with the real starter model; the status bar counts
the requests; nothing reaches the user's conversations."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from openchat_desktop.app import start_api_server

pytestmark = [pytest.mark.model, pytest.mark.timeout(240)]
MODEL_SETTINGS = {"model.ctx_size": 1024, "model.threads": 1, "sampling.max_tokens": 8}


def test_switch_serves_the_windows_model(qtbot: QtBot, make_real_app, starter_model: Path
                                         ) -> None:
    import openai

    app = make_real_app()
    ctx = app.ctx
    ctx.settings.set("model.default", str(starter_model))
    for key, value in MODEL_SETTINGS.items():
        ctx.settings.set(key, value)
    app.window.start()
    qtbot.waitUntil(lambda: ctx.worker.status is not None, timeout=60_000)
    switch = start_api_server(ctx, app.window)
    ctx.settings.set("server.port", 0)
    with qtbot.waitSignal(switch.status_changed, timeout=10_000) as started:
        ctx.settings.set("server.enabled", True)
    address = started.args[0]
    assert address.startswith("127.0.0.1:")
    url = f"http://{address}/v1"
    client = openai.OpenAI(base_url=url, api_key="none", max_retries=0, timeout=120)
    model = client.models.list().data[0].id
    assert model == starter_model.stem
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=6)
    chunks = list(client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=6, stream=True))
    assert reply.usage is not None and reply.usage.completion_tokens <= 6
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-sS", "--max-time", "60", f"{url}/chat/completions",
                              "-d", json.dumps({"messages": [{"role": "user", "content": "Hi"}],
                                                "max_tokens": 4})],
                             capture_output=True, text=True, timeout=90).stdout
        assert json.loads(out)["object"] == "chat.completion"
    langchain_openai = pytest.importorskip("langchain_openai")
    chat = langchain_openai.ChatOpenAI(base_url=url, api_key="none", model=model,
                                       max_tokens=4, max_retries=0)
    assert isinstance(chat.invoke("Hi").content, str)
    qtbot.waitUntil(lambda: "4 served" in app.window.status.api_label.text(), timeout=5000)
    assert app.window.status.api_label.isVisible()
    assert app.texts() == [] and not ctx.worker.is_busy  # nothing reached the window
    with qtbot.waitSignal(switch.status_changed, timeout=10_000) as stopped:
        ctx.settings.set("server.enabled", False)
    assert stopped.args[0] == "" and not app.window.status.api_label.isVisible()


@pytest.mark.timeout(60)
def test_switch_status_refusal_and_settings_tab(qtbot: QtBot, make_app) -> None:
    import httpx

    from openchat_desktop.ui.settings_dialog import SettingsDialog

    app = make_app()
    ctx = app.ctx
    switch = start_api_server(ctx, app.window)
    refusals: list[str] = []
    switch.failed.connect(refusals.append)
    ctx.settings.set("server.port", 0)
    with qtbot.waitSignal(switch.status_changed, timeout=10_000) as started:
        ctx.settings.set("server.enabled", True)
    with httpx.Client(base_url=f"http://{started.args[0]}", timeout=10) as client:
        reply = client.post("/v1/chat/completions",
                            json={"messages": [{"role": "user", "content": "Hi"}]})
    assert reply.status_code == 200
    label = app.window.status.api_label
    qtbot.waitUntil(lambda: label.text() == f"API: {started.args[0]} · 1 served",
                    timeout=5000)
    with qtbot.waitSignal(switch.failed, timeout=10_000):
        ctx.settings.set("server.allow_network", True)  # without a key: refused, server off
    assert "API key" in refusals[-1] and switch.address == "" and not label.isVisible()
    dialog = SettingsDialog(ctx)
    assert dialog.field("server.api_key") is not None
    dialog.reject()
    switch.stop()
