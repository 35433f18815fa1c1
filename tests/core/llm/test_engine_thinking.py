"""The real engine (the starter model) behind a template that opens ``<think>`` itself, as
DeepSeek-R1 distills and Qwen3's thinking templates do: the engine path runs end to end.

The starter model does not think, so what it writes is not judged; the test proves that the
format is read from the rendered prompt, that the typed stream keeps its figures straight,
and that a second turn with ``reasoning_content`` in the history renders and runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.reply_parts import TypedReply
from openchat_desktop.core.llm.sampling import GenerationOptions, LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage, build_chat_template

pytestmark = pytest.mark.model
# ChatML, as SmolLM2 has it, but the generation prompt opens a think block (R1-distill style)
# and earlier replies show their reasoning only when it is the last turn (Qwen3 style).
THINK_OPEN_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['role'] == 'assistant' and message.reasoning_content is defined "
    "and loop.last %}<think>\n{{ message.reasoning_content }}\n</think>\n\n{% endif %}"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}")


@pytest.fixture(scope="module")
def engine(starter_model: Path):
    engine = Engine(LoadSettings(starter_model, ctx_size=2048, threads=2))
    engine.template = dataclasses.replace(
        build_chat_template(THINK_OPEN_TEMPLATE, "", "<|im_end|>"), warning=None)
    yield engine
    engine.close()


def test_a_think_opening_template_streams_typed_parts(engine: Engine) -> None:
    sampling = SamplingSettings(temperature=0.2, seed=42, max_tokens=40)
    generation = engine.stream([ChatMessage("user", "What is 2+2?")], sampling)
    assert generation.reply_format == "think-open"
    reply = TypedReply(generation)
    parts = list(reply)
    stats = reply.stats
    assert stats.stop_reason in ("eos", "length") and stats.generated_tokens > 0
    assert stats.thinking_tokens + stats.answer_tokens == stats.generated_tokens
    assert "".join(p.text for p in parts if p.kind == "thinking").strip() == reply.thinking
    assert "<think>" not in reply.answer and "</think>" not in reply.answer
    # Whatever it said goes back as history, the thinking as reasoning_content.
    history = [ChatMessage("user", "What is 2+2?"),
               ChatMessage("assistant", reply.answer or "4", reasoning_content=reply.thinking
                           or "Adding."),
               ChatMessage("user", "And 3+3?")]
    assert list(TypedReply(engine.stream(history, sampling)))


QWEN3_STYLE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}"
    "<think>\n\n</think>\n\n{% endif %}{% endif %}")


def test_the_thinking_choice_reaches_the_template(engine: Engine) -> None:
    original = engine.template
    engine.template = build_chat_template(QWEN3_STYLE, "", "<|im_end|>")
    try:
        question = [ChatMessage("user", "Hi")]
        plain = engine.tokenize_prompt(question)
        off = engine.tokenize_prompt(question, GenerationOptions(thinking="off"))
        assert engine.tokenize_prompt(question, GenerationOptions(thinking="on")) == plain
        assert len(off) > len(plain)  # the empty think block Qwen3 writes to skip thinking
        assert engine.tokenize_prompt(question, GenerationOptions(thinking="high")) == plain
        sampling = SamplingSettings(temperature=0.2, seed=1, max_tokens=8)
        generation = engine.stream(question, sampling, None, GenerationOptions(thinking="off"))
        assert generation.reply_format == "think"
        list(TypedReply(generation))
    finally:
        engine.template = original
