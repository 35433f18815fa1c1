"""Constant tables from the GGUF format and llama.cpp that the GGUF header reader needs.

Kept apart from the parser so that adding a new quantization type or architecture is a
one-line change here. The numbers mirror ggml.h, llama.h and llama-arch.cpp.
"""

from __future__ import annotations

from typing import NamedTuple

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4
MAX_TENSOR_NAME = 63  # GGML_MAX_NAME is 64 including the terminating zero byte

# GGUF metadata value types: id -> (name, struct format or "" for variable-length types).
VALUE_TYPES: dict[int, tuple[str, str]] = {
    0: ("uint8", "B"),
    1: ("int8", "b"),
    2: ("uint16", "H"),
    3: ("int16", "h"),
    4: ("uint32", "I"),
    5: ("int32", "i"),
    6: ("float32", "f"),
    7: ("bool", "B"),  # read as a byte: any non-zero value is true, like llama.cpp
    8: ("string", ""),
    9: ("array", ""),
    10: ("uint64", "Q"),
    11: ("int64", "q"),
    12: ("float64", "d"),
}
TYPE_UINT32 = 4
TYPE_BOOL = 7
TYPE_STRING = 8
TYPE_ARRAY = 9
INTEGER_TYPES = frozenset({0, 1, 2, 3, 4, 5, 10, 11})


class GGMLType(NamedTuple):
    """A tensor storage type: elements per block and bytes per block."""

    name: str
    block_size: int
    type_size: int


_QK_K = 256  # super-block size of the K-quants and most IQ types

GGML_TYPES: dict[int, GGMLType] = {
    0: GGMLType("F32", 1, 4),
    1: GGMLType("F16", 1, 2),
    2: GGMLType("Q4_0", 32, 2 + 16),
    3: GGMLType("Q4_1", 32, 2 + 2 + 16),
    6: GGMLType("Q5_0", 32, 2 + 4 + 16),
    7: GGMLType("Q5_1", 32, 2 + 2 + 4 + 16),
    8: GGMLType("Q8_0", 32, 2 + 32),
    9: GGMLType("Q8_1", 32, 2 + 2 + 32),
    10: GGMLType("Q2_K", _QK_K, 2 + 2 + _QK_K // 16 + _QK_K // 4),
    11: GGMLType("Q3_K", _QK_K, 2 + _QK_K // 4 + _QK_K // 8 + 12),
    12: GGMLType("Q4_K", _QK_K, 2 + 2 + _QK_K // 2 + 12),
    13: GGMLType("Q5_K", _QK_K, 2 + 2 + _QK_K // 2 + _QK_K // 8 + 12),
    14: GGMLType("Q6_K", _QK_K, 2 + _QK_K // 16 + 3 * _QK_K // 4),
    15: GGMLType("Q8_K", _QK_K, 4 + _QK_K + _QK_K // 8),
    16: GGMLType("IQ2_XXS", _QK_K, 2 + _QK_K // 4),
    17: GGMLType("IQ2_XS", _QK_K, 2 + _QK_K // 4 + _QK_K // 32),
    18: GGMLType("IQ3_XXS", _QK_K, 2 + _QK_K // 4 + _QK_K // 8),
    19: GGMLType("IQ1_S", _QK_K, 2 + _QK_K // 8 + _QK_K // 16),
    20: GGMLType("IQ4_NL", 32, 2 + 16),
    21: GGMLType("IQ3_S", _QK_K, 2 + _QK_K // 4 + _QK_K // 8 + _QK_K // 32 + 4),
    22: GGMLType("IQ2_S", _QK_K, 2 + _QK_K // 4 + _QK_K // 16),
    23: GGMLType("IQ4_XS", _QK_K, 2 + 2 + _QK_K // 2 + _QK_K // 64),
    24: GGMLType("I8", 1, 1),
    25: GGMLType("I16", 1, 2),
    26: GGMLType("I32", 1, 4),
    27: GGMLType("I64", 1, 8),
    28: GGMLType("F64", 1, 8),
    29: GGMLType("IQ1_M", _QK_K, _QK_K // 8 + _QK_K // 16 + _QK_K // 32),
    30: GGMLType("BF16", 1, 2),
    34: GGMLType("TQ1_0", _QK_K, 2 + 4 * 13),
    35: GGMLType("TQ2_0", _QK_K, 2 + 64),
    39: GGMLType("MXFP4", 32, 1 + 16),
    40: GGMLType("NVFP4", 64, 4 + 32),
    41: GGMLType("Q1_0", 128, 2 + 16),
}

# Type ids that once existed; llama.cpp now refuses files that use them.
# The ggml type of each KV cache precision offered (settings_schema.KV_CACHE_TYPES).
KV_CACHE_GGML_TYPES: dict[str, int] = {"f16": 1, "q8_0": 8, "q4_0": 2}


def kv_bytes_per_element(kv_cache_type: str) -> float:
    """Bytes per cached key or value element: 2 for f16, 34/32 for q8_0, 18/32 for q4_0."""
    kind = GGML_TYPES[KV_CACHE_GGML_TYPES[kv_cache_type]]
    return kind.type_size / kind.block_size


REMOVED_GGML_TYPES: dict[int, str] = {
    4: "Q4_2",
    5: "Q4_3",
    31: "Q4_0_4_4",
    32: "Q4_0_4_8",
    33: "Q4_0_8_8",
    36: "IQ4_NL_4_4",
    37: "IQ4_NL_4_8",
    38: "IQ4_NL_8_8",
}

# general.file_type (llama_ftype) -> the name people know the quantization by.
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_1_SOME_F16", 7: "Q8_0", 8: "Q5_0",
    9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S",
    15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS",
    21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S",
    27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
    33: "Q4_0_4_4", 34: "Q4_0_4_8", 35: "Q4_0_8_8", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0",
}
FILE_TYPE_GUESSED = 1024  # flag llama.cpp ORs in when it had to guess the file type

# general.architecture values that llama.cpp can load, generously including recent ones:
# an unknown name here only costs a clear error message instead of a llama.cpp failure.
SUPPORTED_ARCHITECTURES: frozenset[str] = frozenset({
    "llama", "llama4", "llama-embed", "deci", "falcon", "falcon-h1", "grok", "gpt2", "gptj",
    "gptneox", "mpt", "baichuan", "starcoder", "starcoder2", "refact", "bert", "modern-bert",
    "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "eurobert",
    "bloom", "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3", "qwen3moe", "qwen3next",
    "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "phi2", "phi3", "phimoe", "plamo", "plamo2",
    "plamo3", "codeshell", "orion", "internlm2", "minicpm", "minicpm3", "gemma", "gemma2",
    "gemma3", "gemma3n", "gemma4", "gemma-embedding", "mamba", "mamba2", "jamba", "xverse",
    "command-r", "cohere2", "cohere2moe", "dbrx", "olmo", "olmo2", "olmoe", "openelm", "arctic",
    "deepseek", "deepseek2", "deepseek32", "chatglm", "glm4", "glm4moe", "bitnet", "t5",
    "t5encoder", "jais", "jais2", "nemotron", "nemotron_h", "nemotron_h_moe", "exaone", "exaone4",
    "exaone-moe", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "granite", "granitemoe",
    "granitehybrid", "chameleon", "plm", "bailingmoe", "bailingmoe2", "dots1", "arcee", "afmoe",
    "ernie4_5", "ernie4_5-moe", "hunyuan-moe", "hunyuan-dense", "smollm3", "gpt-oss", "lfm2",
    "lfm2moe", "dream", "smallthinker", "llada", "llada-moe", "seed_oss", "grovemoe", "apertus",
    "minimax-m2", "cogvlm", "rnd1", "pangu-embedded", "mistral3", "mistral4", "mimo2", "step35",
    "maincoder", "kimi-linear",
})

# Encoder-only architectures: models that embed text rather than chat (llama.cpp loads them
# with embeddings on). Decoder embedding models (Qwen3-Embedding) say so by a pooling type.
EMBEDDING_ARCHITECTURES: frozenset[str] = frozenset({
    "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert",
    "neo-bert", "eurobert", "t5encoder", "gemma-embedding", "llama-embed",
})
# llama.cpp's enum llama_pooling_type, as written in "{arch}.pooling_type".
POOLING_TYPES: dict[int, str] = {0: "none", 1: "mean", 2: "cls", 3: "last", 4: "rank"}

# Architectures of GGUF files that are not chat models, with what they are instead.
NOT_A_MODEL_ARCHITECTURES: dict[str, str] = {
    "clip": "a vision projector (mmproj) file, not a chat model; choose the main model file",
    "wavtokenizer-dec": "an audio decoder, not a chat model",
}
