"""Any settings file on disk, JSON or not, well-formed or not: loading never raises, every
value is valid, and a damaged file is kept as ``.bak`` with a warning."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.settings import Settings
from openchat_desktop.core.settings_schema import SETTINGS

KEYS = [s.key for s in SETTINGS]
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
SETTINGS_DICT = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=12), JSON, max_size=12)
DOCUMENT = st.one_of(
    JSON,
    st.fixed_dictionaries({"version": JSON, "settings": SETTINGS_DICT}),
    st.fixed_dictionaries({"settings": SETTINGS_DICT}),
    SETTINGS_DICT,
)


def _load_and_check(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="settings-prop-") as folder:
        path = Path(folder) / "settings.json"
        path.write_bytes(data)
        _check(Settings(path), path, data)


def _check(store: Settings, path: Path, data: bytes) -> None:
    for setting in SETTINGS:
        value = store.get(setting.key)
        assert setting.validate(value) == value, setting.key
    assert all(isinstance(w, str) and "\n" not in w for w in store.warnings)
    backup = path.with_name(path.name + ".bak")
    if store.warnings:
        assert backup.read_bytes() == data
    store.save()  # what was loaded can always be written back and read again
    again = Settings(path)
    assert again.snapshot() == store.snapshot() and not again.warnings


@settings(max_examples=200, deadline=None)
@given(DOCUMENT)
def test_any_json_settings_file_loads_to_valid_values(document: Any) -> None:
    data = json.dumps(document).encode("utf-8")
    _load_and_check(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
def test_any_bytes_as_a_settings_file_load_to_valid_values(data: bytes) -> None:
    _load_and_check(data)
