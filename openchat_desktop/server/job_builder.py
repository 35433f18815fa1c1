"""From a validated request to a job for the model: sampling, stop strings, grammar, model."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.sampling import GenerationOptions, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.settings_schema import SEED_RANDOM
from openchat_desktop.server.errors import ApiError
from openchat_desktop.server.schemas import (
    ChatCompletionRequest,
    ResponseFormat,
    ToolCallIn,
    _Sampling,
)
from openchat_desktop.server.state import ServerState

_ROLES = {"developer": "system"}
# Template variables a request may not set through chat_template_kwargs: the conversation
# and the special tokens are the server's to give.
_RESERVED_VARIABLES = frozenset({"messages", "add_generation_prompt", "bos_token",
                                 "eos_token", "raise_exception", "strftime_now"})


def sampling_for(body: _Sampling, defaults: SamplingSettings,
                 max_tokens: int | None) -> SamplingSettings:
    """The app's sampling settings, overridden by what the request gives. Without a
    ``seed`` every request draws a new one, as OpenAI clients expect."""
    changes: dict[str, object] = {"seed": SEED_RANDOM if body.seed is None
                                  else body.seed % 2**32}
    for name in ("temperature", "top_p", "top_k", "min_p", "repeat_penalty"):
        value = getattr(body, name)
        if value is not None:
            changes[name] = value
    if max_tokens is not None:
        changes["max_tokens"] = max_tokens
    return defaults.with_changes(**changes)


def options_for(body: _Sampling, response_format: ResponseFormat | None = None
                ) -> GenerationOptions:
    return GenerationOptions(stop=body.stop_strings(),
                             presence_penalty=body.presence_penalty or 0.0,
                             frequency_penalty=body.frequency_penalty or 0.0,
                             grammar=grammar_for(response_format))


def grammar_for(response_format: ResponseFormat | None) -> str:
    if response_format is None or response_format.type == "text":
        return ""
    # Imported here: the grammar module brings llama_cpp, which a server without a request
    # for structured output never needs on its event loop's thread.
    from openchat_desktop.core.llm import grammar

    try:
        if response_format.type == "json_object":
            return grammar.json_object_grammar()
        if response_format.json_schema is None:
            raise ApiError(400, "response_format json_schema needs a json_schema object",
                           param="response_format.json_schema")
        return grammar.json_schema_grammar(response_format.json_schema.schema_)
    except OpenChatError as exc:
        raise ApiError(400, str(exc), param="response_format.json_schema") from None


def chat_messages(body: ChatCompletionRequest) -> list[ChatMessage]:
    """The conversation as templates take it: an assistant's tool calls with their
    arguments as a JSON object (what ``transformers`` templates expect), a tool message
    with the id of the call it answers."""
    messages = []
    for index, m in enumerate(body.messages):
        if m.role == "tool" and not m.tool_call_id:
            raise ApiError(400, "a message with role 'tool' needs the tool_call_id of the "
                                "call it answers", param=f"messages.{index}.tool_call_id")
        calls = tuple(_call_for_template(call) for call in m.tool_calls or ())
        messages.append(ChatMessage(_ROLES.get(m.role, m.role), m.text(),
                                    reasoning_content=m.reasoning_content or None,
                                    tool_calls=calls, tool_call_id=m.tool_call_id,
                                    name=m.name if m.role == "tool" else None))
    return messages


def chat_options(body: ChatCompletionRequest) -> GenerationOptions:
    """``options_for`` plus what only chat has: tools for the template (unless
    ``tool_choice`` is "none"), the Thinking choice from ``reasoning_effort``, and
    ``chat_template_kwargs``."""
    variables: dict[str, Any] = {}
    for key, value in (body.chat_template_kwargs or {}).items():
        if key in _RESERVED_VARIABLES:
            raise ApiError(400, f"chat_template_kwargs cannot set {key}",
                           param="chat_template_kwargs")
        variables[key] = value
    if body.tools and body.tool_choice != "none":
        variables["tools"] = [tool.model_dump(exclude_none=True) for tool in body.tools]
    effort = body.reasoning_effort
    thinking = {"minimal": "low"}.get(effort, effort) if effort else ""
    return replace(options_for(body, body.response_format), thinking=thinking,
                   template_vars=variables)


def _call_for_template(call: ToolCallIn) -> dict[str, Any]:
    arguments: Any = call.function.arguments
    if isinstance(arguments, str):
        # Not JSON: the template gets the text as it came.
        with contextlib.suppress(ValueError):
            arguments = json.loads(arguments)
    return {"id": call.id or "", "type": "function",
            "function": {"name": call.function.name, "arguments": arguments}}


def model_for(state: ServerState, requested: str | None) -> Path | None:
    return state.directory.resolve(requested, state.owner.loaded_path)
