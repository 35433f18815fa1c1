"""Settings: declared once, validated, written atomically, damaged files survived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.settings import Settings
from openchat_desktop.core.settings_schema import SETTINGS, defaults


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
