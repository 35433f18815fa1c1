"""Chat templates: real-world formats, the OpenChat 3.5 fallback, and hostile templates."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.errors import TemplateError
from openchat_desktop.core.llm.templates import (
    OPENCHAT_FALLBACK_SOURCE,
    ChatMessage,
    ChatTemplate,
    MessageLike,
    build_chat_template,
    stop_strings_for,
)

# SmolLM2-Instruct: ChatML with a default system prompt when none is given.
CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)
GEMMA2 = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}"
    "{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + "
    "message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
)
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}"
    "{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)
PHI3 = (
    "{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}"
    "{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}"
    "{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)
# The first Phi-3-mini template silently drops system turns.
PHI3_NO_SYSTEM = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}"
    "{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}"
    "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}"
    "{% endif %}{% endfor %}"
)

SYSTEM = ChatMessage("system", "Be brief.")
TWO_TURNS = [
    ChatMessage("user", "Hi"),
    ChatMessage("assistant", "Hello! How can I help?"),
    ChatMessage("user", "What is 2+2?"),
]
WITH_SYSTEM = [SYSTEM, *TWO_TURNS]
REPR_MARKERS = ("<class", "<function", "<built-in", "<module", "object at 0x", "__")


def test_chatml_adds_its_default_system_prompt() -> None:
    template = build_chat_template(CHATML, "<|im_start|>", "<|im_end|>")
    assert not template.is_fallback and template.warning is None
    assert template.stop_strings == ("<|im_end|>",)
    assert template.render(TWO_TURNS) == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
        "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        "Hello! How can I help?<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_chatml_uses_a_given_system_prompt() -> None:
    rendered = build_chat_template(CHATML).render(WITH_SYSTEM, add_generation_prompt=False)
    assert rendered == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
    )


def test_llama3() -> None:
    template = build_chat_template(LLAMA3, "<|begin_of_text|>", "<|eot_id|>")
    assert template.stop_strings == ("<|eot_id|>",)
    head = "<|start_header_id|>{}<|end_header_id|>\n\n"
    assert template.render(WITH_SYSTEM) == (
        "<|begin_of_text|>" + head.format("system") + "Be brief.<|eot_id|>"
        + head.format("user") + "Hi<|eot_id|>"
        + head.format("assistant") + "Hello! How can I help?<|eot_id|>"
        + head.format("user") + "What is 2+2?<|eot_id|>" + head.format("assistant")
    )


def test_gemma2_gets_the_system_prompt_merged_into_the_first_user_turn() -> None:
    template = build_chat_template(GEMMA2, "<bos>", "<eos>")
    assert not template.is_fallback and template.merges_system
    assert template.stop_strings == ("<eos>", "<end_of_turn>")
    assert template.render(WITH_SYSTEM) == (
        "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello! How can I help?<end_of_turn>\n"
        "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n"
    )
    assert template.render([SYSTEM]) == (
        "<bos><start_of_turn>user\nBe brief.<end_of_turn>\n<start_of_turn>model\n"
    )


def test_mistral() -> None:
    template = build_chat_template(MISTRAL, "<s>", "</s>")
    assert not template.is_fallback and template.merges_system
    assert template.stop_strings == ("</s>",)  # "[/INST]" ends the user's turn, not ours
    assert template.render(TWO_TURNS) == (
        "<s>[INST] Hi [/INST]Hello! How can I help?</s>[INST] What is 2+2? [/INST]"
    )
    assert template.render(WITH_SYSTEM).startswith("<s>[INST] Be brief.\n\nHi [/INST]")


def test_template_errors_at_render_time_are_one_human_line() -> None:
    template = build_chat_template(MISTRAL, "<s>", "</s>")
    with pytest.raises(TemplateError, match="roles must alternate") as caught:
        template.render([ChatMessage("user", "a"), ChatMessage("user", "b")])
    assert "\n" not in str(caught.value)


def test_phi3() -> None:
    template = build_chat_template(PHI3, "<s>", "<|endoftext|>")
    assert template.stop_strings == ("<|endoftext|>", "<|end|>")
    assert template.render(WITH_SYSTEM, add_generation_prompt=False) == (
        "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n"
        "<|assistant|>\nHello! How can I help?<|end|>\n<|user|>\nWhat is 2+2?<|end|>\n"
        "<|endoftext|>"
    )
    assert template.render(TWO_TURNS).endswith("What is 2+2?<|end|>\n<|assistant|>\n")


def test_a_template_that_drops_the_system_prompt_gets_it_merged() -> None:
    template = build_chat_template(PHI3_NO_SYSTEM, "<s>", "<|endoftext|>")
    assert not template.is_fallback and template.merges_system
    assert template.render(WITH_SYSTEM).startswith("<s><|user|>\nBe brief.\n\nHi<|end|>\n")


@pytest.mark.parametrize("source", [None, "", "   \n"])
def test_missing_template_uses_the_fallback_silently(source: str | None) -> None:
    template = build_chat_template(source, "<s>", "</s>")
    assert template.is_fallback and template.warning is None
    assert template.source == OPENCHAT_FALLBACK_SOURCE
    assert template.stop_strings == ("</s>", "<|end_of_turn|>")


def test_fallback_is_the_exact_openchat_format() -> None:
    template = build_chat_template(None, "<s>", "</s>")
    assert template.render(WITH_SYSTEM) == (
        "<s>Be brief.<|end_of_turn|>GPT4 Correct User: Hi<|end_of_turn|>"
        "GPT4 Correct Assistant: Hello! How can I help?<|end_of_turn|>"
        "GPT4 Correct User: What is 2+2?<|end_of_turn|>GPT4 Correct Assistant:"
    )
    assert template.render(TWO_TURNS[:2], add_generation_prompt=False) == (
        "<s>GPT4 Correct User: Hi<|end_of_turn|>"
        "GPT4 Correct Assistant: Hello! How can I help?<|end_of_turn|>"
    )
    assert build_chat_template(None).stop_strings == ("<|end_of_turn|>",)


def test_fallback_refuses_unknown_roles() -> None:
    with pytest.raises(TemplateError, match="Unsupported role: tool"):
        build_chat_template(None).render([ChatMessage("tool", "{}")])


def test_chinese_and_emoji_are_preserved() -> None:
    messages = [ChatMessage("user", "你好，世界 👋🏽"), ChatMessage("assistant", "🎉 好的！")]
    for template in (build_chat_template(CHATML), build_chat_template(None)):
        rendered = template.render(messages)
        assert "你好，世界 👋🏽" in rendered and "🎉 好的！" in rendered


def test_stop_strings_are_deduplicated_in_order() -> None:
    source = "<|eot_id|> [/INST] <|im_end|> <|eot_id|>"
    assert stop_strings_for(source, "<|im_end|>") == ("<|im_end|>", "<|eot_id|>")
    assert stop_strings_for("[INST] [/INST]") == ()


def test_broken_templates_fall_back_with_a_one_line_warning() -> None:
    template = build_chat_template("{% for m in messages %}\n{{ m.content }", "<s>")
    assert template.is_fallback and template.warning is not None
    assert template.warning.startswith("The model's chat template could not be used safely (")
    assert template.warning.endswith("); using the OpenChat 3.5 format.")
    assert "syntax error on line 2" in template.warning and "\n" not in template.warning
    assert build_chat_template("no messages here").is_fallback


def test_hugging_face_helpers_are_available() -> None:
    source = (
        "{% for m in messages %}{% if loop.index > 2 %}{% break %}{% endif %}"
        "{{ m.content }}|{% endfor %}{{ {'k': '你'}|tojson(indent=1) }}|{{ tools }}|"
        "{{ strftime_now('%Y')|length }}|{{ date_string is defined }}"
        "{% if messages|length > 9 %}{{ raise_exception('too long') }}{% endif %}"
    )
    template = build_chat_template(CHATML + source)
    assert not template.is_fallback
    # Like transformers, date_string is not set unless the caller passes it.
    assert template.render(TWO_TURNS).endswith(
        '<|im_start|>assistant\nHi|Hello! How can I help?|{\n "k": "你"\n}|None|4|False')
    assert template.render(TWO_TURNS, date_string="1 Jan 2026").endswith("|4|True")
    with pytest.raises(TemplateError, match="it reported: too long"):
        template.render(TWO_TURNS * 4)


def test_constructing_a_template_from_bad_source_raises_template_error() -> None:
    with pytest.raises(TemplateError):
        ChatTemplate("{% if %}")


# (payload appended to a working template, whether it must be refused); MARKER is a path
# that code execution would create.
HOSTILE = [
    ("{{ ''.__class__.__mro__ }}", True),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", True),
    ("{{ self._TemplateReference__context }}", True),
    ("{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}", True),
    ("{{ joiner.__init__.__globals__.__builtins__.open('MARKER', 'w').write('x') }}", True),
    ("{{ joiner.__init__.__globals__ }}", True),
    ("{{ namespace.__init__.__globals__ }}", True),
    ("{{ lipsum.__globals__ }}", True),
    ("{{ messages.__class__.__base__.__subclasses__() }}", True),
    ("{{ messages|map(attribute='__class__')|list }}", True),
    ("{{ ''['__class__'] }}", True),
    ("{{ raise_exception }}", True),
    ("{{ range(10**9)|list }}", True),
    ("{{ 'a' * 10**9 }}", True),
    ("{{ 10**10**10 }}", False),  # Jinja's ** groups left: (10**10)**10 is a harmless number
    ("{{ 10**(10**10) }}", True),
    ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", True),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", True),
    ("{% for x in messages * 100000000 %}{% endfor %}", True),
    ("{% for i in range(10000) %}{{ 'x' * 5000 }}{% endfor %}", True),  # 50 MB of output
    ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
     "{% set ns.s = ns.s ~ ns.s %}{% endfor %}", True),
    ("{% set s = 'x' * 100000 %}{{ s|replace('x', s) }}", True),
    ("{{ '{:>999999999}'.format(1) }}", True),
    ("{{ '%999999999s' % 1 }}", True),
]


@pytest.mark.parametrize(("payload", "must_refuse"), HOSTILE)
def test_hostile_templates_are_refused_quickly_and_run_no_code(
        payload: str, must_refuse: bool, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    started = time.monotonic()
    template = build_chat_template(CHATML + payload.replace("MARKER", str(marker)), "<s>", "</s>")
    if template.is_fallback:
        assert template.warning and "\n" not in template.warning
    else:
        assert not must_refuse
        rendered = template.render(WITH_SYSTEM)
        assert not any(text in rendered for text in REPR_MARKERS)
    assert time.monotonic() - started < 5
    assert not marker.exists()


def test_a_template_that_turns_hostile_on_long_chats_fails_at_render() -> None:
    bomb = (
        "{% if messages|length > 4 %}{% for i in range(10000) %}{% for j in range(10000) %}"
        "{% endfor %}{% endfor %}{% endif %}"
    )
    template = build_chat_template(CHATML + bomb)
    assert not template.is_fallback
    started = time.monotonic()
    with pytest.raises(TemplateError, match="could not be rendered"):
        template.render([*WITH_SYSTEM, ChatMessage("assistant", "4")])
    assert time.monotonic() - started < 5


def test_long_conversations_are_not_refused() -> None:
    big = "word " * 200_000  # 1 MB, beyond the 1 MiB base output allowance
    messages = [ChatMessage("user", big), ChatMessage("assistant", "ok")] * 50
    rendered = build_chat_template(CHATML).render(messages)
    assert rendered.count(big) == 50


messages_strategy = st.lists(
    st.builds(ChatMessage, st.sampled_from(["system", "user", "assistant"]), st.text(max_size=80)),
    max_size=8,
)
FRAGMENTS = [
    "{{", "}}", "{%", "%}", "for ", " in ", "messages", "message", "['content']", ".content",
    "range(", ")", "(", " * ", "**", "10", "9", "|join", "|list", "|tojson", "~", "'", "if ",
    "endfor", "endif", "macro m()", "endmacro", "m()", "loop.index", " recursive", "loop(",
    "__class__", "namespace(", "raise_exception(", "set x = ", "x", "[", "]", ",", " ",
]
template_strategy = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
)


@settings(max_examples=60, deadline=None)
@given(messages_strategy)
def test_any_messages_render_with_chatml_and_fallback(messages: list[ChatMessage]) -> None:
    for template in (build_chat_template(CHATML), build_chat_template(None)):
        rendered = template.render(messages)
        assert all(message.content in rendered for message in messages)


@settings(max_examples=200, deadline=None)
@given(template_strategy)
def test_any_template_text_yields_a_template_in_bounded_time(source: str) -> None:
    started = time.monotonic()
    template = build_chat_template(source, "<s>", "</s>")
    assert isinstance(template, ChatTemplate)
    assert template.is_fallback or template.warning is None
    assert time.monotonic() - started < 5


def test_generation_blocks_render_their_body() -> None:
    source = (
        "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}"
        "{% set inner = 'x' %}[{{ m.content }}]{% endgeneration %}{% else %}{{ m.content }}"
        "{% endif %}{% endfor %}{{ inner is defined }}"
    )
    template = build_chat_template(source)
    assert not template.is_fallback
    assert template.render(TWO_TURNS) == "Hi[Hello! How can I help?]What is 2+2?False"


def test_extra_variables_reach_the_template() -> None:
    source = CHATML + (
        "{{ enable_thinking }}|{{ (tools or [])|map(attribute='name')|join(',') }}|"
        "{{ documents[0].text if documents }}|{{ reasoning_effort is defined }}"
    )
    rendered = build_chat_template(source).render(
        TWO_TURNS, enable_thinking=False, tools=[{"name": "f"}, {"name": "g"}],
        documents=[{"text": "doc"}])
    assert rendered.endswith("False|f,g|doc|False")


def test_messages_carry_reasoning_tool_calls_and_content_parts() -> None:
    source = (
        "{% for m in messages %}{{ m.role }}:{{ m.content if m.content is string "
        "else m.content|map(attribute='text')|join }}"
        "{% if m.reasoning_content %}<{{ m.reasoning_content }}|{{ m.thinking }}>{% endif %}"
        "{% for c in m.tool_calls or [] %}{{ c.function.name }}{{ c.function.arguments|tojson }}"
        "{% endfor %}{% if m.tool_call_id %}#{{ m.tool_call_id }}{% endif %};{% endfor %}"
    )
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
    messages: list[MessageLike] = [
        ChatMessage("user", "q"),
        ChatMessage("assistant", "a", reasoning_content="why", tool_calls=(call,)),
        ChatMessage("tool", "42", tool_call_id="c1", name="f"),
        {"role": "user", "content": [{"type": "text", "text": "x"}, {"type": "text", "text": "y"}],
         "name": None},
    ]
    rendered = ChatTemplate(source).render(messages)
    assert rendered == 'user:q;assistant:a<why|why>f{"a": 1};tool:42#c1;user:xy;'


def test_namespaces_refuse_underscore_names_and_dict_is_safe() -> None:
    ok = build_chat_template(
        CHATML + "{% set ns = namespace(a=1) %}{% set ns.b = 2 %}{{ ns.a + ns.b }}"
        "{{ dict(k=1)|tojson }}{{ dict.fromkeys(['z'], 0)|tojson }}")
    assert ok.render(TWO_TURNS).endswith('3{"k": 1}{"z": 0}')
    for payload in ("{% set ns = namespace(_x=1) %}",
                    "{% set ns = namespace() %}{% set ns._y = 1 %}", "{{ dict.__class__ }}"):
        assert build_chat_template(CHATML + payload).is_fallback


def test_a_template_that_omits_earlier_turns_is_kept() -> None:
    # Only the latest question is shown: legitimate (some templates window the history).
    source = "{{ messages[-1].content }}{% if add_generation_prompt %}>{% endif %}"
    template = build_chat_template(source)
    assert not template.is_fallback
    assert template.render(TWO_TURNS) == "What is 2+2?>"


def test_strftime_now_uses_the_sandbox_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from openchat_desktop.core.llm import template_sandbox

    monkeypatch.setattr(template_sandbox, "clock", lambda: datetime(2026, 1, 2))
    template = build_chat_template(CHATML + "{{ strftime_now('%d %b %Y') }}")
    assert template.render(TWO_TURNS).endswith("02 Jan 2026")
