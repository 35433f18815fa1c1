"""Thinking and tool calls through the real server stack with a scripted model, talked to
with the official ``openai`` client: ``reasoning_content`` apart from the answer (streamed and
not), ``tools`` reaching the template, ``tool_calls`` back (the name in the first streamed
delta), and ``role: "tool"`` messages answering them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import FakeOptions
from server_fakes import FakeServer, ServerMaker

pytestmark = pytest.mark.timeout(60)
KEY = "not-needed"
QWEN3_REPLY = ["<think>", "\nThe user", " greets me.", "\n</think>", "\n\n", "Hello", "!"]
CALL_REPLY = ["<tool_call>", '\n{"name": "get_weather", ', '"arguments": {"city": "Oslo"}}',
              "\n</tool_call>"]
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


def client(server: FakeServer) -> Any:
    import openai

    return openai.OpenAI(base_url=server.base + "/v1", api_key=KEY, max_retries=0, timeout=30)


def test_reasoning_content_apart_not_streamed(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=QWEN3_REPLY))
    reply = client(server).chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "Hi"}])
    message = reply.choices[0].message
    assert message.content == "Hello!"
    assert message.model_extra["reasoning_content"] == "The user greets me."


def test_reasoning_content_apart_streamed(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=QWEN3_REPLY))
    stream = client(server).chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "Hi"}], stream=True)
    thinking, answer = [], []
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        extra = delta.model_extra or {}
        if extra.get("reasoning_content"):
            assert not delta.content
            thinking.append(extra["reasoning_content"])
        if delta.content:
            answer.append(delta.content)
    assert "".join(thinking).strip() == "The user greets me."
    assert "".join(answer) == "Hello!"


def test_tool_calls_round_trip(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=CALL_REPLY))
    api = client(server)
    messages: list[Any] = [{"role": "user", "content": "Weather in Oslo?"}]
    reply = api.chat.completions.create(model="fake-model", messages=messages, tools=TOOLS)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert (call.type, call.function.name) == ("function", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Oslo"}
    assert call.id and not choice.message.content
    options = server.engine.options_seen[-1]
    assert options is not None and options.template_vars["tools"][0]["function"]["name"] \
        == "get_weather"
    # The call and its result go back; the template sees both.
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '{"celsius": 3}'}]
    api.chat.completions.create(model="fake-model", messages=messages, tools=TOOLS)
    prompt = server.engine.prompts[-1]
    assistant, tool = prompt[-2], prompt[-1]
    assert assistant.tool_calls[0]["function"]["name"] == "get_weather"
    assert assistant.tool_calls[0]["function"]["arguments"] == {"city": "Oslo"}
    assert (tool.role, tool.tool_call_id, tool.content) == ("tool", call.id, '{"celsius": 3}')


def test_streamed_tool_call_names_the_function_first(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=CALL_REPLY))
    stream = client(server).chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "Weather?"}], tools=TOOLS,
        stream=True)
    calls: list[Any] = []
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        assert not delta.content
        calls += delta.tool_calls or []
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    first = calls[0]
    assert (first.index, first.function.name) == (0, "get_weather") and first.id
    arguments = "".join(c.function.arguments or "" for c in calls)
    assert json.loads(arguments) == {"city": "Oslo"}


def test_tool_choice_none_keeps_tools_out(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=["Just text."]))
    reply = client(server).chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "Hi"}], tools=TOOLS,
        tool_choice="none")
    options = server.engine.options_seen[-1]
    assert options is not None and "tools" not in options.template_vars
    assert reply.choices[0].message.content == "Just text."


def test_reasoning_effort_reaches_the_engine(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=["ok"]))
    client(server).chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "Hi"}], reasoning_effort="low")
    options = server.engine.options_seen[-1]
    assert options is not None and options.thinking == "low"


def test_a_bad_tool_message_is_one_clear_400(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=["ok"]))
    with server.client() as http:
        response = http.post("/v1/chat/completions", json={
            "messages": [{"role": "tool", "content": "3"}]})
    assert response.status_code == 400
    assert "tool_call_id" in response.json()["error"]["message"]
