"""Thinking and tool calls through the real worker thread, splitter and store: a scripted
engine writes what Qwen3 / R1 distills / gpt-oss write, the session keeps thinking apart."""

from __future__ import annotations

from collections.abc import Callable

from fakes import FakeEngineFactory
from pytestqt.qtbot import QtBot

from openchat_desktop.services.chat_session import ChatSession

SessionMaker = Callable[..., tuple[ChatSession, FakeEngineFactory]]
QWEN3_TOKENS = ["<th", "ink>", "\n", "Okay", ", the user", " wants Paris", ".\n", "</", "think",
                ">\n\n", "The capital", " is Paris."]
GPT_OSS_TOKENS = ["<|channel|>", "analysis", "<|message|>", "Simple", " question.",
                  "<|start|>", "assistant", "<|channel|>", "final", "<|message|>", "4"]


def send(qtbot: QtBot, session: ChatSession, text: str) -> None:
    with qtbot.waitSignal(session.reply_finished, timeout=10_000):
        session.send(text)


def test_thinking_streams_apart_and_is_stored_in_meta(qtbot: QtBot,
                                                     make_session: SessionMaker) -> None:
    session, factory = make_session(tokens=QWEN3_TOKENS, reply_format="think",
                                    tokens_per_second=200)
    thinking: list[str] = []
    answer: list[str] = []
    session.reply_thinking.connect(lambda _id, text: thinking.append(text))
    session.reply_delta.connect(lambda _id, text: answer.append(text))
    send(qtbot, session, "Capital of France?")
    assert "".join(thinking) == "Okay, the user wants Paris."
    assert "".join(answer) == "The capital is Paris."
    reply = session.messages()[-1]
    assert reply.content == "The capital is Paris."
    assert reply.meta["thinking"] == "Okay, the user wants Paris."
    assert reply.meta["thinking_tokens"] + reply.meta["answer_tokens"] == len(QWEN3_TOKENS)
    assert reply.meta["thinking_tokens"] >= 6 and reply.meta["answer_tokens"] >= 2
    # The next turn hears the answer; the thinking goes along as reasoning_content, for the
    # template to show or (as most do) drop.
    send(qtbot, session, "And of Italy?")
    earlier = factory.engine.prompts[-1][-2]
    assert (earlier.role, earlier.content) == ("assistant", "The capital is Paris.")
    assert "<think>" not in earlier.content
    assert earlier.reasoning_content == "Okay, the user wants Paris."


def test_gpt_oss_channels(qtbot: QtBot, make_session: SessionMaker) -> None:
    session, _ = make_session(tokens=GPT_OSS_TOKENS, reply_format="harmony")
    send(qtbot, session, "2+2?")
    reply = session.messages()[-1]
    assert (reply.content, reply.meta["thinking"]) == ("4", "Simple question.")


def test_a_tool_call_is_stored_as_structured_data(qtbot: QtBot,
                                                  make_session: SessionMaker) -> None:
    tokens = ["<tool_call>", '\n{"name": "get_weather", ', '"arguments": {"city": "Oslo"}}',
              "\n</tool_call>"]
    session, _ = make_session(tokens=tokens)
    calls: list[dict[str, object]] = []
    session.reply_tool_call.connect(lambda _id, call: calls.append(call))
    send(qtbot, session, "Weather in Oslo?")
    reply = session.messages()[-1]
    assert reply.content == ""
    assert [c["function"] for c in calls] == [
        {"name": "get_weather", "arguments": '{"city": "Oslo"}'}]
    assert reply.meta["tool_calls"] == calls
