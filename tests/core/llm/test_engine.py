"""The engine with the real starter model (SmolLM2-135M-Instruct)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from openchat_desktop.core.errors import ContextOverflowError, ModelFileError
from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage

pytestmark = pytest.mark.model
FRANCE = [ChatMessage("user", "What is the capital of France?")]
FACTUAL = SamplingSettings(temperature=0.2, repeat_penalty=1.1, seed=42, max_tokens=48)


@pytest.fixture(scope="module")
def engine(starter_model: Path):
    engine = Engine(LoadSettings(starter_model, ctx_size=2048, threads=2))
    yield engine
    engine.close()


def reply(engine: Engine, messages: list[ChatMessage], sampling: SamplingSettings) -> str:
    generation = engine.stream(messages, sampling)
    return "".join(generation)


def test_knows_the_capital_of_france(engine: Engine) -> None:
    generation = engine.stream(FRANCE, FACTUAL)
    deltas = list(generation)
    assert "Paris" in "".join(deltas)
    assert len(deltas) > 1, "the reply must stream in pieces"
    stats = generation.stats
    assert stats.stop_reason == "eos"
    assert stats.generated_tokens > 0 and stats.prompt_tokens > 0
    assert stats.ttft_seconds > 0 and stats.tokens_per_second > 0


def test_same_seed_same_reply(engine: Engine) -> None:
    sampling = SamplingSettings(temperature=0.9, seed=7, max_tokens=32)
    prompt = [ChatMessage("user", "Tell me a short story about a cat.")]
    assert reply(engine, prompt, sampling) == reply(engine, prompt, sampling)


def test_stop_mid_reply_then_next_turn_works(engine: Engine) -> None:
    stop = threading.Event()
    generation = engine.stream([ChatMessage("user", "Count from 1 to 200.")],
                               SamplingSettings(max_tokens=300, seed=1), stop)
    received = []
    for delta in generation:
        received.append(delta)
        if len(received) == 5:
            stop.set()
    assert generation.stats.stop_reason == "stopped"
    assert generation.stats.generated_tokens == 5
    assert "".join(received) == generation.text
    assert "Paris" in reply(engine, FRANCE, FACTUAL)


def test_stop_during_prompt_processing(engine: Engine) -> None:
    stop = threading.Event()
    stop.set()
    generation = engine.stream([ChatMessage("user", "word " * 600)], FACTUAL, stop)
    assert list(generation) == []
    assert generation.stats.stop_reason == "stopped"
    assert generation.stats.generated_tokens == 0


def test_second_turn_evaluates_only_new_tokens(engine: Engine) -> None:
    first = engine.stream(FRANCE, FACTUAL)
    answer = "".join(first)
    history = [*FRANCE, ChatMessage("assistant", answer),
               ChatMessage("user", "And of Germany?")]
    second = engine.stream(history, FACTUAL)
    "".join(second)
    new_part = engine.count_tokens("And of Germany?")
    assert second.stats.prompt_tokens > first.stats.prompt_tokens + new_part
    # Only the new message, its template wrapping and the reply's last token are evaluated.
    assert second.stats.prompt_evaluated <= new_part + 12
    assert second.stats.prompt_evaluated < second.stats.prompt_tokens / 2


def test_length_stop_reason(engine: Engine) -> None:
    generation = engine.stream([ChatMessage("user", "Write a long essay about rivers.")],
                               SamplingSettings(max_tokens=5, seed=3))
    "".join(generation)
    assert generation.stats.stop_reason == "length"
    assert generation.stats.generated_tokens == 5


def test_chinese_and_emoji_stream_whole_characters(engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    raw: list[bytes] = []
    piece = engine.piece
    monkeypatch.setattr(engine, "piece", lambda token: raw.append(piece(token)) or raw[-1])
    prompt = [ChatMessage("user", "请用中文回答：你好吗？🙂 Reply with some emoji too.")]
    generation = engine.stream(prompt, SamplingSettings(seed=5, max_tokens=60))
    deltas = list(generation)
    whole = b"".join(raw).decode("utf-8", errors="replace").strip()
    assert len(deltas) > 1 and "".join(deltas) == whole
    # Tokens split characters (an emoji arrives as 2-3 byte tokens); streaming must not add a
    # single replacement character beyond what the model's bytes themselves contain.
    assert "".join(deltas).count("\ufffd") == whole.count("\ufffd")
    assert any(len(chunk) < 4 and b >= 0x80 for chunk in raw for b in chunk[-1:])
    assert any(ord(ch) > 0x2E80 for ch in whole), "expected CJK or emoji output"


def test_system_prompt_is_used(engine: Engine) -> None:
    messages = [ChatMessage("system", "You are a pirate. Always say 'Arr'."), *FRANCE]
    text = engine.template.render(messages)
    assert "You are a pirate" in text and text.index("pirate") < text.index("France")
    assert engine.tokenize_prompt(messages) != engine.tokenize_prompt(FRANCE)


def test_old_turns_are_trimmed_when_context_is_full(starter_model: Path) -> None:
    small = Engine(LoadSettings(starter_model, ctx_size=256, threads=2))
    try:
        history: list[ChatMessage] = [ChatMessage("system", "Be brief.")]
        for index in range(12):
            history += [ChatMessage("user", f"Question number {index} about rivers and seas."),
                        ChatMessage("assistant", "Rivers flow into seas. " * 3)]
        history.append(ChatMessage("user", "What is the capital of France?"))
        kept, tokens, dropped = small.fit(history, SamplingSettings(max_tokens=32))
        assert dropped > 0 and kept[0].role == "system" and kept[-1] == history[-1]
        assert len(tokens) <= 256 - 32
        with pytest.raises(ContextOverflowError, match="context"):
            small.stream([ChatMessage("user", "word " * 400)], SamplingSettings(max_tokens=32))
    finally:
        small.close()


@pytest.mark.parametrize("content", [b"", b"not a model at all\n" * 10])
def test_bad_files_raise_one_line(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    with pytest.raises(ModelFileError) as error:
        Engine(LoadSettings(bad))
    assert "\n" not in str(error.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.gguf", tmp_path):
        with pytest.raises(ModelFileError):
            Engine(LoadSettings(path))


@pytest.mark.parametrize(("kv_type", "flash_attn", "expected"), [
    ("q8_0", True, (8, 8)), ("q8_0", False, (8, 1)), ("q4_0", True, (2, 2)),
    ("f16", True, (1, 1))])
def test_kv_cache_precision(starter_model: Path, kv_type: str, flash_attn: bool,
                            expected: tuple[int, int]) -> None:
    # llama.cpp quantizes the V cache only with flash attention; without it V stays f16.
    engine = Engine(LoadSettings(starter_model, ctx_size=512, threads=2, kv_cache_type=kv_type,
                                 flash_attn=flash_attn))
    try:
        params = engine._llm.context_params
        assert (params.type_k, params.type_v) == expected
        assert "Paris" in reply(engine, FRANCE, FACTUAL)
    finally:
        engine.close()


def test_default_context_is_the_models_own_capped_at_4096(starter_model: Path) -> None:
    engine = Engine(LoadSettings(starter_model, threads=2))  # SmolLM2 was trained on 8192
    try:
        assert engine.n_ctx == 4096 and engine._llm.context_params.type_k == 1  # f16
    finally:
        engine.close()


def test_a_gpu_too_small_is_not_tried(starter_model: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # llama.cpp aborts the process when CUDA runs out of memory while it builds the context,
    # so the engine must decide beforehand, from the free memory the GPU reports.
    from openchat_desktop.core.llm import llama_runtime

    tried: list[int] = []
    original = Engine._new_llama
    monkeypatch.setattr(llama_runtime, "resolve_gpu_layers", lambda _requested: -1)
    monkeypatch.setattr(llama_runtime, "gpu_backend_name", lambda: "CUDA")
    monkeypatch.setattr(llama_runtime, "gpu_free_memory", lambda: 300 * 2**20)
    monkeypatch.setattr(Engine, "_new_llama",
                        lambda self, layers: tried.append(layers) or original(self, layers))
    engine = Engine(LoadSettings(starter_model, ctx_size=512, threads=2))
    try:
        assert tried == [0]
        assert engine.device.describe().startswith("CPU (GPU failed: needs about 0.")
        assert "GB of GPU memory but only 0.3 GB is free" in engine.device.describe()
    finally:
        engine.close()


def test_more_gpu_layers_than_the_model_has_means_all(starter_model: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from openchat_desktop.core.llm import llama_runtime

    monkeypatch.setattr(llama_runtime, "resolve_gpu_layers", lambda requested: requested)
    monkeypatch.setattr(llama_runtime, "gpu_backend_name", lambda: "CUDA")
    monkeypatch.setattr(llama_runtime, "gpu_free_memory", lambda: None)  # unknown: try it
    monkeypatch.setattr(Engine, "_new_llama", lambda self, layers: _FakeLlama(layers))
    engine = Engine(LoadSettings(starter_model, ctx_size=512, n_gpu_layers=100, threads=2))
    assert engine.device.describe() == "CUDA (all layers)"


class _FakeLlama:
    """Just enough of ``llama_cpp.Llama`` for the constructor of ``Engine``."""

    def __init__(self, layers: int) -> None:
        self.layers = layers
        self._model = type("Model", (), {"vocab": None})()
