"""Per-conversation settings on top of the app defaults, and turning a path into a prompt.

A conversation stores only the settings it overrides, under the app's own keys
("sampling.temperature", "model.ctx_size", "chat.system_prompt"...), plus ``model.path`` for
the model it talks to. Everything else follows the app settings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.models.choice import resolve_model
from openchat_desktop.core.settings_schema import SEED_RANDOM, SETTINGS_BY_KEY
from openchat_desktop.core.store.records import Message

log = logging.getLogger(__name__)
MODEL_PATH_KEY = "model.path"
SYSTEM_PROMPT_KEY = "chat.system_prompt"
OVERRIDABLE_PREFIXES = ("sampling.", "model.")
TITLE_WORDS = 6
TITLE_CHARS = 40


def validate_override(key: str, value: Any) -> Any:
    """The value a conversation may store for ``key``; raises SettingsError."""
    if key == MODEL_PATH_KEY:
        if not isinstance(value, str):
            raise SettingsError(f"{key} must be text")
        return value
    setting = SETTINGS_BY_KEY.get(key)
    if setting is None or not (key == SYSTEM_PROMPT_KEY or key.startswith(OVERRIDABLE_PREFIXES)):
        raise SettingsError(f"{key} cannot be set per conversation")
    try:
        return setting.validate(value)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def merged(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """App values with the conversation's valid overrides on top (bad ones are skipped:
    a conversation imported from elsewhere must still open)."""
    values = dict(defaults)
    for key, value in overrides.items():
        try:
            values[key] = validate_override(key, value)
        except SettingsError as exc:
            log.warning("conversation setting ignored: %s", exc)
    return values


def section(values: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    start = prefix + "."
    return {key[len(start):]: value for key, value in values.items() if key.startswith(start)}


def sampling_from(values: Mapping[str, Any], version: int = 1) -> SamplingSettings:
    """The sampling for version ``version`` of a reply.

    With a fixed seed every regenerated version would repeat the first word for word, so
    version N uses seed + N - 1: each version differs, and each stays reproducible.
    """
    sampling = SamplingSettings.from_dict(section(values, "sampling"))
    if sampling.seed == SEED_RANDOM or version <= 1:
        return sampling
    return sampling.with_changes(seed=(sampling.seed + version - 1) % 2**32)


def load_settings_from(values: Mapping[str, Any]) -> LoadSettings:
    """How to load the conversation's model. Raises NoModelError when there is none."""
    path = resolve_model(values.get(MODEL_PATH_KEY) or None, values.get("model.default", ""),
                         list(values.get("models.extra_dirs", [])))
    return LoadSettings.from_values(path, values)


def prompt_messages(path: Sequence[Message], system_prompt: str) -> list[ChatMessage]:
    """The conversation as the model sees it: system prompt first, then each turn.

    Failed and still-empty replies are left out: they are not something the assistant said.
    """
    messages = [ChatMessage("system", system_prompt)] if system_prompt.strip() else []
    for message in path:
        if message.role == "assistant" and (message.status == "error" or not message.content):
            continue
        messages.append(ChatMessage(message.role, message.content))
    return messages


def title_from(text: str) -> str:
    """A conversation title from its first message: the first few words, kept short."""
    title = " ".join(text.split()[:TITLE_WORDS])
    if len(title) <= TITLE_CHARS:
        return title
    cut = title[:TITLE_CHARS].rsplit(" ", 1)[0] or title[:TITLE_CHARS]
    return cut.rstrip(" ,.;:") + "…"
