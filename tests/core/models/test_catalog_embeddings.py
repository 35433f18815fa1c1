"""Embedding models in the catalog: well-formed, told apart from chat models, never offered
as a chat model, and their prefixes and labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.models.catalog import (
    MODEL_KINDS,
    entry_for_model,
    find_entry,
    load_catalog,
)

MB = 1000**2


def _embedding_entries() -> list:
    return [entry for entry in load_catalog() if entry.is_embedding]


def test_three_embedding_models_well_formed() -> None:
    entries = {entry.id: entry for entry in _embedding_entries()}
    assert set(entries) == {"nomic-embed-text-v1.5", "bge-small-en-v1.5", "bge-m3"}
    for entry in entries.values():
        assert entry.kind == "embedding" and entry.kind in MODEL_KINDS
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", entry.repo) and entry.file.endswith(".gguf")
        assert entry.quantization.lower() in entry.file.lower()
        assert 20 * MB < entry.size_bytes < 2000 * MB
        assert entry.dimensions in (384, 768, 1024)
        assert entry.context_length >= 512 and entry.license and entry.description
        assert entry.thinking == "no" and not entry.tools and not entry.recommended
        assert not entry.starter
    nomic = entries["nomic-embed-text-v1.5"]
    assert (nomic.repo, nomic.dimensions) == ("nomic-ai/nomic-embed-text-v1.5-GGUF", 768)
    assert (nomic.query_prefix, nomic.document_prefix) == ("search_query: ",
                                                           "search_document: ")
    assert entries["bge-m3"].dimensions == 1024  # the multilingual one (Chinese included)
    assert "Chinese" in entries["bge-m3"].description


def test_chat_entries_stay_chat_models() -> None:
    chat = [entry for entry in load_catalog() if not entry.is_embedding]
    assert len(chat) >= 20 and all(entry.kind == "chat" and entry.dimensions == 0
                                   for entry in chat)
    assert find_entry("smollm2-135m").kind == "chat"  # type: ignore[union-attr]


def test_labels_and_lookup() -> None:
    entry = find_entry("nomic-embed-text-v1.5")
    assert entry is not None and entry.is_embedding
    assert entry.capability_labels() == ["embeddings", "768 dimensions", "2K context"]
    assert entry_for_model(f"/models/{entry.file}") == entry
    assert find_entry(entry.spec) == entry  # `openchat models pull` accepts it


@pytest.mark.parametrize(("change", "reason"), [
    ({"kind": "reranker"}, "kind must be one of"),
    ({"kind": "embedding"}, "needs embedding.dimensions"),
    ({"kind": "embedding", "embedding": {"dimensions": 0}}, "needs embedding.dimensions"),
])
def test_a_bad_kind_is_one_clear_error(tmp_path: Path, change: dict[str, object],
                                       reason: str) -> None:
    item = {"id": "m", "repo": "o/r", "file": "m.Q8_0.gguf", "size_bytes": 10**8,
            "parameters": "100M", "quantization": "Q8_0", "context_length": 512,
            "license": "mit", "description": "d", **change}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"models": [item]}))
    with pytest.raises(OpenChatError, match=reason) as caught:
        load_catalog(path)
    assert "\n" not in str(caught.value)


def test_an_embedding_entry_loads_its_prefixes(tmp_path: Path) -> None:
    item = {"id": "e5", "kind": "embedding", "repo": "o/r", "file": "e5.Q8_0.gguf",
            "size_bytes": 10**8, "parameters": "118M", "quantization": "Q8_0",
            "context_length": 512, "license": "mit", "description": "d",
            "embedding": {"dimensions": 384, "query_prefix": "query: ",
                          "document_prefix": "passage: "}}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"models": [item]}))
    (entry,) = load_catalog(path)
    assert (entry.dimensions, entry.query_prefix, entry.document_prefix) == (
        384, "query: ", "passage: ")


def test_the_model_picker_offers_no_embedding_model(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from openchat_desktop.ui.model_picker import list_choices

    folder = tmp_path / "models"
    folder.mkdir()
    for entry in _embedding_entries()[:1]:
        (folder / entry.file).write_bytes(b"GGUF")  # listing only stats files
    (folder / "my-chat.Q4_0.gguf").write_bytes(b"GGUF")
    installed, offers = list_choices([str(folder)])
    assert offers and not any(entry.is_embedding for entry in offers)
    names = {model.name for model in installed}
    assert "my-chat.Q4_0.gguf" in names
    assert not names & {entry.file for entry in _embedding_entries()}
