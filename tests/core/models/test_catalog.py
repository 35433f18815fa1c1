"""The curated catalog file and the "will it fit?" rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.models.catalog import (
    OVERHEAD_BYTES,
    THINKING_KINDS,
    entry_fit,
    entry_for_model,
    estimate_kv_bytes,
    find_entry,
    fit_for_machine,
    format_context,
    load_catalog,
    model_sampling_defaults,
    parse_parameters,
)
from openchat_desktop.core.paths import STARTER_MODEL_FILE

GB = 1000**3


def test_catalog_entries_are_well_formed() -> None:
    entries = load_catalog()
    assert entries[0].repo == "TheBloke/openchat_3.5-GGUF"
    assert [e.file for e in entries[:2]] == ["openchat_3.5.Q4_K_M.gguf", "openchat_3.5.Q8_0.gguf"]
    assert len({e.id for e in entries}) == len(entries) >= 20
    # chat models; the embedding models have their own bounds (test_catalog_embeddings.py)
    for entry in (e for e in entries if not e.is_embedding):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", entry.repo), entry
        assert entry.file.endswith(".gguf")
        assert entry.quantization.lower() in entry.file.lower()
        assert 50 * 1000**2 < entry.size_bytes < 16 * GB
        assert entry.context_length >= 2048 and entry.license and entry.description
        assert "\n" not in entry.description
        assert parse_parameters(entry.parameters) > 1e8
        assert entry.thinking in THINKING_KINDS
        assert bool(entry.recommended) == bool(entry.recommended_source), entry.id
    (starter,) = [e for e in entries if e.starter]
    assert starter.file == STARTER_MODEL_FILE and starter.parameters == "135M"


def test_the_2026_catalog_covers_todays_families() -> None:
    repos = {e.repo for e in load_catalog()}
    assert {"Qwen/Qwen3-0.6B-GGUF", "Qwen/Qwen3-4B-GGUF", "Qwen/Qwen3-8B-GGUF",
            "ggml-org/gemma-3-1b-it-GGUF", "ggml-org/gemma-3-4b-it-GGUF",
            "ggml-org/gemma-3-12b-it-GGUF", "ggml-org/gpt-oss-20b-GGUF",
            "ggml-org/SmolLM3-3B-GGUF", "bartowski/microsoft_Phi-4-mini-instruct-GGUF",
            "ibm-granite/granite-4.0-micro-GGUF", "unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF",
            "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "bartowski/Llama-3.2-3B-Instruct-GGUF",
            "unsloth/Mistral-Small-3.2-24B-Instruct-2506-GGUF"} <= repos
    kinds = {e.thinking for e in load_catalog()}
    assert kinds == set(THINKING_KINDS)


def test_capabilities_and_recommended_sampling() -> None:
    entries = {e.id: e for e in load_catalog()}
    qwen = entries["qwen3-8b"]
    assert qwen.capability_labels() == ["thinking on/off", "tools", "32K context"]
    assert qwen.recommended_sampling == {"temperature": 0.6, "top_p": 0.95, "top_k": 20,
                                         "min_p": 0.0}
    assert entries["gpt-oss-20b"].capability_labels()[0] == "thinking low/medium/high"
    assert entries["deepseek-r1-0528-qwen3-8b"].capability_labels()[0] == "thinks"
    assert entries["openchat-3.5-q4"].capability_labels() == ["8K context"]
    assert format_context(131072) == "128K" and format_context(1000) == "1000"


def test_model_defaults_come_from_the_entry_of_the_model_file() -> None:
    qwen = {"sampling.temperature": 0.6, "sampling.top_p": 0.95, "sampling.top_k": 20,
            "sampling.min_p": 0.0}
    assert model_sampling_defaults("/models/Qwen3-8B-Q4_K_M.gguf") == qwen
    assert model_sampling_defaults("qwen3-8b-q4_k_m") == qwen  # an installed model's name
    starter = model_sampling_defaults(None)  # no model chosen: the starter model
    assert starter and set(starter) <= {f"sampling.{k}" for k in ("temperature", "top_p",
                                                                   "top_k", "min_p",
                                                                   "repeat_penalty")}
    assert model_sampling_defaults("/models/unknown.gguf") == {}
    assert model_sampling_defaults("/models/phi.gguf") == {}
    assert entry_for_model("/x/gpt-oss-20b-mxfp4.gguf") == find_entry("gpt-oss-20b")


def test_an_old_catalog_without_the_new_fields_still_loads(tmp_path: Path) -> None:
    old = {"version": 1, "models": [{
        "id": "m", "repo": "o/r", "file": "m.Q4_0.gguf", "size_bytes": 10**9,
        "parameters": "1B", "quantization": "Q4_0", "context_length": 4096,
        "license": "mit", "description": "d"}]}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(old))
    (entry,) = load_catalog(path)
    assert (entry.thinking, entry.tools, entry.recommended) == ("no", False, ())


@pytest.mark.parametrize("change", [
    {"capabilities": {"thinking": "sometimes"}},
    {"recommended_sampling": {"temprature": 0.5}},
    {"recommended_sampling": {"temperature": 99}},
])
def test_a_bad_capability_or_sampling_value_is_one_clear_error(
        tmp_path: Path, change: dict[str, object]) -> None:
    item = {"id": "m", "repo": "o/r", "file": "m.Q4_0.gguf", "size_bytes": 10**9,
            "parameters": "1B", "quantization": "Q4_0", "context_length": 4096,
            "license": "mit", "description": "d", **change}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"models": [item]}))
    with pytest.raises(OpenChatError, match="missing or damaged") as caught:
        load_catalog(path)
    assert "\n" not in str(caught.value)


def test_find_entry_by_id_spec_or_file() -> None:
    entry = find_entry("qwen3-1.7b")
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
