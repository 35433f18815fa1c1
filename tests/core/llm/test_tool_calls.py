"""Tool calls as each family writes them (samples from the model cards and vendors' docs)."""

from __future__ import annotations

import json

import pytest

from openchat_desktop.core.llm.reply_parts import ReplyParser
from openchat_desktop.core.llm.tool_calls import parse_tool_calls

# Qwen2.5 / Qwen3 / Hermes 2 Pro (Qwen's function-calling guide).
HERMES = ('<tool_call>\n{"name": "get_current_temperature", "arguments": {"location": '
          '"San Francisco, CA, USA"}}\n</tool_call>\n<tool_call>\n{"name": '
          '"get_temperature_date", "arguments": {"location": "San Francisco, CA, USA", '
          '"date": "2024-10-01"}}\n</tool_call>')
# Llama 3.1/3.2/3.3 JSON tool calling (Meta's prompt-format page).
LLAMA_JSON = ('{"name": "get_current_conditions", "parameters": {"location": '
              '"San Francisco", "unit": "Fahrenheit"}}')
LLAMA_PYTHON_TAG = '<|python_tag|>brave_search.call(query="current weather in Menlo Park")'
LLAMA_TAG_JSON = ('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo"}}; '
                  '{"name": "get_time", "parameters": {"tz": "Europe/Oslo"}}')
# Mistral 7B v0.3 / Nemo (v3 tokenizer) and Mistral Small 3.2 / Magistral (v11+).
MISTRAL = ('[TOOL_CALLS] [{"name": "get_current_weather", "arguments": {"location": '
           '"Paris, France", "format": "celsius"}, "id": "9Ae3bDc2F"}]')
MISTRAL_NEW = '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{}'
# gpt-oss (OpenAI's harmony guide).
GPT_OSS = ('<|channel|>commentary to=functions.get_current_weather <|constrain|>json'
           '<|message|>{"location":"San Francisco"}<|call|>')


def names_and_args(text: str, tools: bool = False) -> list[tuple[str, dict[str, object]]]:
    _, calls = parse_tool_calls(text, tools)
    assert all(call.id for call in calls)
    return [(call.name, json.loads(call.arguments)) for call in calls]


@pytest.mark.parametrize(("text", "tools", "expected"), [
    (HERMES, False, [("get_current_temperature", {"location": "San Francisco, CA, USA"}),
                     ("get_temperature_date", {"location": "San Francisco, CA, USA",
                                               "date": "2024-10-01"})]),
    (LLAMA_JSON, True, [("get_current_conditions", {"location": "San Francisco",
                                                    "unit": "Fahrenheit"})]),
    (LLAMA_PYTHON_TAG, False, [("brave_search", {"query": "current weather in Menlo Park"})]),
    (LLAMA_TAG_JSON, False, [("get_weather", {"city": "Oslo"}),
                             ("get_time", {"tz": "Europe/Oslo"})]),
    (MISTRAL, False, [("get_current_weather", {"location": "Paris, France",
                                               "format": "celsius"})]),
    (MISTRAL_NEW, False, [("get_weather", {"city": "Paris"}), ("get_time", {})]),
    (GPT_OSS, False, [("get_current_weather", {"location": "San Francisco"})]),
    ('```json\n[{"name": "search", "arguments": {"q": "llama"}}]\n```', True,
     [("search", {"q": "llama"})]),
    ('{"tool_calls": [{"function": {"name": "f", "arguments": "{\\"x\\": 1}"}}]}', True,
     [("f", {"x": 1})]),
])
def test_each_format_gives_structured_calls(text: str, tools: bool,
                                            expected: list[tuple[str, object]]) -> None:
    assert names_and_args(text, tools) == expected


def test_mistral_keeps_its_own_call_id() -> None:
    assert parse_tool_calls(MISTRAL)[1][0].id == "9Ae3bDc2F"


def test_plain_json_is_an_answer_unless_tools_were_offered() -> None:
    assert parse_tool_calls(LLAMA_JSON) == (LLAMA_JSON, [])
    assert parse_tool_calls('{"answer": 42}', True) == ('{"answer": 42}', [])


def test_unparseable_markup_stays_text() -> None:
    content, calls = parse_tool_calls("<tool_call>{not json</tool_call>")
    assert (content, calls) == ("<tool_call>{not json</tool_call>", [])


def test_text_around_calls_is_kept() -> None:
    content, calls = parse_tool_calls("I'll look that up.\n" + HERMES)
    assert content == "I'll look that up." and len(calls) == 2


def test_streamed_json_call_is_held_back_when_tools_were_offered() -> None:
    parser = ReplyParser("plain", tools_offered=True)
    shown = [p for ch in LLAMA_JSON for p in parser.feed(ch)]
    assert shown == []
    parts = parser.finish()
    assert [p.kind for p in parts] == ["tool_call"]
    assert parser.tool_calls[0].to_openai()["function"]["name"] == "get_current_conditions"


def test_held_json_that_is_no_call_is_released_as_the_answer() -> None:
    parser = ReplyParser("plain", tools_offered=True)
    for ch in '{"answer": 42}':
        parser.feed(ch)
    assert [(p.kind, p.text) for p in parser.finish()] == [("answer", '{"answer": 42}')]
