"""Limits the engine checks before loading, and hostile model output in the terminal."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes import FakeEngine

from openchat_desktop.cli.terminal import ChatOptions, TerminalChat
from openchat_desktop.core.errors import ModelLoadError
from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings


@pytest.mark.model
def test_model_larger_than_free_memory_is_refused_before_loading(
        starter_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("psutil.virtual_memory", lambda: SimpleNamespace(available=50_000_000))
    monkeypatch.setattr("llama_cpp.Llama", lambda *a, **k: pytest.fail("llama.cpp was called"))
    with pytest.raises(ModelLoadError) as raised:
        Engine(LoadSettings(model_path=starter_model, ctx_size=2048, n_gpu_layers=0))
    message = str(raised.value)
    assert "\n" not in message and "GB but only 0.1 GB of memory is free" in message
    assert message.startswith("This model needs about 0.")


HOSTILE = ["\x1b]0;pwned\x07", "Hi \x1b[2J\x1b[H", "\x1b]8;;file:///etc/passwd\x1b\\link",
           "\x1b]8;;\x1b\\ ok", "\x9b31m", "\x07\x08done"]


def test_terminal_strips_escape_sequences(tmp_path: Path) -> None:
    from fakes import FakeOptions

    engine = FakeEngine(LoadSettings(model_path=tmp_path / "m.gguf"), FakeOptions(tokens=HOSTILE))
    out = io.StringIO()
    options = ChatOptions(SamplingSettings(max_tokens=8), show_stats=False)
    chat = TerminalChat(engine, options, stdout=out)  # type: ignore[arg-type]
    assert chat.ask("hello")
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "Hi " in text and "link" in text and "done" in text
