"""Settings: declared once, validated, written atomically, damaged files survived."""

from __future__ import annotations

import json
import logging
from dataclasses import MISSING, fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.settings import Settings
from openchat_desktop.core.settings_schema import SETTINGS, SETTINGS_BY_KEY, defaults


def test_defaults_are_the_seed_programs() -> None:
    values = defaults()
    assert values["sampling.temperature"] == 0.8
    assert values["sampling.seed"] == 299792458
    assert values["sampling.repeat_penalty"] == 1.1
    assert values["sampling.repeat_last_n"] == 64
    assert values["sampling.max_tokens"] == 1000


def test_round_trip_and_observers(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    store = Settings(path)
    seen: list[tuple[str, object]] = []
    unsubscribe = store.subscribe("sampling.", lambda key, value: seen.append((key, value)))
    store.set("sampling.temperature", 0.3)
    store.set("ui.theme", "dark")
    unsubscribe()
    store.set("sampling.top_k", 5)
    store.save()
    assert seen == [("sampling.temperature", 0.3)]
    again = Settings(path)
    assert again.get("sampling.temperature") == 0.3 and again.get("ui.theme") == "dark"
    assert again.get("sampling.top_k") == 5 and again.warnings == []
    assert json.loads(path.read_text())["version"] == 1


@pytest.mark.parametrize(("key", "value"), [("sampling.temperature", -1),
                                            ("sampling.top_p", 2), ("ui.theme", "pink"),
                                            ("sampling.top_k", 1.5), ("model.flash_attn", "yes"),
                                            ("nope", 1)])
def test_bad_values_are_refused_with_one_line(key: str, value: object) -> None:
    with pytest.raises(SettingsError) as error:
        Settings().set(key, value)
    assert "\n" not in str(error.value)


def test_damaged_file_resets_bad_keys_and_keeps_backup(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "settings": {
        "sampling.temperature": "hot", "ui.theme": "dark", "mystery": 1}}))
    store = Settings(path)
    assert store.get("ui.theme") == "dark"
    assert store.get("sampling.temperature") == 0.8
    assert len(store.warnings) == 2
    assert (tmp_path / "settings.json.bak").exists()


def test_unreadable_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\x00\xff{not json")
    store = Settings(path)
    assert store.snapshot() == defaults() and store.warnings
    assert (tmp_path / "settings.json.bak").read_bytes() == b"\x00\xff{not json"


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([s.key for s in SETTINGS] + ["x", "ui"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                 st.text(max_size=20), st.lists(st.text(max_size=5)))))
def test_any_loaded_values_give_valid_settings(values: dict[str, object]) -> None:
    store = Settings()
    store._apply_loaded(values)
    for setting in SETTINGS:
        assert setting.validate(store.get(setting.key)) == store.get(setting.key)


# -- one place for each fact ------------------------------------------------------------------
def test_every_sampling_field_is_a_setting_with_its_default() -> None:
    names = {f.name for f in fields(SamplingSettings)}
    assert {f"sampling.{name}" for name in names} == {
        key for key in SETTINGS_BY_KEY if key.startswith("sampling.")}
    for field in fields(SamplingSettings):
        assert field.default == SETTINGS_BY_KEY[f"sampling.{field.name}"].default, field.name
    assert SamplingSettings() == SamplingSettings.from_dict(Settings().section("sampling"))


def test_every_load_field_is_a_setting_with_its_default() -> None:
    own = {"model_path", "n_batch"}  # chosen per load, and a fixed batch size: not settings
    for field in fields(LoadSettings):
        if field.name in own:
            continue
        assert field.default == SETTINGS_BY_KEY[f"model.{field.name}"].default, field.name
    assert fields(LoadSettings)[0].default is MISSING


def test_load_settings_are_built_from_model_values() -> None:
    values = {**defaults(), "model.ctx_size": 2048, "model.kv_cache_type": "q8_0",
              "model.grow_context": False, "model.path": "other.gguf", "sampling.seed": 1}
    load = LoadSettings.from_values("m.gguf", values)
    assert load == LoadSettings(Path("m.gguf"), ctx_size=2048, kv_cache_type="q8_0",
                                grow_context=False)
    assert LoadSettings.from_values(Path("m.gguf"), {"model.threads": 3}).threads == 3


def test_unknown_sampling_keys_are_reported_not_dropped(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        sampling = SamplingSettings.from_dict({"temperature": 0.3, "tempreature": 9, "x": 1})
    assert sampling == SamplingSettings(temperature=0.3)
    assert [r.getMessage() for r in caplog.records] == [
        "unknown sampling setting: tempreature, x (ignored)"]
    with pytest.raises(SettingsError, match="unknown sampling setting: tempreature"):
        SamplingSettings.from_dict({"tempreature": 9}, strict=True)


def test_every_setting_declares_what_a_form_needs() -> None:
    for setting in SETTINGS:
        assert setting.label and setting.help, setting.key
        assert len(setting.choice_labels) in (0, len(setting.choices)), setting.key
        if setting.minimum_text:
            assert setting.kind in (int, float) and setting.minimum is not None, setting.key
        if setting.step is not None:
            assert setting.kind is float, setting.key
        if setting.secret or setting.multiline:
            assert setting.kind is str, setting.key
    theme = SETTINGS_BY_KEY["ui.theme"]
    assert theme.choice_label("system") == "Follow system" and theme.choice_label("x") == "x"
    assert "Temperature" in SETTINGS_BY_KEY["sampling.temperature"].texts()
