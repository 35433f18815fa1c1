"""A deterministic stand-in for an embedding model, for the plumbing tests of indexing and
search: a hashed bag of words, so texts sharing words get similar vectors. The real GGUF
embedder has its own tests (``tests/fixtures/embedding.py``)."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence


class BagOfWordsEmbedder:
    """Implements ``TextEmbedder``: each word adds 1 to one of ``dimensions`` buckets."""

    def __init__(self, model_id: str = "bag-of-words", dimensions: int = 64,
                 fail_after: int | None = None,
                 synonyms: dict[str, str] | None = None) -> None:
        self._model_id = model_id
        self.synonyms = synonyms or {}  # words the "model" knows to mean the same
        self._dimensions = dimensions
        self.calls: list[int] = []  # the batch sizes asked for
        self.fail_after = fail_after

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimensions(self) -> int:
        return self._dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RuntimeError("the model fell over")
        self.calls.append(len(texts))
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        vector = [0.0] * self._dimensions
        for word in re.findall(r"\w+", text.lower()):
            word = self.synonyms.get(word, word)
            bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            vector[bucket % self._dimensions] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]
