"""Replies decoded together in one batch give the text each gives alone (real model)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from openchat_desktop.core.llm.backend import NoRoomNow
from openchat_desktop.core.llm.batch_decode import SHARED_PROMPT_CHUNK
from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.generation import Generation
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings

pytestmark = [pytest.mark.model, pytest.mark.timeout(600)]
QUESTIONS = ["Tell me about Paris.", "Write a line about cats.", "What is the sea?",
             "Name a programming language."]


@pytest.fixture(scope="module")
def engine(starter_model: Path) -> Iterator[Engine]:
    built = Engine(LoadSettings(model_path=starter_model, ctx_size=2048, threads=2))
    yield built
    built.close()


def sampling(index: int, tokens: int = 40) -> SamplingSettings:
    return SamplingSettings(temperature=0.8, top_p=0.95, seed=1000 + index, max_tokens=tokens)


def ask(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}]


def alone(engine: Engine, index: int, beside: bool = True) -> str:
    engine.beside = beside
    return "".join(engine.stream(ask(QUESTIONS[index]), sampling(index)))


def together(engine: Engine, indices: list[int],
             stops: dict[int, threading.Event] | None = None) -> dict[int, Generation]:
    """Run the replies side by side the way the model thread's scheduler does."""
    stops = stops or {}
    running: dict[int, tuple[Generation, Iterator[str]]] = {}
    for index in indices:
        engine.beside = True
        generation = engine.stream(ask(QUESTIONS[index]), sampling(index),
                                   stops.get(index, threading.Event()))
        generation.cooperative = True
        generation.begin()
        running[index] = (generation, iter(generation))
    done: dict[int, Generation] = {}
    for _ in range(2000):
        for index, (generation, deltas) in list(running.items()):
            for _delta in deltas:
                if generation.waiting:
                    break
            else:
                done[index] = generation
                del running[index]
        if not running:
            return done
        engine.step()
    raise AssertionError("the replies did not end")


def test_four_replies_together_match_each_alone(engine: Engine) -> None:
    expected = [alone(engine, index) for index in range(4)]
    replies = together(engine, [0, 1, 2, 3])
    assert [replies[index].text for index in range(4)] == expected
    assert all(replies[index].stats.generated_tokens > 0 for index in range(4))
    assert all(replies[index].side for index in range(4))
    # The conversation's own context gives the same text as the API replies' context.
    assert alone(engine, 0, beside=False) == expected[0]


def test_the_conversation_keeps_its_cache_beside_api_replies(engine: Engine) -> None:
    history = ask(QUESTIONS[0])
    engine.beside = False
    first = engine.stream(history, sampling(0))
    reply = "".join(first)
    together(engine, [1, 2])  # two API replies in their own context meanwhile
    follow_up = [*history, {"role": "assistant", "content": reply},
                 {"role": "user", "content": "And then?"}]
    engine.beside = False
    second = engine.stream(follow_up, sampling(0))
    "".join(second)
    assert not second.side
    assert second.stats.prompt_evaluated < first.stats.prompt_tokens


def test_an_api_client_continuing_its_conversation_reads_only_the_new_turn(
        engine: Engine) -> None:
    history = ask(QUESTIONS[3])
    engine.beside = True
    first = engine.stream(history, sampling(3))
    reply = "".join(first)
    follow_up = [*history, {"role": "assistant", "content": reply},
                 {"role": "user", "content": "Why?"}]
    engine.beside = True
    second = engine.stream(follow_up, sampling(3))
    "".join(second)
    assert second.side
    assert 0 < second.stats.prompt_evaluated < second.stats.prompt_tokens // 2


def test_a_stopped_reply_ends_and_the_others_are_untouched(engine: Engine) -> None:
    expected = alone(engine, 3)
    stop = threading.Event()
    stop.set()
    replies = together(engine, [0, 3], stops={0: stop})
    assert replies[0].stats.stop_reason == "stopped"
    assert replies[3].text == expected


def test_a_reply_that_joins_late_matches_too(engine: Engine) -> None:
    expected = alone(engine, 2)
    engine.beside = True
    first = engine.stream(ask(QUESTIONS[1]), sampling(1, tokens=60))
    first.cooperative = True
    first.begin()
    deltas = iter(first)
    for _ in range(10):  # the first reply is generating when the second arrives
        for _delta in deltas:
            if first.waiting:
                break
        engine.step()
    joined = together(engine, [2])
    assert joined[2].side and joined[2].text == expected
    first.end()


def test_a_reply_too_long_for_an_api_sequence_runs_in_the_conversations_context(
        engine: Engine) -> None:
    long_reply = SamplingSettings(seed=1, max_tokens=2040)  # the prompt + 2,040 > 2,048 cells
    engine.beside = True
    generation = engine.stream(ask(QUESTIONS[0]), long_reply)
    assert not generation.side
    generation.begin()  # the conversation's context is busy now
    engine.beside = True
    with pytest.raises(NoRoomNow):
        engine.stream(ask(QUESTIONS[1]), long_reply)
    generation.end()


def test_a_long_prompt_is_read_in_small_chunks_while_another_reply_streams(
        engine: Engine) -> None:
    engine.beside = True
    api = engine.stream(ask(QUESTIONS[2]), sampling(2, tokens=60))
    api.cooperative = True
    api.begin()
    while api.slot is not None and not api.slot.prompt_read:
        engine.step()
    long_question = " ".join(f"Line {n} of a long note about harbours." for n in range(80))
    engine.beside = False
    window = engine.stream(ask(long_question), sampling(0))
    window.begin()
    assert window.slot is not None and api.slot is not None
    before = window.slot.n_past
    api.slot.ready.clear()  # the API reply's reader took its token: it wants the next one
    engine.step()
    assert 0 < window.slot.n_past - before <= SHARED_PROMPT_CHUNK
    assert len(api.slot.ready) == 1  # and the streaming reply got its next token meanwhile
    window.end()
    api.end()
