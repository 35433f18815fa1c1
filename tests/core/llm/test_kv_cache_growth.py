"""The KV cache that starts small and grows with the conversation (real starter model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openchat_desktop.core.errors import ContextOverflowError
from openchat_desktop.core.llm import kv_cache_growth
from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.generation import Generation
from openchat_desktop.core.llm.kv_cache_growth import initial_context_size, next_context_size
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage

SAMPLING = SamplingSettings(temperature=0.2, repeat_penalty=1.1, seed=7, max_tokens=60)


def test_the_first_context_is_small_but_holds_a_prompt_batch() -> None:
    assert initial_context_size(4096, 512) == 1024
    assert initial_context_size(4096, 2048) == 2048
    assert initial_context_size(600, 512) == 600


def test_the_context_doubles_until_it_holds_what_is_needed() -> None:
    assert next_context_size(1024, 1025, 4096) == 2048
    assert next_context_size(1024, 2049, 4096) == 4096
    assert next_context_size(1024, 3000, 3000) == 3000
    assert next_context_size(1024, 5000, 4096) == 4096  # the caller sees it is too small
    assert next_context_size(2048, 100, 4096) == 2048


def notes(count: int, start: int = 0) -> str:
    return " ".join(f"Note {i}: the river number {i} runs north to the sea."
                    for i in range(start, start + count))


def padded_question(engine: Engine, tokens: int) -> list[ChatMessage]:
    """A first message whose prompt is just under ``tokens`` tokens long."""
    count = 1
    while True:
        messages = [ChatMessage("user", notes(count + 1) + " Tell me about the rivers.")]
        if len(engine.tokenize_prompt(messages)) > tokens:
            return [ChatMessage("user", notes(count) + " Tell me about the rivers.")]
        count += 1


def run(engine: Engine, messages: list[ChatMessage]) -> Generation:
    generation = engine.stream(messages, SAMPLING)
    "".join(generation)
    return generation


@pytest.fixture(scope="module")
def engines(starter_model: Path) -> Iterator[tuple[Engine, Engine]]:
    growing = Engine(LoadSettings(starter_model, threads=2))
    reserved = Engine(LoadSettings(starter_model, threads=2, grow_context=False))
    yield growing, reserved
    growing.close()
    reserved.close()


@pytest.mark.model
def test_a_cpu_model_starts_with_a_small_cache_unless_told_to_reserve(
        engines: tuple[Engine, Engine]) -> None:
    growing, reserved = engines
    assert growing.n_ctx == reserved.n_ctx == 4096
    assert growing.grows_context and not reserved.grows_context
    assert reserved.allocated_ctx == 4096


@pytest.mark.model
def test_growing_changes_nothing_in_the_replies(engines: tuple[Engine, Engine]) -> None:
    growing, reserved = engines
    first = padded_question(growing, 1014)
    # Turn 1 crosses 1,024 tokens while it generates: the cache grows between two tokens.
    grown_mid_reply = run(growing, first)
    reference = run(reserved, first)
    assert grown_mid_reply.stats.prompt_tokens + grown_mid_reply.stats.generated_tokens > 1024
    assert growing.allocated_ctx == 2048
    assert grown_mid_reply.text == reference.text
    # Turn 2 needs more than 2,048 tokens: the cache grows before the new part is read,
    # and the cached turn 1 moves with it (only the new tokens are evaluated).
    second = [*first, ChatMessage("assistant", reference.text),
              ChatMessage("user", notes(56, start=500) + " Which river is the longest?")]
    grown_before = run(growing, second)
    reference = run(reserved, second)
    assert growing.allocated_ctx == 4096
    assert grown_before.text == reference.text
    assert grown_before.stats.prompt_evaluated == reference.stats.prompt_evaluated
    assert grown_before.stats.prompt_evaluated < grown_before.stats.prompt_tokens - 1000


@pytest.mark.model
def test_without_memory_to_grow_the_context_stays_and_old_turns_are_trimmed(
        starter_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(LoadSettings(starter_model, threads=2))
    try:
        monkeypatch.setattr(kv_cache_growth, "_available_memory", lambda: 0)
        history: list[ChatMessage] = []
        for turn in range(3):
            history += [ChatMessage("user", notes(40, start=100 * turn)),
                        ChatMessage("assistant", "Noted.")]
        history.append(ChatMessage("user", "Which note came last?"))
        generation = run(engine, history)
        assert engine.allocated_ctx == engine.n_ctx == 1024
        assert generation.stats.trimmed_messages > 0
        assert generation.stats.stop_reason in ("eos", "length")
        with pytest.raises(ContextOverflowError):
            engine.stream([ChatMessage("user", notes(120))], SAMPLING)
    finally:
        engine.close()


class _RecordingLlama:
    """Stands in for ``llama_cpp.Llama``: remembers the context size it was asked for."""

    def __init__(self, *args: object, n_ctx: int, **kwargs: object) -> None:
        self.n_ctx_asked = n_ctx
        self._model = type("Model", (), {"vocab": None})()


@pytest.mark.parametrize(("layers", "grow", "expected"), [
    (0, True, 1024), (0, False, 4096), (-1, True, 4096)])
def test_only_a_cpu_load_starts_small(starter_model: Path, monkeypatch: pytest.MonkeyPatch,
                                      layers: int, grow: bool, expected: int) -> None:
    from openchat_desktop.core.llm import engine as engine_module
    from openchat_desktop.core.llm import llama_runtime

    monkeypatch.setattr(engine_module.llama_cpp, "Llama", _RecordingLlama)
    monkeypatch.setattr(llama_runtime, "resolve_gpu_layers", lambda _requested: layers)
    monkeypatch.setattr(llama_runtime, "gpu_free_memory", lambda: None)
    engine = Engine(LoadSettings(starter_model, n_gpu_layers=layers, grow_context=grow))
    assert engine._llm.n_ctx_asked == expected  # type: ignore[attr-defined]
    assert engine.grows_context == (grow and layers == 0)


@pytest.fixture()
def small_engine(starter_model: Path) -> Iterator[Engine]:
    engine = Engine(LoadSettings(starter_model, threads=2))
    yield engine
    engine.close()


FRANCE = [ChatMessage("user", "What is the capital of France?")]


@pytest.mark.model
def test_a_failed_copy_reads_the_cached_tokens_again(small_engine: Engine,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    expected = run(small_engine, FRANCE).text
    cached = small_engine.cached_tokens
    monkeypatch.setattr(kv_cache_growth.llama_cpp, "llama_state_seq_set_data",
                        lambda *args: 0)
    kv_cache_growth.resize_context(small_engine._llm, 2048)
    assert (small_engine.allocated_ctx, small_engine.cached_tokens) == (2048, cached)
    again = run(small_engine, FRANCE)
    # Read in one batch instead of token by token, the cache differs in the last bits, so
    # a long reply may part ways late; a wrong cache would derail it from the first word.
    assert again.stats.prompt_evaluated == 1
    assert again.text[:40] == expected[:40]


@pytest.mark.model
def test_a_context_llama_cpp_refuses_leaves_the_old_one_working(
        small_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = run(small_engine, FRANCE).text
    cached = small_engine.cached_tokens
    original = kv_cache_growth._internals.LlamaContext

    def refuse_big(*, params: object, **kwargs: object) -> object:
        if params.n_ctx > 1024:  # type: ignore[attr-defined]
            raise ValueError("Failed to create llama_context")
        return original(params=params, **kwargs)

    monkeypatch.setattr(kv_cache_growth._internals, "LlamaContext", refuse_big)
    assert not small_engine.make_room(1500)
    assert (small_engine.allocated_ctx, small_engine.cached_tokens) == (1024, cached)
    again = run(small_engine, FRANCE)
    assert again.text == expected and again.stats.prompt_evaluated == 1


@pytest.mark.model
def test_a_much_shorter_conversation_gives_the_room_back(small_engine: Engine) -> None:
    expected = run(small_engine, FRANCE).text
    assert small_engine.make_room(3000) and small_engine.allocated_ctx == 4096
    again = run(small_engine, FRANCE)
    assert small_engine.allocated_ctx == 1024
    assert again.text == expected and again.stats.prompt_evaluated == 1  # prefix kept
    assert small_engine.make_room(1500) and small_engine.allocated_ctx == 2048
    run(small_engine, FRANCE)
    assert small_engine.allocated_ctx == 2048  # half is not worth shrinking and growing again


@pytest.mark.model
def test_with_no_memory_for_any_context_the_engine_says_so_instead_of_crashing(
        small_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from openchat_desktop.core.errors import ModelLoadError

    run(small_engine, FRANCE)

    def refuse(**_kwargs: object) -> object:
        raise ValueError("Failed to create llama_context")

    monkeypatch.setattr(kv_cache_growth._internals, "LlamaContext", refuse)
    with pytest.raises(ModelLoadError, match="choose the model again"):
        small_engine.make_room(1500)
    with pytest.raises(ModelLoadError, match="choose the model again"):
        small_engine.stream(FRANCE, SAMPLING)
