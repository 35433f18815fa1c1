"""Write a tiny BERT embedding model as GGUF, with random weights, that llama.cpp really loads.

Import it as ``import embedding_gguf`` from any test (``tests/`` is on ``sys.path``). The file
is a few hundred kilobytes: a WordPiece vocabulary of letters, digits and some words, two
layers, 32 dimensions and mean pooling. Its vectors mean nothing (the weights are random), so
tests with it check the plumbing (shapes, normalisation, truncation, storage), never quality.

    path = write_embedding_gguf(tmp_path / "tiny-embed.gguf")
    write_embedding_gguf(path, context_length=64)   # a short context, to test truncation
    write_embedding_gguf(path, pooling=4)           # a reranker ("rank" pooling)
    write_embedding_gguf(path, drop=("blk.1.ffn_up.weight",))  # llama.cpp refuses it

The ``tiny_embedding_gguf`` fixture in ``tests/fixtures/embedding.py`` makes it once per test
session.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from pathlib import Path

import gguf
import numpy as np

ARCH = "bert"
POOLING_MEAN = 1  # llama.cpp's LLAMA_POOLING_TYPE_MEAN
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
WORDS = ("the", "of", "and", "to", "in", "is", "python", "file", "list", "dict", "open",
         "read", "write", "function", "class", "module", "import", "return", "error")


def vocabulary() -> list[str]:
    """WordPiece tokens as llama.cpp's ``bert`` tokenizer wants them: a word start carries
    "▁" (the converter's "phantom space"), a continuation piece is bare, specials stay as
    they are. Every letter and digit exists in both forms, so any word can be spelt."""
    pieces = string.ascii_lowercase + string.digits
    starts = [f"\u2581{c}" for c in pieces + string.punctuation]
    words = [f"\u2581{w}" for w in WORDS]
    return [*SPECIAL_TOKENS, *starts, *pieces, *words]


def write_embedding_gguf(path: Path, *, dims: int = 32, layers: int = 2, heads: int = 2,
                         context_length: int = 512, seed: int = 0, name: str = "tiny-embed",
                         pooling: int = POOLING_MEAN, drop: Sequence[str] = ()) -> Path:
    """Write the model to ``path`` and return it; tensors named in ``drop`` are left out."""
    tokens = vocabulary()
    writer = gguf.GGUFWriter(str(path), ARCH)
    _write_metadata(writer, tokens, dims, layers, heads, context_length, name)
    writer.add_pooling_type(gguf.PoolingType(pooling))
    rng = np.random.default_rng(seed)
    for tensor_name, shape in _tensor_shapes(len(tokens), dims, layers, context_length):
        if tensor_name not in drop:
            writer.add_tensor(tensor_name, _weights(rng, tensor_name, shape))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _write_metadata(writer: gguf.GGUFWriter, tokens: list[str], dims: int, layers: int,
                    heads: int, context_length: int, name: str) -> None:
    writer.add_name(name)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(context_length)
    writer.add_embedding_length(dims)
    writer.add_feed_forward_length(dims * 2)
    writer.add_block_count(layers)
    writer.add_head_count(heads)
    writer.add_layer_norm_eps(1e-12)
    writer.add_causal_attention(False)
    writer.add_tokenizer_model("bert")
    writer.add_token_list(tokens)
    types = [gguf.TokenType.CONTROL if t in SPECIAL_TOKENS else gguf.TokenType.NORMAL
             for t in tokens]
    writer.add_token_types(types)
    writer.add_token_type_count(2)
    writer.add_pad_token_id(tokens.index("[PAD]"))
    writer.add_unk_token_id(tokens.index("[UNK]"))
    writer.add_bos_token_id(tokens.index("[CLS]"))  # BERT's [CLS] is llama.cpp's BOS
    writer.add_sep_token_id(tokens.index("[SEP]"))
    writer.add_mask_token_id(tokens.index("[MASK]"))
    writer.add_add_bos_token(True)
    writer.add_add_sep_token(True)


def _tensor_shapes(vocab: int, dims: int, layers: int, context_length: int
                   ) -> list[tuple[str, tuple[int, ...]]]:
    """Names and NumPy shapes (rows, columns: llama.cpp's {ne0, ne1} reversed) of BERT."""
    ffn = dims * 2
    shapes: list[tuple[str, tuple[int, ...]]] = [
        ("token_embd.weight", (vocab, dims)), ("token_types.weight", (2, dims)),
        ("position_embd.weight", (context_length, dims)),
        ("token_embd_norm.weight", (dims,)), ("token_embd_norm.bias", (dims,))]
    for block in range(layers):
        prefix = f"blk.{block}"
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            shapes += [(f"{prefix}.{part}.weight", (dims, dims)),
                       (f"{prefix}.{part}.bias", (dims,))]
        shapes += [(f"{prefix}.ffn_up.weight", (ffn, dims)), (f"{prefix}.ffn_up.bias", (ffn,)),
                   (f"{prefix}.ffn_down.weight", (dims, ffn)),
                   (f"{prefix}.ffn_down.bias", (dims,))]
        for norm in ("attn_output_norm", "layer_output_norm"):
            shapes += [(f"{prefix}.{norm}.weight", (dims,)), (f"{prefix}.{norm}.bias", (dims,))]
    return shapes


def _weights(rng: np.random.Generator, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Random weights small enough to keep activations finite; norms start at weight 1."""
    if "norm" in name:
        return (np.ones(shape) if name.endswith(".weight") else np.zeros(shape)).astype(np.float32)
    return (rng.standard_normal(shape) * 0.2).astype(np.float32)
