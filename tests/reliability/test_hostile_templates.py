"""Real models whose chat template is hostile: the engine falls back to a safe format with a
warning, replies still come, the terminal prints the warning, the window shows the notice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gguf_rewrite import rewrite_strings
from pytestqt.qtbot import QtBot
from reliability_helpers import send

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.services.llm_worker import default_engine_factory

pytestmark = pytest.mark.model
TAIL = "{% for m in messages %}{{ m.content }}{% endfor %}"
PAYLOADS = {
    "class_mro_subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}" + TAIL,
    "globals": "{{ messages.__init__.__globals__ }}" + TAIL,
    "cycler_globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}" + TAIL,
    "template_reference_context": "{{ self._TemplateReference__context }}" + TAIL,
    "raise_via_attr": "{{ raise_exception.__globals__['__builtins__'] }}" + TAIL,
    "endless_loop": "{% for i in range(10) recursive %}{{ loop([1]) }}{% endfor %}" + TAIL,
    "huge_range": "{% for i in range(10**9) %}x{% endfor %}" + TAIL,
    "huge_string": "{{ 'x' * 10**10 }}" + TAIL,
}


@pytest.fixture(scope="module")
def hostile_models(tmp_path_factory: pytest.TempPathFactory,
                   starter_model: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {name: rewrite_strings(starter_model, folder / f"{name}.gguf",
                                  {"tokenizer.chat_template": source})
            for name, source in PAYLOADS.items()}


def test_rewritten_model_with_a_good_template_still_answers(tmp_path: Path,
                                                            starter_model: Path) -> None:
    """The rewriting helper itself: same template, a real answer (so data stays aligned)."""
    good = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n" \
           "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    path = rewrite_strings(starter_model, tmp_path / "good.gguf",
                           {"tokenizer.chat_template": good})
    engine = Engine(LoadSettings(model_path=path, ctx_size=512, threads=1))
    try:
        assert not engine.template.is_fallback
        reply = "".join(engine.stream([ChatMessage("user", "What is the capital of France?")],
                                      SamplingSettings(max_tokens=16, temperature=0.2, seed=42)))
        assert "Paris" in reply
    finally:
        engine.close()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_engine_falls_back_and_answers(name: str, hostile_models: dict[str, Path]) -> None:
    engine = Engine(LoadSettings(model_path=hostile_models[name], ctx_size=512, threads=1))
    try:
        assert engine.template.is_fallback
        assert engine.template.warning and "\n" not in engine.template.warning
        reply = "".join(engine.stream([ChatMessage("user", "Hello!")],
                                      SamplingSettings(max_tokens=6, temperature=0.2, seed=42)))
        assert reply.strip()
    finally:
        engine.close()


@pytest.mark.parametrize("name", ["cycler_globals", "huge_range"])
def test_terminal_prints_the_warning_and_answers(name: str, hostile_models: dict[str, Path],
                                                 openchat_home: Path) -> None:
    env = {**os.environ, "OPENCHAT_HOME": str(openchat_home)}
    result = subprocess.run(
        [sys.executable, "-m", "openchat_desktop", "chat", "--model", str(hostile_models[name]),
         "--prompt", "Hello!", "-n", "6", "--threads", "1", "--ctx-size", "512", "--no-stats"],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [line for line in result.stderr.splitlines() if "chat template" in line]
    assert len(warnings) == 1 and warnings[0].startswith("openchat: warning: ")
    assert "Traceback" not in result.stderr
    assert result.stdout.split("bot: ", 1)[1].strip()


def test_window_shows_the_template_notice(qtbot: QtBot, make_real_app,
                                          hostile_models: dict[str, Path]) -> None:
    app = make_real_app(default_engine_factory)
    notices: list[str] = []
    app.ctx.session.notice.connect(notices.append)
    app.use_model(hostile_models["template_reference_context"])
    with qtbot.waitSignal(app.ctx.worker.loaded, timeout=60_000):
        app.ctx.session.ensure_model_loaded()
    qtbot.waitUntil(lambda: any("chat template" in n for n in notices), timeout=5000)
    assert "chat template" in app.window.status.currentMessage()
    send(qtbot, app, "Hello!")
    assert app.ctx.session.messages()[-1].status == "complete"
    assert app.ctx.session.messages()[-1].content.strip()
