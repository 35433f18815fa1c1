"""The model thread: load, stream, stop, failures, shutdown — with the real starter model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.services.llm_worker import LlmWorker, ModelStatus

pytestmark = pytest.mark.model
FRANCE = [ChatMessage("user", "What is the capital of France?")]


@pytest.fixture
def worker(qtbot: QtBot) -> Iterator[LlmWorker]:
    worker = LlmWorker()
    yield worker
    worker.shutdown()


def load(qtbot: QtBot, worker: LlmWorker, model: Path) -> ModelStatus:
    with qtbot.waitSignals([worker.load_started, worker.loaded], order="strict",
                           timeout=60_000):
        worker.load(LoadSettings(model, ctx_size=2048, threads=2))
    status = worker.status
    assert isinstance(status, ModelStatus)
    return status


def test_streams_tokens_then_finished(qtbot: QtBot, worker: LlmWorker,
                                      starter_model: Path) -> None:
    status = load(qtbot, worker, starter_model)
    assert status.n_ctx == 2048 and status.device.startswith(("CPU", "CUDA", "Metal", "Vulkan"))
    tokens: list[tuple[int, str]] = []
    worker.token.connect(lambda gen_id, text, _count: tokens.append((gen_id, text)))
    with qtbot.waitSignal(worker.finished, timeout=60_000) as finished:
        gen_id = worker.generate(FRANCE, SamplingSettings(temperature=0.2, seed=42,
                                                          max_tokens=48))
        assert worker.is_busy
    assert finished.args[0] == gen_id and finished.args[1].stop_reason == "eos"
    assert {g for g, _ in tokens} == {gen_id} and len(tokens) > 1
    assert "Paris" in "".join(text for _, text in tokens)
    assert not worker.is_busy


def test_stop_ends_reply_and_next_one_works(qtbot: QtBot, worker: LlmWorker,
                                            starter_model: Path) -> None:
    load(qtbot, worker, starter_model)
    counted: list[str] = []

    def on_token(_gen_id: int, text: str, _count: int) -> None:
        counted.append(text)
        if len(counted) == 3:
            worker.stop()

    worker.token.connect(on_token)
    with qtbot.waitSignal(worker.finished, timeout=60_000) as finished:
        worker.generate([ChatMessage("user", "Count slowly from 1 to 500.")],
                        SamplingSettings(max_tokens=600, seed=1))
    stats = finished.args[1]
    assert stats.stop_reason == "stopped"
    # The stop is seen by the worker a few tokens later at most (the signal hop is queued).
    assert stats.generated_tokens < 40
    worker.token.disconnect(on_token)
    with qtbot.waitSignal(worker.finished, timeout=60_000) as again:
        worker.generate(FRANCE, SamplingSettings(temperature=0.2, seed=42, max_tokens=48))
    assert again.args[1].stop_reason == "eos"


def test_bad_model_fails_cleanly_and_worker_stays_usable(qtbot: QtBot, worker: LlmWorker,
                                                          tmp_path: Path,
                                                          starter_model: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 10)
    with qtbot.waitSignal(worker.load_failed, timeout=30_000) as failed:
        worker.load(LoadSettings(bad))
    message, details = failed.args
    assert "\n" not in message and details
    with qtbot.waitSignal(worker.failed, timeout=10_000) as no_model:
        worker.generate(FRANCE, SamplingSettings())
    assert "No model" in no_model.args[1]
    load(qtbot, worker, starter_model)
