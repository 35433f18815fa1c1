"""API jobs through the real ``LlmWorker`` (fake engine): the window's reply goes first and is
never interrupted, the window's stop never touches an API job, API work never reaches the
window's signals, a named model is loaded (the window follows), shutdown ends waiting jobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeEngineFactory, RecordingSink, fake_engine_factory
from pytestqt.qtbot import QtBot

from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.services.generation_queue import GenerationJob, QueueFullError
from openchat_desktop.services.llm_worker import LlmWorker

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def worker(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[LlmWorker, FakeEngineFactory]]:
    factory = fake_engine_factory(tokens=[f" t{i}" for i in range(20)], tokens_per_second=200)
    worker = LlmWorker(engine_factory=factory, max_waiting_api=2)
    model = tmp_path / "first.gguf"
    model.write_bytes(b"GGUF")
    with qtbot.waitSignal(worker.loaded, timeout=10_000):
        worker.load(LoadSettings(model))
    yield worker, factory
    worker.shutdown()


def api_job(text: str, model: Path | None = None) -> tuple[GenerationJob, RecordingSink]:
    sink = RecordingSink()
    return GenerationJob("chat", sink, SamplingSettings(), messages=[ChatMessage("user", text)],
                         model_path=model), sink


def prompts(factory: FakeEngineFactory) -> list[str]:
    return [p[-1].content for engine in factory.engines for p in engine.prompts]


def test_window_goes_first_and_nobody_is_interrupted(
        qtbot: QtBot, worker: tuple[LlmWorker, FakeEngineFactory]) -> None:
    llm, factory = worker
    first, first_sink = api_job("api 1")
    second, second_sink = api_job("api 2")
    llm.submit_api(first)
    qtbot.waitUntil(lambda: prompts(factory) == ["api 1"], timeout=5000)
    llm.submit_api(second)
    with qtbot.waitSignal(llm.finished, timeout=10_000) as finished:
        llm.generate([ChatMessage("user", "window")], SamplingSettings())
    assert second_sink.done.wait(10)
    assert prompts(factory) == ["api 1", "window", "api 2"]
    assert first_sink.stats is not None and first_sink.stats.stop_reason == "eos"
    assert finished.args[1].stop_reason == "eos"


def test_window_stop_never_stops_an_api_request(
        qtbot: QtBot, worker: tuple[LlmWorker, FakeEngineFactory]) -> None:
    llm, _ = worker
    llm.generate([ChatMessage("user", "window")], SamplingSettings())
    job, sink = api_job("api")
    llm.submit_api(job)
    llm.stop()
    llm.generate([ChatMessage("user", "window again")], SamplingSettings())
    assert sink.done.wait(10)
    assert sink.stats is not None and sink.stats.stop_reason == "eos"
    assert sink.text.strip().startswith("t0")


def test_api_work_never_reaches_the_window_signals(
        qtbot: QtBot, worker: tuple[LlmWorker, FakeEngineFactory]) -> None:
    llm, _ = worker
    seen: list[object] = []
    for signal in (llm.token, llm.finished, llm.failed, llm.busy_changed):
        signal.connect(lambda *args: seen.append(args))
    job, sink = api_job("api")
    llm.submit_api(job)
    assert sink.done.wait(10)
    qtbot.wait(50)
    assert seen == [] and not llm.is_busy


def test_a_named_model_is_loaded_and_the_window_follows(
        qtbot: QtBot, tmp_path: Path, worker: tuple[LlmWorker, FakeEngineFactory]) -> None:
    llm, factory = worker
    other = tmp_path / "second.gguf"
    other.write_bytes(b"GGUF")
    job, sink = api_job("api", model=other)
    with qtbot.waitSignal(llm.loaded, timeout=10_000) as loaded:
        llm.submit_api(job)
    assert loaded.args[0].model_path == other
    assert sink.done.wait(10) and not sink.error
    assert llm.loaded_path == other and factory.loads[-1].model_path == other


def test_queue_limit_and_shutdown(qtbot: QtBot,
                                  worker: tuple[LlmWorker, FakeEngineFactory]) -> None:
    llm, factory = worker
    factory.options.prompt_seconds = 30  # the running job waits until stopped
    running, running_sink = api_job("running")
    llm.submit_api(running)
    qtbot.waitUntil(lambda: llm.queue.waiting() == 0 and prompts(factory) == ["running"],
                    timeout=5000)
    waiting = [api_job(f"waiting {i}") for i in range(2)]
    for job, _ in waiting:
        llm.submit_api(job)
    with pytest.raises(QueueFullError) as refused:
        llm.submit_api(api_job("one too many")[0])
    assert refused.value.retry_after >= 1
    llm.shutdown()
    assert running_sink.done.wait(5) and running_sink.stats is not None
    assert running_sink.stats.stop_reason == "stopped"
    assert all(sink.done.is_set() and "shutting down" in sink.error for _, sink in waiting)
