"""From a validated request to a job for the model: sampling, stop strings, grammar, model."""

from __future__ import annotations

from pathlib import Path

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.sampling import GenerationOptions, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.settings_schema import SEED_RANDOM
from openchat_desktop.server.errors import ApiError
from openchat_desktop.server.schemas import ChatCompletionRequest, ResponseFormat, _Sampling
from openchat_desktop.server.state import ServerState

_ROLES = {"developer": "system"}


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
    return [ChatMessage(_ROLES.get(m.role, m.role), m.text()) for m in body.messages]


def model_for(state: ServerState, requested: str | None) -> Path | None:
    return state.directory.resolve(requested, state.owner.loaded_path)
