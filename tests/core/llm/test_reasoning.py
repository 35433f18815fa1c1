"""The thinking/answer splitter on replies as each model family writes them, fed whole, one
character at a time (every tag cut in pieces) and in odd-sized chunks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openchat_desktop.core.llm.reasoning import (
    ReplyFormat,
    ReplyPart,
    make_splitter,
    reply_format,
    thinking_modes,
    thinking_variables,
)
from openchat_desktop.core.llm.reply_parts import ReplyParser, TypedReply
from openchat_desktop.core.llm.streaming import GenerationStats

# Qwen3 in thinking mode (its template leaves the <think> to the model).
QWEN3 = ("<think>\nOkay, the user is asking for the capital of France. That's Paris.\n"
         "</think>\n\nThe capital of France is **Paris**.")
# DeepSeek-R1 distills: the template ends the prompt with "<think>\n", so only the close shows.
R1_DISTILL = ("Okay, so I need to figure out what 2 + 2 is. Adding two and two gives four.\n"
              "</think>\n\n**Answer:** 2 + 2 = \\boxed{4}")
# Qwen3 with enable_thinking=False: the template wrote an empty think block into the prompt.
QWEN3_NO_THINK = "The capital of France is Paris."
# SmolLM3 / GLM write an empty block when they decide not to think.
EMPTY_THINK = "<think>\n\n</think>\nHello! How can I help?"
# gpt-oss as llama.cpp streams it: <|end|> is a control token and is not rendered.
GPT_OSS = ("<|channel|>analysis<|message|>User asks: \"What is 2+2?\" Simple arithmetic. "
           "Answer 4.<|start|>assistant<|channel|>final<|message|>2 + 2 = 4.")
GPT_OSS_WITH_END = ("<|channel|>analysis<|message|>Need to answer briefly.<|end|>"
                    "<|start|>assistant<|channel|>final<|message|>Hello there!<|return|>")


def split(text: str, fmt: ReplyFormat, size: int) -> tuple[str, str]:
    splitter = make_splitter(fmt)
    parts: list[ReplyPart] = []
    for start in range(0, len(text), size):
        parts += splitter.feed(text[start:start + size])
    parts += splitter.flush()
    thinking = "".join(p.text for p in parts if p.kind == "thinking")
    answer = "".join(p.text for p in parts if p.kind == "answer")
    return thinking, answer


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
@pytest.mark.parametrize(("text", "fmt", "thinking", "answer"), [
    (QWEN3, "think", "Okay, the user is asking for the capital of France. That's Paris.",
     "The capital of France is **Paris**."),
    (R1_DISTILL, "think-open",
     "Okay, so I need to figure out what 2 + 2 is. Adding two and two gives four.",
     "**Answer:** 2 + 2 = \\boxed{4}"),
    (QWEN3_NO_THINK, "think", "", "The capital of France is Paris."),
    (EMPTY_THINK, "think", "", "Hello! How can I help?"),
    (GPT_OSS, "harmony", 'User asks: "What is 2+2?" Simple arithmetic. Answer 4.',
     "2 + 2 = 4."),
    (GPT_OSS_WITH_END, "harmony", "Need to answer briefly.", "Hello there!"),
    ("Just an answer <think> mentioned later.", "plain", "",
     "Just an answer <think> mentioned later."),
    ("<think>reasoning anyway</think>Answer", "plain", "reasoning anyway", "Answer"),
    ("No header, plain words.", "harmony", "", "No header, plain words."),
])
def test_each_family_splits_the_same_whatever_the_chunking(
        text: str, fmt: ReplyFormat, thinking: str, answer: str, size: int) -> None:
    assert split(text, fmt, size) == (thinking, answer)


def test_a_reply_cut_off_while_thinking_keeps_the_thinking() -> None:
    assert split("<think>\nLet me see. First", "think", 2) == ("Let me see. First", "")


def test_the_format_comes_from_the_template_and_the_prompt_end() -> None:
    qwen3 = "{%- if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>"
    assert reply_format(qwen3, "<|im_start|>assistant\n") == "think"
    assert reply_format("{{ '<｜Assistant｜><think>\\n' }}", "<｜Assistant｜><think>\n") \
        == "think-open"
    assert reply_format("<|start|>assistant<|channel|>final<|message|>", "") == "harmony"
    assert reply_format("{{ messages }}<|im_start|>", "<|im_start|>assistant\n") == "plain"


def test_gpt_oss_tool_call_comes_out_whole() -> None:
    parser = ReplyParser("harmony")
    text = ("<|channel|>analysis<|message|>Need weather; call tool.<|end|>"
            "<|start|>assistant<|channel|>commentary to=functions.get_weather "
            "<|constrain|>json<|message|>{\"location\":\"San Francisco\"}<|call|>")
    parts = [p for ch in text for p in parser.feed(ch)] + parser.finish()
    assert [p.kind for p in parts if p.kind != "thinking"] == ["tool_call"]
    call, = parser.tool_calls
    assert (call.name, call.arguments) == ("get_weather", '{"location":"San Francisco"}')


def test_hermes_markup_never_reaches_the_answer_stream() -> None:
    parser = ReplyParser("think")
    text = ("<think>\nThe user wants the weather; I have a tool.\n</think>\n\n"
            "<tool_call>\n{\"name\": \"get_current_temperature\", \"arguments\": "
            "{\"location\": \"San Francisco, CA, USA\"}}\n</tool_call>")
    parts = [p for ch in text for p in parser.feed(ch)] + parser.finish()
    assert not any("<tool" in p.text for p in parts if p.kind == "answer")
    assert parser.tool_calls[0].name == "get_current_temperature"


def test_text_before_a_call_is_shown_and_a_lookalike_is_not_held() -> None:
    parser = ReplyParser("plain")
    shown = [p.text for ch in "Let me check. <tool_call>{\"name\": \"f\", \"arguments\": {}}"
             for p in parser.feed(ch)]
    assert "".join(shown) == "Let me check. "
    parser.finish()
    assert [c.name for c in parser.tool_calls] == ["f"]
    other = ReplyParser("plain")
    text = "<b>bold</b> is HTML"
    out = [p.text for ch in text for p in other.feed(ch)] + [p.text for p in other.finish()]
    assert "".join(out) == text


class RemoteLike:
    """A remote stream: answer deltas, with ``reasoning_content`` gathered apart."""

    def __init__(self) -> None:
        self.stats = GenerationStats()
        self.reasoning = ""

    def __iter__(self) -> Iterator[str]:
        for piece in ("Let me think.", " Yes."):
            self.reasoning += piece
            self.stats.generated_tokens += 1
        for piece in ("Paris", "."):
            self.stats.generated_tokens += 1
            yield piece


def test_a_remote_servers_reasoning_content_comes_out_as_thinking() -> None:
    reply = TypedReply(RemoteLike())
    kinds = [(p.kind, p.text) for p in reply]
    assert kinds[0] == ("thinking", "Let me think. Yes.")
    assert (reply.thinking, reply.answer) == ("Let me think. Yes.", "Paris.")
    assert (reply.stats.thinking_tokens, reply.stats.answer_tokens) == (2, 2)


class RemoteWakingUp(RemoteLike):
    """Like ``core.remote.RemoteStream``: an empty delta whenever only reasoning came."""

    def __iter__(self) -> Iterator[str]:
        for piece in ("Let me think.", " Yes."):
            self.reasoning += piece
            self.stats.generated_tokens += 1
            yield ""
        for piece in ("Paris", "."):
            self.stats.generated_tokens += 1
            yield piece


def test_a_remote_servers_reasoning_streams_as_it_comes() -> None:
    reply = TypedReply(RemoteWakingUp())
    kinds = [(p.kind, p.text) for p in reply]
    assert kinds[:2] == [("thinking", "Let me think."), ("thinking", " Yes.")]
    assert (reply.thinking, reply.answer) == ("Let me think. Yes.", "Paris.")
    assert (reply.stats.thinking_tokens, reply.stats.answer_tokens) == (2, 2)


def test_thinking_choices_follow_the_template() -> None:
    qwen3 = "{%- if enable_thinking is defined and enable_thinking is false %}"
    gpt_oss = "Reasoning: {{ reasoning_effort }}"
    assert thinking_modes(qwen3) == ("on", "off") and thinking_modes("{{ x }}") == ()
    assert thinking_modes(gpt_oss) == ("low", "medium", "high")
    assert thinking_variables("off", qwen3) == {"enable_thinking": False}
    assert thinking_variables("high", gpt_oss) == {"reasoning_effort": "high"}
    assert thinking_variables("high", qwen3) == {} == thinking_variables("", gpt_oss)
