"""Real chat templates render exactly as Hugging Face ``transformers`` renders them.

Every template in ``templates/`` (see its README for where each came from) is rendered by our
sandboxed renderer and by ``transformers``' own ``apply_chat_template`` machinery, with the
clock frozen, for a plain multi-turn conversation with a system prompt, one with tools, and
one with thinking. The texts must be identical; where ``transformers`` raises, we must
refuse too (and then, for the plain conversation, the model gets the fallback format).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from openchat_desktop.core.llm import template_sandbox
from openchat_desktop.core.llm.template_limits import TemplateRefused
from openchat_desktop.core.llm.templates import ChatTemplate, build_chat_template

chat_utils = pytest.importorskip("transformers.utils.chat_template_utils")

CORPUS = Path(__file__).parent / "templates"
TEMPLATES = sorted(CORPUS.glob("*.jinja"))
FROZEN = dt.datetime(2026, 3, 14, 15, 9, 26)
BOS, EOS = "<s>", "</s>"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                         "description": "Temperature unit"},
            },
            "required": ["city"],
        },
    },
}
MULTI_TURN: list[dict[str, Any]] = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "Paris."},
    {"role": "user", "content": "And of Italy? Answer in one word, «please»."},
]
WITH_TOOLS: list[dict[str, Any]] = [
    {"role": "system", "content": "You can look up the weather."},
    {"role": "user", "content": "How warm is it in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{
        "id": "call12345", "type": "function",
        "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
    }]},
    {"role": "tool", "tool_call_id": "call12345", "name": "get_weather",
     "content": '{"temperature": 21, "unit": "celsius"}'},
]
DOCUMENTS = [{"doc_id": 1, "title": "Rome", "text": "Rome is the capital of Italy."}]
WITH_PARTS: list[dict[str, Any]] = [
    {"role": "user", "content": [{"type": "text", "text": "Using the document: "},
                                 {"type": "text", "text": "what is the capital of Italy?"}]},
]
THINKING: list[dict[str, Any]] = [
    {"role": "user", "content": "What is 17 * 3?"},
    {"role": "assistant", "content": "51.", "reasoning_content": "17 * 3 = 51."},
    {"role": "user", "content": "And 18 * 3?"},
]
# (name, messages, template variables)
SCENARIOS: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("multi_turn", MULTI_TURN, {}),
    ("tools", WITH_TOOLS, {"tools": [WEATHER_TOOL]}),
    ("thinking_on", THINKING, {"enable_thinking": True}),
    ("thinking_off", THINKING, {"enable_thinking": False, "reasoning_effort": "low"}),
    ("documents_and_parts", WITH_PARTS, {"documents": DOCUMENTS}),
]
# Templates that transformers itself cannot render for a plain conversation (so the fallback
# is right for them): they read variables only their own serving code passes.
TRANSFORMERS_CANNOT_RENDER = frozenset({
    "fireworks-ai-llama-3-firefunction-v2.jinja",  # needs `functions` and `datetime` strings
    # Tool-use variants that iterate over `tools`, which is None without tools.
    "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja",
    "llama-cpp-microsoft-Phi-4-mini-instruct.jinja",
})


def _normalize(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What apply_chat_template does to messages first (older releases lack the helper)."""
    helper = getattr(chat_utils, "_normalize_chat_messages", None)
    if helper is not None:
        return list(helper(messages))
    return [{k: v for k, v in m.items() if v is not None} for m in messages]


class _FrozenDatetime(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _FrozenDatetime:
        return cls.fromtimestamp(FROZEN.timestamp(), tz)


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_utils, "datetime", _FrozenDatetime)
    monkeypatch.setattr(template_sandbox, "clock", lambda: FROZEN)


def _reference(source: str, messages: list[dict[str, Any]],
               variables: dict[str, Any]) -> str | None:
    """What transformers' apply_chat_template renders, or None when it raises."""
    chat = _normalize(messages)
    try:
        rendered, _ = chat_utils.render_jinja_template(
            conversations=[chat], chat_template=source, add_generation_prompt=True,
            bos_token=BOS, eos_token=EOS, **variables)
    except Exception:
        return None
    return str(rendered[0])


def _ours(source: str, messages: list[dict[str, Any]], variables: dict[str, Any]) -> str | None:
    template = ChatTemplate(source, BOS, EOS)
    try:
        return template.render_or_refuse(messages, True, **variables)
    except TemplateRefused:
        return None


def test_the_corpus_is_large_enough() -> None:
    assert len(TEMPLATES) >= 40
    assert (CORPUS / "README.md").is_file()
    listed = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(path.name in listed for path in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_renders_like_transformers(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for name, messages, variables in SCENARIOS:
        expected = _reference(source, messages, variables)
        actual = _ours(source, messages, variables)
        assert actual == expected, f"{path.name}: {name} differs"


def test_most_comparisons_render_text() -> None:
    """Guards against a vacuous pass where both renderers simply raise."""
    rendered = sum(
        _reference(path.read_text(encoding="utf-8"), messages, variables) is not None
        for path in TEMPLATES for _name, messages, variables in SCENARIOS[:4]
    )
    assert rendered >= 140


def test_generation_blocks_tools_and_thinking_reach_the_prompt() -> None:
    lfm = (CORPUS / "LFM2.5-8B-A1B.jinja").read_text(encoding="utf-8")
    assert "{%- generation -%}" in lfm
    assert "51." in (_ours(lfm, THINKING, {}) or "")
    qwen = (CORPUS / "Qwen-Qwen3-0.6B.jinja").read_text(encoding="utf-8")
    with_tools = _ours(qwen, WITH_TOOLS, {"tools": [WEATHER_TOOL]}) or ""
    assert '"name": "get_weather"' in with_tools and "<tool_response>" in with_tools
    assert (_ours(qwen, THINKING, {"enable_thinking": False}) or "").endswith(
        "<think>\n\n</think>\n\n")
    oss = (CORPUS / "openai-gpt-oss-120b.jinja").read_text(encoding="utf-8")
    assert "Current date: 2026-03-14" in (_ours(oss, MULTI_TURN, {}) or "")


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_fallback_only_where_transformers_fails(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    template = build_chat_template(source, BOS, EOS)
    reference_fails = _reference(source, MULTI_TURN[1:], {}) is None
    assert template.is_fallback == (path.name in TRANSFORMERS_CANNOT_RENDER)
    assert reference_fails == (path.name in TRANSFORMERS_CANNOT_RENDER)
