"""The one queue of the model thread, without threads: window first, then arrival order; a
bounded line of API jobs; jobs whose client left hold no place."""

from __future__ import annotations

import pytest

from openchat_desktop.services.generation_queue import (
    GenerationJob,
    GenerationQueue,
    QueueFullError,
)


class NullSink:
    def started(self) -> None: ...
    def delta(self, text: str, tokens: int) -> None: ...
    def finished(self, stats: object) -> None: ...
    def embedded(self, vectors: object, tokens: int) -> None: ...
    def failed(self, message: str, kind: str) -> None: ...


def job(name: str, window: bool = False) -> GenerationJob:
    return GenerationJob("chat", NullSink(), prompt=name, from_window=window)  # type: ignore[arg-type]


def test_window_first_then_arrival_order_and_one_wake_per_job() -> None:
    wakes: list[int] = []
    queue = GenerationQueue(max_waiting=8, wake=lambda: wakes.append(1))
    for item in (job("a1"), job("a2"), job("w1", window=True), job("a3"),
                 job("w2", window=True)):
        queue.put_window(item) if item.from_window else queue.put_api(item)
    order = []
    while (taken := queue.take()) is not None:
        order.append(taken.prompt)
    assert order == ["w1", "w2", "a1", "a2", "a3"]
    assert len(wakes) == 5


def test_the_line_is_bounded_and_leavers_free_their_place() -> None:
    queue = GenerationQueue(max_waiting=2)
    first, second = job("1"), job("2")
    queue.put_api(first)
    queue.put_api(second)
    with pytest.raises(QueueFullError) as refused:
        queue.put_api(job("3"))
    assert refused.value.retry_after >= 1 and "limit is 2" in str(refused.value)
    first.stop.set()  # its client hung up while waiting
    queue.put_api(job("4"))
    assert queue.waiting() == 2
    assert [j.prompt for j in queue.cancel_api()] == ["2", "4"]
    assert queue.take() is None
