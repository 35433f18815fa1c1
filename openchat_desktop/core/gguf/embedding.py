"""Whether a GGUF file is an embedding model (it turns text into vectors) rather than a chat
model, read from its header alone.

Two signs, either enough: an encoder-only architecture (BERT and its kin), or a pooling type
in the metadata, which llama.cpp's converter writes only for models meant to embed (a decoder
such as Qwen3-Embedding has architecture "qwen3" but pools its last token). Rerankers pool
with "rank": they score pairs of texts and are neither chat nor embedding models.
"""

from __future__ import annotations

import os

from openchat_desktop.core.gguf.info import GGUFInfo, read_gguf_info
from openchat_desktop.core.gguf.tables import EMBEDDING_ARCHITECTURES, POOLING_TYPES

POOLING_NONE = 0
POOLING_MEAN = 1
POOLING_RANK = 4


def is_embedding_model(model: GGUFInfo | str | os.PathLike[str]) -> bool:
    """True for a GGUF embedding model. A path is read (header only, milliseconds); a file
    that is not a valid GGUF model raises ``ModelFileError``."""
    info = model if isinstance(model, GGUFInfo) else read_gguf_info(model)
    if info.pooling_type == POOLING_RANK:
        return False
    if info.architecture in EMBEDDING_ARCHITECTURES:
        return True
    return info.pooling_type is not None and info.pooling_type != POOLING_NONE


def pooling_name(info: GGUFInfo) -> str:
    """The model's pooling as llama.cpp names it ("mean", "cls", "last"); "mean" when the
    file does not say, which is what the app asks llama.cpp for then."""
    pooling = info.pooling_type
    if pooling is None or pooling == POOLING_NONE:
        return POOLING_TYPES[POOLING_MEAN]
    return POOLING_TYPES.get(pooling, str(pooling))
