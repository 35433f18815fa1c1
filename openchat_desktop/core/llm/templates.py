"""Turn a conversation into the prompt text a model expects, using the model's own template.

GGUF files carry a Jinja ``tokenizer.chat_template``. Such a template comes from whoever
made the file, so it is rendered in a guarded sandbox (see ``template_sandbox``), tried once
on a sample conversation when the model loads, and replaced by the OpenChat 3.5 format when
it is missing, unsafe or broken.

Rendering follows Hugging Face ``transformers``' ``apply_chat_template``: the same template
variables (``messages``, ``tools``, ``documents``, ``add_generation_prompt``, the special
tokens, and any extra keyword such as ``enable_thinking`` or ``reasoning_effort``), the same
message preparation (keys whose value is ``None`` dropped, reasoning offered both as
``reasoning_content`` and as ``thinking``) and the same Jinja setup (see ``template_sandbox``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    """One turn of a conversation; ``role`` is "system", "user", "assistant" or "tool".

    ``reasoning_content`` is an assistant's thinking, ``tool_calls`` its calls in the OpenAI
    shape (``{"type": "function", "function": {"name", "arguments"}, "id"}``), and
    ``tool_call_id`` / ``name`` say which call a "tool" message answers. Templates decide
    which of these they show.
    """

    role: str
    content: str
    reasoning_content: str | None = None
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    def as_template_data(self) -> dict[str, Any]:
        """The message as a template sees it: only the fields that are set."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        optional = {"reasoning_content": self.reasoning_content, "tool_call_id": self.tool_call_id,
                    "name": self.name, "tool_calls": list(self.tool_calls) or None}
        data.update({key: value for key, value in optional.items() if value is not None})
        return data


# What render() takes: our messages, or OpenAI-style dicts (content parts and all).
MessageLike = ChatMessage | Mapping[str, Any]
_REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")


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

    def render(self, messages: Sequence[MessageLike], add_generation_prompt: bool = True,
               **variables: Any) -> str:
        """The prompt text for ``messages``; raises TemplateError with one human line.

        ``variables`` reach the template as they are: ``tools`` and ``documents`` (lists of
        dicts), ``enable_thinking``, ``reasoning_effort``, ``date_string``...
        """
        try:
            return self.render_or_refuse(messages, add_generation_prompt, **variables)
        except TemplateRefused as exc:
            raise TemplateError(f"The chat template could not be rendered ({exc}).") from None

    def render_or_refuse(self, messages: Sequence[MessageLike],
                         add_generation_prompt: bool = True, **variables: Any) -> str:
        """Like :meth:`render`, but raises TemplateRefused whose message is the bare reason."""
        turns = [template_message(m) for m in messages]
        if self.merges_system:
            turns = _merge_system(turns)
        context: dict[str, Any] = {
            "tools": None, "documents": None,
            "bos_token": self.bos_token, "eos_token": self.eos_token,
            **{key: plain_data(value) for key, value in variables.items()},
            "messages": turns, "add_generation_prompt": add_generation_prompt,
        }
        input_chars = len(json.dumps(context, ensure_ascii=False, default=str))
        return render_guarded(self._compiled, context, input_chars)


def plain_data(value: Any) -> Any:
    """``value`` rebuilt from plain JSON types; anything else becomes "<TypeName>".

    Templates are untrusted, so they never see an object whose methods they could call
    (transformers does the same).
    """
    if value is None or type(value) in (str, int, float, bool):
        return value
    for kind in (str, bool, int, float):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, Mapping):
        return {plain_data(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    return f"<{type(value).__name__}>"


def template_message(message: MessageLike) -> dict[str, Any]:
    """One message as transformers hands it to a template.

    Keys whose value is None are dropped (templates test for a missing key, not for None),
    and reasoning given under any of its names is offered as ``reasoning_content`` and as
    ``thinking`` (which gpt-oss reads).
    """
    raw = message.as_template_data() if isinstance(message, ChatMessage) else message
    data = {key: plain_data(value) for key, value in raw.items() if value is not None}
    reasoning = next((data[key] for key in _REASONING_FIELDS if key in data), None)
    if reasoning is not None:
        data = {"thinking": reasoning, **data, "reasoning_content": reasoning}
    return data


def _merge_system(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold system turns into the first user turn, for templates without a system role."""
    system = "\n\n".join(str(t.get("content", "")) for t in turns if t.get("role") == "system")
    rest = [t for t in turns if t.get("role") != "system"]
    if not system:
        return rest
    for index, turn in enumerate(rest):
        if turn.get("role") == "user" and isinstance(turn.get("content"), str):
            rest[index] = {**turn, "content": f"{system}\n\n{turn['content']}"}
            return rest
    return [{"role": "user", "content": system}, *rest]


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
    it failed (Gemma refuses a system turn, some templates silently drop it).

    A template may legitimately leave out parts of a conversation (earlier turns, a default
    system prompt it replaces); it is refused only when even the question being asked is
    missing from its output.
    """
    text: str | None = None
    try:
        text = template.render_or_refuse(_PROBE)
    except TemplateRaised as exc:
        failure: TemplateRefused = exc
    else:
        if _shows_all(text, _PROBE):
            return template
        failure = TemplateRefused("its output leaves out the conversation")
    merged = dataclasses.replace(template, merges_system=True)
    try:
        merged_text = merged.render_or_refuse(_PROBE)
    except TemplateRefused:
        merged_text = None
    if merged_text is not None and _shows_all(merged_text, _PROBE):
        return merged
    if text is not None and _shows_all(text, _PROBE[-1:]):
        return template
    if merged_text is not None and _shows_all(merged_text, _PROBE[-1:]):
        return merged
    raise failure
