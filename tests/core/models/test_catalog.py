"""The curated catalog file and the "will it fit?" rule."""

from __future__ import annotations

import re

import pytest

from openchat_desktop.core.models.catalog import (
    OVERHEAD_BYTES,
    entry_fit,
    estimate_kv_bytes,
    find_entry,
    fit_for_machine,
    load_catalog,
    parse_parameters,
)
from openchat_desktop.core.paths import STARTER_MODEL_FILE

GB = 1000**3


def test_catalog_entries_are_well_formed() -> None:
    entries = load_catalog()
    assert entries[0].repo == "TheBloke/openchat_3.5-GGUF"
    assert [e.file for e in entries[:2]] == ["openchat_3.5.Q4_K_M.gguf", "openchat_3.5.Q8_0.gguf"]
    assert len({e.id for e in entries}) == len(entries) >= 14
    for entry in entries:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", entry.repo), entry
        assert entry.file.endswith(".gguf")
        assert entry.quantization.lower() in entry.file.lower()
        assert 50 * 1000**2 < entry.size_bytes < 10 * GB
        assert entry.context_length >= 2048 and entry.license and entry.description
        assert "\n" not in entry.description
        assert parse_parameters(entry.parameters) > 1e8
    (starter,) = [e for e in entries if e.starter]
    assert starter.file == STARTER_MODEL_FILE and starter.parameters == "135M"
    repos = {e.repo for e in entries}
    assert {"Qwen/Qwen2.5-0.5B-Instruct-GGUF", "bartowski/Llama-3.2-3B-Instruct-GGUF",
            "bartowski/Phi-3.5-mini-instruct-GGUF", "bartowski/gemma-2-2b-it-GGUF"} <= repos


def test_find_entry_by_id_spec_or_file() -> None:
    entry = find_entry("qwen2.5-1.5b")
    assert entry is not None
    assert find_entry(entry.spec) == entry == find_entry(entry.file.upper())
    assert find_entry("nothing") is None


def test_parse_parameters() -> None:
    assert parse_parameters("135M") == 135e6
    assert parse_parameters("3.8B") == pytest.approx(3.8e9)
    with pytest.raises(ValueError):
        parse_parameters("big")


def test_fit_rule_thresholds() -> None:
    ram = 10 * GB
    assert fit_for_machine(6 * GB - OVERHEAD_BYTES, 0, ram) == "fits"  # exactly 60 %
    assert fit_for_machine(6 * GB - OVERHEAD_BYTES + 1, 0, ram) == "tight"
    assert fit_for_machine(9 * GB - OVERHEAD_BYTES, 0, ram) == "tight"
    assert fit_for_machine(9 * GB, 0, ram) == "too big"
    assert fit_for_machine(int(3.5 * GB), 0, 64 * GB, vram_bytes=4 * GB) == "too big"  # VRAM counts
    assert fit_for_machine(1, 0, 0) == "too big"


def test_kv_estimate_and_entry_fit() -> None:
    assert estimate_kv_bytes("7B", 4096) == int(7e9 * 4e-5 * 4096)
    assert estimate_kv_bytes("135M", 1000) == 24 * 1024 * 1000  # the floor
    assert estimate_kv_bytes(1e9, 0) == 0
    entries = {e.id: e for e in load_catalog()}
    assert entry_fit(entries["smollm2-135m"], 8 * GB) == "fits"
    assert entry_fit(entries["openchat-3.5-q8"], 8 * GB) == "too big"
    assert entry_fit(entries["openchat-3.5-q4"], 32 * GB) == "fits"
