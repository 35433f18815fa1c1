"""Per-conversation settings on top of the app defaults, and turning a path into a prompt.

A conversation stores only the settings it overrides, under the app's own keys
("sampling.temperature", "model.ctx_size", "chat.system_prompt"...), plus ``model.path`` for
the model it talks to. Everything else follows the app settings, except that a model's own
recommended sampling (from the catalog) replaces app values the user never changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.models.catalog import model_sampling_defaults
from openchat_desktop.core.models.choice import resolve_model
from openchat_desktop.core.settings_schema import SEED_RANDOM, SETTINGS_BY_KEY
from openchat_desktop.core.store.records import Message

log = logging.getLogger(__name__)
MODEL_PATH_KEY = "model.path"
SYSTEM_PROMPT_KEY = "chat.system_prompt"
THINKING_KEY = "chat.thinking"
# The names of the document collections a conversation is attached to (services/chat_docs.py).
DOCS_COLLECTIONS_KEY = "docs.collections"
MAX_ATTACHED = 32
OVERRIDABLE_PREFIXES = ("sampling.", "model.")
# Where a conversation's value comes from (see ``layered``).
SOURCE_APP, SOURCE_MODEL, SOURCE_CONVERSATION = "app", "model", "conversation"
TITLE_WORDS = 6
TITLE_CHARS = 40


def validate_override(key: str, value: Any) -> Any:
    """The value a conversation may store for ``key``; raises SettingsError."""
    if key == MODEL_PATH_KEY:
        if not isinstance(value, str):
            raise SettingsError(f"{key} must be text")
        return value
    if key == DOCS_COLLECTIONS_KEY:
        return _collection_names(value)
    setting = SETTINGS_BY_KEY.get(key)
    if setting is None or not (key in (SYSTEM_PROMPT_KEY, THINKING_KEY)
                               or key.startswith(OVERRIDABLE_PREFIXES)):
        raise SettingsError(f"{key} cannot be set per conversation")
    try:
        return setting.validate(value)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _collection_names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise SettingsError(f"{DOCS_COLLECTIONS_KEY} must be a list of collection names")
    if len(value) > MAX_ATTACHED:
        raise SettingsError(f"A conversation can use at most {MAX_ATTACHED} collections")
    return list(dict.fromkeys(name.strip() for name in value if name.strip()))


def merged(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """App values, then the model's own defaults, then the conversation's valid overrides
    (bad ones are skipped: a conversation imported from elsewhere must still open)."""
    return layered(defaults, overrides)[0]


def layered(defaults: Mapping[str, Any], overrides: Mapping[str, Any]
            ) -> tuple[dict[str, Any], dict[str, str]]:
    """``merged``'s values and, per key, where each comes from: ``SOURCE_APP``,
    ``SOURCE_MODEL`` or ``SOURCE_CONVERSATION``.

    A model default (its authors' recommended sampling, see ``model_sampling_defaults``)
    applies only where the user has not set the app value, i.e. it is still the schema's
    default; a value the user chose for the app always wins over the model's.
    """
    values = dict(defaults)
    sources = dict.fromkeys(values, SOURCE_APP)
    model = overrides.get(MODEL_PATH_KEY) or defaults.get("model.default") or None
    for key, value in model_sampling_defaults(model if isinstance(model, str) else None).items():
        setting = SETTINGS_BY_KEY.get(key)
        if setting is not None and defaults.get(key, setting.default) == setting.default:
            values[key], sources[key] = value, SOURCE_MODEL
    for key, value in overrides.items():
        try:
            values[key], sources[key] = validate_override(key, value), SOURCE_CONVERSATION
        except SettingsError as exc:
            log.warning("conversation setting ignored: %s", exc)
    return values, sources


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
    A reply's thinking (kept apart in its meta) goes along as ``reasoning_content``: the
    template decides whether earlier turns show it (most drop it).
    """
    messages = [ChatMessage("system", system_prompt)] if system_prompt.strip() else []
    for message in path:
        if message.role == "assistant" and (message.status == "error" or not message.content):
            continue
        thinking = message.meta.get("thinking") if message.role == "assistant" else None
        messages.append(ChatMessage(message.role, message.content,
                                    reasoning_content=thinking if isinstance(thinking, str)
                                    and thinking else None))
    return messages


def title_from(text: str) -> str:
    """A conversation title from its first message: the first few words, kept short."""
    title = " ".join(text.split()[:TITLE_WORDS])
    if len(title) <= TITLE_CHARS:
        return title
    cut = title[:TITLE_CHARS].rsplit(" ", 1)[0] or title[:TITLE_CHARS]
    return cut.rstrip(" ,.;:") + "…"
