"""The embedder on a real (tiny, random-weight) GGUF embedding model that llama.cpp loads.

Random weights make the vectors meaningless, so these tests check the plumbing: dimensions,
unit length, determinism, order, truncation, prefixes and the errors a user can meet.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from pathlib import Path

import numpy as np
import pytest
from embedding_gguf import write_embedding_gguf

from openchat_desktop.core.errors import ModelFileError, ModelLoadError
from openchat_desktop.core.gguf.embedding import is_embedding_model, pooling_name
from openchat_desktop.core.gguf.info import read_gguf_info
from openchat_desktop.core.llm.embedder import MAX_CONTEXT, LlamaEmbedder, open_embedder
from openchat_desktop.core.models.embedding_models import (
    EmbeddingPrefixes,
    embedding_prefixes,
    find_embedding_models,
)

TEXTS = ["the python file", "open a list", "汉字 and émigré text", "x"]


def _norms(vectors: list[list[float]]) -> np.ndarray:
    return np.linalg.norm(np.asarray(vectors), axis=1)


def test_the_tiny_model_loads_with_its_own_dimensions_and_context(
        tiny_embedder: LlamaEmbedder, tiny_embedding_gguf: Path) -> None:
    assert tiny_embedder.dimensions == 32
    assert tiny_embedder.n_ctx == 512  # the model's training context, under the 2048 cap
    size = tiny_embedding_gguf.stat().st_size
    assert tiny_embedder.model_id.startswith(f"tiny-embed.gguf:{size}:")
    with LlamaEmbedder(tiny_embedding_gguf) as again:
        assert again.model_id == tiny_embedder.model_id  # stable: vectors stay valid


def test_the_context_is_capped(tmp_path: Path) -> None:
    path = write_embedding_gguf(tmp_path / "long.gguf", context_length=4096)
    with LlamaEmbedder(path) as embedder:
        assert embedder.n_ctx == MAX_CONTEXT
    with LlamaEmbedder(path, n_ctx=256) as embedder:
        assert embedder.n_ctx == 256


def test_vectors_are_unit_length_deterministic_distinct_and_in_order(
        tiny_embedder: LlamaEmbedder) -> None:
    vectors = tiny_embedder.embed(TEXTS)
    assert [len(v) for v in vectors] == [32] * len(TEXTS)
    assert np.allclose(_norms(vectors), 1.0)
    assert tiny_embedder.embed(TEXTS) == vectors
    one_by_one = [tiny_embedder.embed([text])[0] for text in TEXTS]
    assert np.allclose(one_by_one, vectors, atol=1e-5)  # batching changes nothing
    for i in range(len(TEXTS)):
        for j in range(i + 1, len(TEXTS)):
            assert not np.allclose(vectors[i], vectors[j], atol=1e-3), (TEXTS[i], TEXTS[j])
    assert tiny_embedder.embed([]) == []


def test_a_text_longer_than_the_context_is_shortened_not_an_error(tmp_path: Path) -> None:
    path = write_embedding_gguf(tmp_path / "short.gguf", context_length=64)
    with LlamaEmbedder(path) as embedder:
        long_text = "the python file and the list " * 400  # thousands of tokens
        vectors = embedder.embed([long_text, "short", long_text + " tail"])
        assert np.allclose(_norms(vectors), 1.0)
        # only the first 64 tokens count, so a different tail changes nothing
        assert np.allclose(vectors[0], vectors[2], atol=1e-5)
        assert len(embedder.embed([""])[0]) == 32


def test_many_texts_in_several_batches(tiny_embedder: LlamaEmbedder) -> None:
    texts = [f"passage {i} about the python module and its list" for i in range(200)]
    vectors = tiny_embedder.embed(texts)
    assert len(vectors) == 200 and np.allclose(_norms(vectors), 1.0)
    assert np.allclose(vectors[123], tiny_embedder.embed([texts[123]])[0], atol=1e-5)


def test_threads_share_one_model_safely(tiny_embedder: LlamaEmbedder) -> None:
    expected = tiny_embedder.embed(TEXTS)
    results: list[list[list[float]]] = []
    workers = [threading.Thread(target=lambda: results.append(tiny_embedder.embed(TEXTS)))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(results) == 4 and all(np.allclose(r, expected, atol=1e-6) for r in results)


def test_query_and_document_prefixes(tiny_embedder: LlamaEmbedder) -> None:
    assert tiny_embedder.prefixes == EmbeddingPrefixes()  # not in the catalog, not nomic
    tiny_embedder.prefixes = EmbeddingPrefixes("search_query: ", "search_document: ")
    query = tiny_embedder.embed_query("open a file")
    assert query == tiny_embedder.embed(["search_query: open a file"])[0]
    assert query != tiny_embedder.embed(["open a file"])[0]  # embed() stays plain
    documents = tiny_embedder.embed_documents(["a", "b"])
    assert documents == tiny_embedder.embed(["search_document: a", "search_document: b"])
    assert tiny_embedder.for_documents().embed(["a", "b"]) == documents
    view = tiny_embedder.for_queries()
    assert (view.model_id, view.dimensions) == (tiny_embedder.model_id, 32)
    assert view.embed(["open a file"]) == [query]


def test_prefixes_come_from_the_catalog_or_the_family(tiny_embedding_gguf: Path) -> None:
    info = read_gguf_info(tiny_embedding_gguf)
    nomic_file = dataclasses.replace(info, path=Path("/m/nomic-embed-text-v1.5.Q4_K_M.gguf"))
    assert embedding_prefixes(nomic_file) == EmbeddingPrefixes("search_query: ",
                                                               "search_document: ")
    bge = embedding_prefixes(dataclasses.replace(info, path=Path("/m/bge-small-en-v1.5-q8_0.gguf")))
    assert bge.query.startswith("Represent this sentence") and bge.document == ""
    other_nomic = dataclasses.replace(info, architecture="nomic-bert")
    assert embedding_prefixes(other_nomic).query == "search_query: "


def test_what_is_an_embedding_model(tiny_embedding_gguf: Path, tmp_path: Path) -> None:
    info = read_gguf_info(tiny_embedding_gguf)
    assert is_embedding_model(tiny_embedding_gguf) and is_embedding_model(info)
    assert pooling_name(info) == "mean"
    reranker = write_embedding_gguf(tmp_path / "rerank.gguf", pooling=4)
    assert not is_embedding_model(reranker)  # scores pairs; not for vectors
    qwen_embedding = dataclasses.replace(info, architecture="qwen3", pooling_type=3)
    assert is_embedding_model(qwen_embedding) and pooling_name(qwen_embedding) == "last"
    assert not is_embedding_model(dataclasses.replace(info, architecture="qwen3",
                                                      pooling_type=None))


@pytest.mark.model
def test_the_starter_chat_model_is_not_an_embedding_model(starter_model: Path) -> None:
    assert not is_embedding_model(starter_model)
    with pytest.raises(ModelFileError, match="chat model, not an embedding model"):
        LlamaEmbedder(starter_model)


@pytest.mark.model
def test_open_embedder_finds_the_setting_by_file_name(
        tiny_embedding_gguf: Path, starter_model: Path) -> None:
    folder = [str(tiny_embedding_gguf.parent)]
    assert open_embedder("", folder) is None
    assert open_embedder("   ", folder) is None
    assert find_embedding_models(folder) == [tiny_embedding_gguf]  # not the starter model
    with open_embedder("tiny-embed.gguf", folder) as by_name:  # type: ignore[union-attr]
        assert by_name.dimensions == 32
    with open_embedder(str(tiny_embedding_gguf)) as by_path:  # type: ignore[union-attr]
        assert by_path.path == tiny_embedding_gguf
    with pytest.raises(ModelFileError, match="chat model") as chat:
        open_embedder(starter_model.name)
    with pytest.raises(ModelFileError, match=re.escape("nomic-embed-text-v1.5.Q4_K_M.gguf is "
                                                       "not installed")) as missing:
        open_embedder("nomic-embed-text-v1.5.Q4_K_M.gguf", folder)
    assert "\n" not in str(chat.value) + str(missing.value)


def test_files_that_are_no_usable_model_give_one_line(tmp_path: Path,
                                                      tiny_embedding_gguf: Path) -> None:
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"not a model\n" * 100)
    with pytest.raises(ModelFileError):
        LlamaEmbedder(garbage)
    with pytest.raises(ModelFileError, match="not installed"):
        open_embedder(str(tmp_path / "gone.gguf"))
    broken = write_embedding_gguf(tmp_path / "broken.gguf", drop=("blk.1.ffn_up.weight",))
    with pytest.raises(ModelLoadError) as refused:
        LlamaEmbedder(broken)
    assert "broken.gguf" in str(refused.value) and "\n" not in str(refused.value)
    assert "blk.1.ffn_up.weight" in str(refused.value)  # llama.cpp's own reason
    embedder = LlamaEmbedder(tiny_embedding_gguf)
    embedder.close()
    embedder.close()  # twice is harmless
    with pytest.raises(ModelLoadError, match="closed"):
        embedder.embed(["x"])
