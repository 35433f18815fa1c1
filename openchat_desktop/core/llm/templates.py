"""Turn a conversation into the prompt text a model expects, using the model's own template.

GGUF files carry a Jinja ``tokenizer.chat_template``. Such a template comes from whoever
made the file, so it is rendered in a guarded sandbox (see ``template_sandbox``), tried once
on a sample conversation when the model loads, and replaced by the OpenChat 3.5 format when
it is missing, unsafe or broken.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jinja2 import Template

from openchat_desktop.core.errors import TemplateError
from openchat_desktop.core.llm.template_limits import TemplateRefused
from openchat_desktop.core.llm.template_sandbox import (
    TemplateRaised,
    compile_template,
    render_guarded,
)

OPENCHAT_FALLBACK_SOURCE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}<|end_of_turn|>"
    "{% elif message['role'] == 'user' %}"
    "GPT4 Correct User: {{ message['content'] }}<|end_of_turn|>"
    "{% elif message['role'] == 'assistant' %}"
    "GPT4 Correct Assistant: {{ message['content'] }}<|end_of_turn|>"
    "{% else %}{{ raise_exception('Unsupported role: ' ~ message['role']) }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}GPT4 Correct Assistant:{% endif %}"
)
MAX_SOURCE_CHARS = 256 * 1024
# End-of-turn markers of the common template families, in the order they are reported.
KNOWN_STOP_MARKERS = (
    "<|im_end|>", "<|eot_id|>", "<|end_of_turn|>", "<end_of_turn>", "<|end|>",
    "<|endoftext|>", "</s>", "<|END_OF_TURN_TOKEN|>",
)


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation; ``role`` is "system", "user" or "assistant"."""

    role: str
    content: str


_PROBE = (
    ChatMessage("system", "You are a helpful assistant."),
    ChatMessage("user", "Hello there!"),
    ChatMessage("assistant", "Hi! How can I help you today?"),
    ChatMessage("user", "Please tell me a joke."),
)


@dataclass(frozen=True)
class ChatTemplate:
    """A compiled, probed chat template and what generation needs to know about it.

    ``merges_system`` is set for templates that refuse a system turn (Gemma): the system
    prompt is then put in front of the first user message instead.
    """

    source: str
    bos_token: str = ""
    eos_token: str = ""
    is_fallback: bool = False
    warning: str | None = None
    stop_strings: tuple[str, ...] = ()
    merges_system: bool = False
    _compiled: Template = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            compiled = compile_template(self.source)
        except TemplateRefused as exc:
            raise TemplateError(f"The chat template could not be compiled ({exc}).") from None
        object.__setattr__(self, "_compiled", compiled)

    def render(self, messages: Sequence[ChatMessage], add_generation_prompt: bool = True) -> str:
        """The prompt text for ``messages``; raises TemplateError with one human line."""
        try:
            return self.render_or_refuse(messages, add_generation_prompt)
        except TemplateRefused as exc:
            raise TemplateError(f"The chat template could not be rendered ({exc}).") from None

    def render_or_refuse(self, messages: Sequence[ChatMessage],
                         add_generation_prompt: bool = True) -> str:
        """Like :meth:`render`, but raises TemplateRefused whose message is the bare reason."""
        turns = _merge_system(messages) if self.merges_system else list(messages)
        variables: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in turns],
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
            "add_generation_prompt": add_generation_prompt,
            "tools": None,
            "date_string": date.today().strftime("%d %b %Y"),
        }
        input_chars = sum(len(m.content) for m in turns) + len(self.bos_token + self.eos_token)
        return render_guarded(self._compiled, variables, input_chars)


def _merge_system(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """Fold system turns into the first user turn, for templates without a system role."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns = [m for m in messages if m.role != "system"]
    if not system:
        return turns
    for index, message in enumerate(turns):
        if message.role == "user":
            turns[index] = ChatMessage("user", f"{system}\n\n{message.content}")
            return turns
    return [ChatMessage("user", system), *turns]


def stop_strings_for(source: str, eos_token: str = "") -> tuple[str, ...]:
    """The eos token plus the known end-of-turn markers that occur in ``source``."""
    found = [eos_token] if eos_token else []
    found += [marker for marker in KNOWN_STOP_MARKERS if marker in source]
    return tuple(dict.fromkeys(found))


def fallback_template(bos_token: str = "", eos_token: str = "",
                      warning: str | None = None) -> ChatTemplate:
    """The OpenChat 3.5 format, used when a model has no usable template of its own."""
    return ChatTemplate(OPENCHAT_FALLBACK_SOURCE, bos_token, eos_token, is_fallback=True,
                        warning=warning,
                        stop_strings=stop_strings_for(OPENCHAT_FALLBACK_SOURCE, eos_token))


def build_chat_template(source: str | None, bos_token: str = "",
                        eos_token: str = "") -> ChatTemplate:
    """The model's template when it renders a sample conversation safely, else the fallback.

    Never raises: a refused template yields the fallback with a one-line ``warning``.
    """
    if source is None or not source.strip():
        return fallback_template(bos_token, eos_token)
    try:
        if len(source) > MAX_SOURCE_CHARS:
            raise TemplateRefused(f"it is longer than {MAX_SOURCE_CHARS // 1024} KiB")
        compile_template(source)
        candidate = ChatTemplate(source, bos_token, eos_token,
                                 stop_strings=stop_strings_for(source, eos_token))
        return _probe(candidate)
    except TemplateRefused as exc:
        warning = (f"The model's chat template could not be used safely ({exc}); "
                   "using the OpenChat 3.5 format.")
        return fallback_template(bos_token, eos_token, warning)


def _shows_all(text: str, messages: Sequence[ChatMessage]) -> bool:
    return all(m.content in text for m in messages)


def _probe(template: ChatTemplate) -> ChatTemplate:
    """Render the sample conversation; retry with the system prompt merged if that is why
    it failed (Gemma refuses a system turn, some templates silently drop it)."""
    try:
        text = template.render_or_refuse(_PROBE)
    except TemplateRaised as exc:
        failure: TemplateRefused = exc
    else:
        if _shows_all(text, _PROBE):
            return template
        failure = TemplateRefused("its output leaves out part of the conversation")
        if not _shows_all(text, _PROBE[1:]):
            raise failure
    merged = dataclasses.replace(template, merges_system=True)
    try:
        text = merged.render_or_refuse(_PROBE)
    except TemplateRefused:
        raise failure from None
    if not _shows_all(text, _PROBE):
        raise failure
    return merged
