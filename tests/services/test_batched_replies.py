"""Concurrent replies through the real ``LlmWorker`` and the starter model: API jobs that
arrive together run side by side and each gives the text it gives alone; a window reply
runs beside them; the number running at once is bounded and the rest wait."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import RecordingSink
from pytestqt.qtbot import QtBot

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.services.generation_queue import GenerationJob
from openchat_desktop.services.llm_worker import LlmWorker

pytestmark = [pytest.mark.model, pytest.mark.timeout(600)]
QUESTIONS = ["Tell me about Paris.", "Write a line about cats.", "What is the sea?",
             "Name a programming language.", "Say hello."]


class Sink(RecordingSink):
    """One job's results and when its first delta and its end came."""

    def __init__(self) -> None:
        super().__init__()
        self.first_at = 0.0
        self.done_at = 0.0

    def delta(self, text: str, tokens: int) -> None:
        self.first_at = self.first_at or time.perf_counter()
        super().delta(text, tokens)

    def finished(self, stats: GenerationStats) -> None:
        self.done_at = time.perf_counter()
        super().finished(stats)


@pytest.fixture
def worker(qtbot: QtBot, starter_model: Path) -> Iterator[LlmWorker]:
    llm = LlmWorker()
    with qtbot.waitSignal(llm.loaded, timeout=60_000):
        llm.load(LoadSettings(starter_model, ctx_size=2048, threads=2, parallel_replies=3))
    yield llm
    llm.shutdown()


def job(index: int, tokens: int = 32) -> tuple[GenerationJob, Sink]:
    sink = Sink()
    sampling = SamplingSettings(temperature=0.8, seed=500 + index, max_tokens=tokens)
    return GenerationJob("chat", sink, sampling,
                         messages=[ChatMessage("user", QUESTIONS[index])]), sink


def wait_all(qtbot: QtBot, sinks: list[Sink]) -> None:
    qtbot.waitUntil(lambda: all(sink.done.is_set() for sink in sinks), timeout=300_000)
    assert [sink.error for sink in sinks] == [""] * len(sinks)


def test_api_replies_together_match_each_alone(qtbot: QtBot, worker: LlmWorker) -> None:
    alone = []
    for index in range(4):
        single, sink = job(index)
        worker.submit_api(single)
        wait_all(qtbot, [sink])
        alone.append(sink.text)
    jobs = [job(index) for index in range(4)]
    for together, _ in jobs:
        worker.submit_api(together)
    sinks = [sink for _, sink in jobs]
    wait_all(qtbot, sinks)
    assert [sink.text for sink in sinks] == alone
    # Three ran at once (parallel_replies=3): the fourth began only when one of them ended.
    first_three_end = min(sink.done_at for sink in sinks[:3])
    assert sinks[3].first_at >= first_three_end
    assert max(sink.first_at for sink in sinks[:3]) < first_three_end


def test_a_window_reply_runs_beside_api_replies(qtbot: QtBot, worker: LlmWorker) -> None:
    api, api_sink = job(0, tokens=48)
    worker.submit_api(api)
    qtbot.waitUntil(lambda: bool(api_sink.text), timeout=60_000)
    window_text: list[str] = []
    worker.token.connect(lambda gen_id, text, tokens: window_text.append(text))
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        worker.generate([ChatMessage("user", QUESTIONS[4])],
                        SamplingSettings(seed=7, max_tokens=16))
    assert "".join(window_text)
    wait_all(qtbot, [api_sink])
    assert api_sink.stats is not None and api_sink.stats.generated_tokens > 0


class NamingEngine(Engine):
    """The real engine, noting when it is told a conversation and when a prompt starts."""

    events: list[tuple[str, int | None]]

    def set_conversation(self, conversation_id: int | None) -> None:
        self.events.append(("conversation", conversation_id))
        super().set_conversation(conversation_id)

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        self.events.append(("prompt", None))
        return super().stream(*args, **kwargs)


def test_a_window_reply_names_its_conversation_before_its_prompt(
        qtbot: QtBot, starter_model: Path) -> None:
    engines: list[NamingEngine] = []

    def make(settings: LoadSettings) -> NamingEngine:
        NamingEngine.events = []
        engines.append(NamingEngine(settings))
        return engines[-1]

    llm = LlmWorker(engine_factory=make)
    try:
        with qtbot.waitSignal(llm.loaded, timeout=60_000):
            llm.load(LoadSettings(starter_model, ctx_size=1024, threads=2))
        with qtbot.waitSignal(llm.finished, timeout=120_000):
            llm.generate([ChatMessage("user", "Hi")], SamplingSettings(max_tokens=4),
                         conversation_id=7)
        # The kept-state cache decides at the prompt what to park: it must know whose it is.
        assert engines[0].events[:2] == [("conversation", 7), ("prompt", None)]
    finally:
        llm.shutdown()
