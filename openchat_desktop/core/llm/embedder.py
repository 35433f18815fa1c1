"""Text to vectors with a GGUF embedding model over llama.cpp, for local documents.

``LlamaEmbedder`` implements ``core.docs.types.TextEmbedder``: ``embed`` gives one L2-normalised
vector per text, in batches, and never fails on a long text (it is shortened to the context
first, keeping the end-of-text token that last-token pooling reads). Models trained with task
prefixes (Nomic: "search_query: " / "search_document: ") get them from ``embed_query`` and
``embed_documents``, or from the ``for_queries()`` / ``for_documents()`` views, which are
``TextEmbedder`` s themselves; ``embed`` adds nothing.

Not thread-safe on its own: a lock lets the indexing thread and a search share one model,
one call at a time. The model runs on the CPU unless asked otherwise, so the chat model keeps
the GPU.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import llama_cpp
import numpy as np

from openchat_desktop.core.errors import ModelFileError, ModelLoadError
from openchat_desktop.core.gguf.embedding import POOLING_NONE, is_embedding_model
from openchat_desktop.core.gguf.info import GGUFInfo, read_gguf_info
from openchat_desktop.core.llm import llama_runtime
from openchat_desktop.core.models.embedding_models import (
    EmbeddingPrefixes,
    embedding_prefixes,
    resolve_embedding_model,
)

# Chunks are ~1200 characters (~300 tokens): 2048 tokens holds several per batch and any one
# whole, without the memory a model's full 8192 would take.
MAX_CONTEXT = 2048
_ID_HASH_BYTES = 1 << 20  # the head of the file: header, vocabulary, first weights


class LlamaEmbedder:
    """A loaded GGUF embedding model. Raises ``ModelFileError`` (not a usable embedding model
    file) or ``ModelLoadError`` (llama.cpp refused it), each with one human line."""

    def __init__(self, path: Path, *, n_threads: int | None = None, n_ctx: int | None = None,
                 n_gpu_layers: int = 0) -> None:
        self.path = Path(path)
        self.info: GGUFInfo = read_gguf_info(self.path)
        if not is_embedding_model(self.info):
            raise ModelFileError(f"{self.path.name} is a chat model, not an embedding model")
        self.n_ctx = max(8, min(n_ctx or MAX_CONTEXT, self.info.context_length))
        self.prefixes: EmbeddingPrefixes = embedding_prefixes(self.info)
        self._lock = threading.Lock()
        self._model_id = _model_id(self.path, self.info.file_size)
        llama_runtime.install_log_router()
        self._llm: llama_cpp.Llama | None = self._open(n_threads, n_gpu_layers)
        self._dimensions = int(self._llm.n_embd())

    @property
    def model_id(self) -> str:
        """File name, size and a hash of its first megabyte: another file never shares it."""
        return self._model_id

    @property
    def dimensions(self) -> int:
        return self._dimensions

    @property
    def name(self) -> str:
        return self.path.name

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector per text, in order (texts exactly as given)."""
        if not texts:
            return []
        with self._lock:
            llm = self._require_open()
            fitted = [self._fit(llm, text) for text in texts]
            raw = llm.embed(fitted, normalize=False, truncate=True)
        vectors = np.asarray(raw, dtype=np.float64).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        return [list(map(float, row)) for row in vectors]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors of passages, with the model's document prefix."""
        return self.embed([self.prefixes.document + text for text in texts])

    def embed_query(self, text: str) -> list[float]:
        """The vector of a search question, with the model's query prefix."""
        return self.embed([self.prefixes.query + text])[0]

    def for_documents(self) -> PrefixedEmbedder:
        """A ``TextEmbedder`` for indexing: ``embed`` adds the document prefix."""
        return PrefixedEmbedder(self, self.prefixes.document)

    def for_queries(self) -> PrefixedEmbedder:
        """A ``TextEmbedder`` for searching: ``embed`` adds the query prefix."""
        return PrefixedEmbedder(self, self.prefixes.query)

    def close(self) -> None:
        """Free the model now; later calls raise ``ModelLoadError``."""
        with self._lock:
            llm, self._llm = self._llm, None
        if llm is not None:
            llm.close()

    def __enter__(self) -> LlamaEmbedder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------
    def _open(self, n_threads: int | None, n_gpu_layers: int) -> llama_cpp.Llama:
        options: dict[str, Any] = {}
        if n_gpu_layers == 0 and llama_runtime.gpu_offload_supported():
            # As in the engine: without these a GPU build still makes CUDA buffers for a
            # CPU model and sends big batches to the GPU the chat model is using.
            options = {"split_mode": llama_cpp.LLAMA_SPLIT_MODE_NONE, "main_gpu": -1,
                       "op_offload": False}
        if self.info.pooling_type in (None, POOLING_NONE):
            options["pooling_type"] = llama_cpp.LLAMA_POOLING_TYPE_MEAN  # one vector per text
        llama_runtime.take_recent_native_errors()
        try:
            # A non-causal model reads each batch in one step: n_ubatch must hold it all.
            return llama_cpp.Llama(str(self.path), embedding=True, n_ctx=self.n_ctx,
                                   n_batch=self.n_ctx, n_ubatch=self.n_ctx,
                                   n_threads=n_threads, n_gpu_layers=n_gpu_layers,
                                   verbose=False, **options)
        except (ValueError, RuntimeError, OSError) as exc:
            reason = _load_failure_reason(exc)
            raise ModelLoadError(f"llama.cpp could not load {self.path.name}: {reason}") from exc

    def _require_open(self) -> llama_cpp.Llama:
        if self._llm is None:
            raise ModelLoadError(f"The embedding model {self.path.name} was closed.")
        return self._llm

    def _fit(self, llm: llama_cpp.Llama, text: str) -> str:
        """``text`` cut (at a character) until its tokens fit one sequence of the context.
        The binding's own truncation drops the last tokens, end-of-text marker included."""
        limit = self.n_ctx
        count = len(llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))
        while count > limit and text:
            text = text[: max(0, int(len(text) * limit / count * 0.95) - 1)]
            count = len(llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))
        return text


class PrefixedEmbedder:
    """A ``TextEmbedder`` view of a ``LlamaEmbedder`` that puts ``prefix`` before each text:
    hand ``for_documents()`` to indexing and ``for_queries()`` to search."""

    def __init__(self, embedder: LlamaEmbedder, prefix: str) -> None:
        self._embedder = embedder
        self.prefix = prefix

    @property
    def model_id(self) -> str:
        return self._embedder.model_id

    @property
    def dimensions(self) -> int:
        return self._embedder.dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self._embedder.embed([self.prefix + text for text in texts])


def open_embedder(setting_value: str, extra_dirs: Sequence[str | os.PathLike[str]] = (), *,
                  n_threads: int | None = None) -> LlamaEmbedder | None:
    """The embedding model the ``docs.embedding_model`` setting names, loaded; None for ""
    (keyword search only). Raises ``ModelFileError`` / ``ModelLoadError`` with one line."""
    path = resolve_embedding_model(setting_value, extra_dirs)
    return None if path is None else LlamaEmbedder(path, n_threads=n_threads)


def _load_failure_reason(exc: BaseException) -> str:
    """llama.cpp's own reason ("tensor 'blk.1.ffn_up.weight' not found"), not the binding's
    "Failed to load model from file"."""
    native = [line for line in llama_runtime.take_recent_native_errors() if line.strip()]
    for line in native:
        if "error loading model:" in line:
            return line.split("error loading model:", 1)[1].strip()
    return native[-1] if native else (str(exc).splitlines() or [type(exc).__name__])[0]


def _model_id(path: Path, size: int) -> str:
    try:
        with path.open("rb") as stream:
            head = stream.read(_ID_HASH_BYTES)
    except OSError as exc:
        raise ModelFileError(f"could not read {path.name} ({exc.strerror or exc})") from exc
    return f"{path.name}:{size}:{hashlib.sha256(head).hexdigest()[:12]}"


if TYPE_CHECKING:
    from openchat_desktop.core.docs.types import TextEmbedder

    # mypy proves here that both are TextEmbedders, as indexing and search take them.
    _as_protocol: tuple[TextEmbedder, TextEmbedder] = (
        LlamaEmbedder(Path()), LlamaEmbedder(Path()).for_queries())
