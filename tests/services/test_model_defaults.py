"""A model's own recommended sampling sits between the app defaults and the conversation's
overrides, and every value says where it comes from."""

from __future__ import annotations

from typing import Any

from openchat_desktop.core.models.catalog import find_entry
from openchat_desktop.core.settings_schema import defaults
from openchat_desktop.services.conversation_settings import (
    MODEL_PATH_KEY,
    SOURCE_APP,
    SOURCE_CONVERSATION,
    SOURCE_MODEL,
    layered,
    merged,
    sampling_from,
)

QWEN = "/models/Qwen3-8B-Q4_K_M.gguf"


def app(**changes: Any) -> dict[str, Any]:
    values = defaults()
    values.update({key.replace("__", "."): value for key, value in changes.items()})
    return values


def test_the_models_recommendation_replaces_untouched_app_defaults() -> None:
    values, sources = layered(app(), {MODEL_PATH_KEY: QWEN})
    assert (values["sampling.temperature"], values["sampling.top_p"],
            values["sampling.top_k"], values["sampling.min_p"]) == (0.6, 0.95, 20, 0.0)
    assert sources["sampling.temperature"] == SOURCE_MODEL
    assert values["sampling.repeat_penalty"] == defaults()["sampling.repeat_penalty"]
    assert sources["sampling.repeat_penalty"] == SOURCE_APP
    assert sources[MODEL_PATH_KEY] == SOURCE_CONVERSATION
    sampling = sampling_from(values)
    assert (sampling.temperature, sampling.top_k) == (0.6, 20)


def test_a_value_the_user_set_for_the_app_wins_over_the_model() -> None:
    values, sources = layered(app(sampling__temperature=0.3), {MODEL_PATH_KEY: QWEN})
    assert values["sampling.temperature"] == 0.3 and sources["sampling.temperature"] == SOURCE_APP
    assert values["sampling.top_k"] == 20 and sources["sampling.top_k"] == SOURCE_MODEL


def test_the_conversation_wins_over_both() -> None:
    overrides = {MODEL_PATH_KEY: QWEN, "sampling.temperature": 1.2}
    values, sources = layered(app(), overrides)
    assert values["sampling.temperature"] == 1.2
    assert sources["sampling.temperature"] == SOURCE_CONVERSATION
    assert merged(app(), overrides) == values


def test_the_app_default_model_counts_when_the_conversation_names_none() -> None:
    values, sources = layered(app(model__default="Qwen3-8B-Q4_K_M"), {})
    assert values["sampling.top_k"] == 20 and sources["sampling.top_k"] == SOURCE_MODEL


def test_no_model_means_the_starter_models_defaults() -> None:
    starter = find_entry("smollm2-135m")
    assert starter is not None and starter.recommended
    values, sources = layered(app(), {})
    for name, value in starter.recommended:
        assert values[f"sampling.{name}"] == value
        assert sources[f"sampling.{name}"] == SOURCE_MODEL


def test_models_the_catalog_does_not_know_keep_the_app_defaults() -> None:
    values, sources = layered(app(), {MODEL_PATH_KEY: "/models/my-own-finetune.gguf"})
    assert values == {**app(), MODEL_PATH_KEY: "/models/my-own-finetune.gguf"}
    assert set(sources.values()) == {SOURCE_APP, SOURCE_CONVERSATION}


def test_bad_overrides_are_still_skipped() -> None:
    values, sources = layered(app(), {MODEL_PATH_KEY: QWEN, "sampling.temperature": "hot"})
    assert values["sampling.temperature"] == 0.6
    assert sources["sampling.temperature"] == SOURCE_MODEL
