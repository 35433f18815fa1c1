"""Write synthetic GGUF files for tests: valid ones, and ones broken on purpose.

Import it as ``import gguf_factory`` from any test: ``tests/`` is on ``sys.path`` because the
root ``tests/conftest.py`` lives there (pytest's default "prepend" import mode).

    built = build_gguf()                       # a tiny valid "llama" chat model
    built.write(tmp_path / "ok.gguf")
    build_gguf(version=1)                      # header knobs: magic, version, counts
    build_gguf(model_metadata("nope"))         # metadata knobs: any key, any value
    build_gguf(model_metadata(overrides={"general.name": Value(ValueType.STRING, "x",
                                                                claimed_length=2**33)}))
    built.data[:built.metadata_end - 5]        # cut anywhere: offsets of every section

Metadata values may be plain Python (bool -> BOOL, int -> UINT32/UINT64 or INT32/INT64,
float -> FLOAT32, str -> STRING, list -> ARRAY typed by its first item) or explicit
``Value``/``Array``; ``Raw`` writes arbitrary bytes after the key (invalid types). The writer
keeps its own tensor size table on purpose, so the app's table is tested, not reused.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ValueType(IntEnum):
    """GGUF metadata value types."""

    UINT8 = 0
    INT8 = 1
    UINT16 = 2
    INT16 = 3
    UINT32 = 4
    INT32 = 5
    FLOAT32 = 6
    BOOL = 7
    STRING = 8
    ARRAY = 9
    UINT64 = 10
    INT64 = 11
    FLOAT64 = 12


_FORMATS = {
    ValueType.UINT8: "B", ValueType.INT8: "b", ValueType.UINT16: "H", ValueType.INT16: "h",
    ValueType.UINT32: "I", ValueType.INT32: "i", ValueType.FLOAT32: "f", ValueType.BOOL: "?",
    ValueType.UINT64: "Q", ValueType.INT64: "q", ValueType.FLOAT64: "d",
}


class GGMLType(IntEnum):
    """The tensor types the factory can size by itself (pass ``data`` for any other)."""

    F32 = 0
    F16 = 1
    Q4_0 = 2
    Q4_1 = 3
    Q8_0 = 8
    Q4_K = 12
    Q6_K = 14
    BF16 = 30


# (elements per block, bytes per block), from ggml-common.h
BLOCKS = {
    GGMLType.F32: (1, 4), GGMLType.F16: (1, 2), GGMLType.Q4_0: (32, 18),
    GGMLType.Q4_1: (32, 20), GGMLType.Q8_0: (32, 34), GGMLType.Q4_K: (256, 144),
    GGMLType.Q6_K: (256, 210), GGMLType.BF16: (1, 2),
}


@dataclass(frozen=True)
class Value:
    """A scalar or string with an explicit type; ``claimed_length`` lies about a string."""

    type: int
    value: object
    claimed_length: int | None = None


@dataclass(frozen=True)
class Array:
    """An array with an explicit item type; ``claimed_count`` lies about its length."""

    item_type: int
    items: Sequence[object]
    claimed_count: int | None = None


@dataclass(frozen=True)
class Raw:
    """Bytes written verbatim after the key, in place of the type id and value."""

    payload: bytes


@dataclass(frozen=True)
class Tensor:
    """A tensor entry; ``offset`` overrides the computed one, ``data`` the zero-filled bytes."""

    name: str
    shape: tuple[int, ...]
    ggml_type: int = GGMLType.F32
    offset: int | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class BuiltGGUF:
    """The bytes of a GGUF file plus where each section ends, for precise truncation."""

    data: bytes
    header_end: int
    metadata_end: int
    tensor_info_end: int
    data_offset: int

    def write(self, path: Path, *, size: int | None = None) -> Path:
        """Write the file (its first ``size`` bytes when given) and return ``path``."""
        path.write_bytes(self.data if size is None else self.data[:size])
        return path


def model_metadata(
    arch: str = "llama", overrides: Mapping[str, object] | None = None
) -> dict[str, object]:
    """Metadata of a minimal valid chat model of architecture ``arch``, with ``overrides``
    (full key names) replacing or adding keys; an override of ``None`` removes the key."""
    tokens = ["<unk>", "<|im_start|>", "<|im_end|>", "hello", "world", "你好"]
    metadata: dict[str, object] = {
        "general.architecture": arch,
        "general.name": "Tiny Test Model",
        "general.file_type": 7,
        f"{arch}.context_length": 2048,
        f"{arch}.block_count": 2,
        f"{arch}.embedding_length": 64,
        f"{arch}.attention.head_count": 4,
        f"{arch}.attention.head_count_kv": 2,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.token_type": Array(ValueType.INT32, [1] * len(tokens)),
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.add_bos_token": False,
        "tokenizer.chat_template": (
            "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
            "{% endfor %}"
        ),
    }
    metadata.update(overrides or {})
    return {key: value for key, value in metadata.items() if value is not None}


def model_tensors() -> list[Tensor]:
    """A few small tensors: 64*6 + 64*64 + 64 = 4544 parameters, mostly Q8_0."""
    return [
        Tensor("token_embd.weight", (64, 6), GGMLType.F32),
        Tensor("blk.0.attn_q.weight", (64, 64), GGMLType.Q8_0),
        Tensor("output_norm.weight", (64,), GGMLType.F32),
    ]


def tensor_nbytes(tensor: Tensor) -> int:
    """Bytes of a tensor's data, from its type and shape."""
    if tensor.data is not None:
        return len(tensor.data)
    block, size = BLOCKS[GGMLType(tensor.ggml_type)]
    count = 1
    for dim in tensor.shape:
        count *= dim
    return count // block * size


def build_gguf(
    metadata: Mapping[str, object] | Sequence[tuple[str, object]] | None = None,
    tensors: Sequence[Tensor] | None = None,
    *,
    magic: bytes = b"GGUF",
    version: int = 3,
    tensor_count: int | None = None,
    metadata_count: int | None = None,
) -> BuiltGGUF:
    """Assemble a GGUF file. ``None`` means the minimal valid model; pass ``{}``/``[]`` for
    none, or metadata as (key, value) pairs to repeat a key. The counts default to the real
    ones; the data section is aligned to ``general.alignment`` (default 32) like llama.cpp."""
    metadata = model_metadata() if metadata is None else metadata
    pairs = list(metadata.items() if isinstance(metadata, Mapping) else metadata)
    tensors = model_tensors() if tensors is None else tensors
    out = bytearray(magic)
    out += struct.pack("<IQQ", version,
                       len(tensors) if tensor_count is None else tensor_count,
                       len(pairs) if metadata_count is None else metadata_count)
    header_end = len(out)
    for key, value in pairs:
        out += _string(key) + _value(value)
    metadata_end = len(out)
    alignment = dict(pairs).get("general.alignment", 32)
    align = alignment.value if isinstance(alignment, Value) else alignment
    align = align if isinstance(align, int) and align > 0 else 32
    offsets, blob = _layout(tensors, align)
    for tensor, offset in zip(tensors, offsets, strict=True):
        out += _string(tensor.name) + struct.pack("<I", len(tensor.shape))
        out += struct.pack(f"<{len(tensor.shape)}q", *tensor.shape)
        out += struct.pack("<IQ", tensor.ggml_type,
                           offset if tensor.offset is None else tensor.offset)
    tensor_info_end = len(out)
    out += bytes(-len(out) % align)
    data_offset = len(out)
    return BuiltGGUF(bytes(out + blob), header_end, metadata_end, tensor_info_end, data_offset)


def corrupt(data: bytes, offset: int, replacement: bytes) -> bytes:
    """``data`` with the bytes at ``offset`` overwritten by ``replacement``."""
    return data[:offset] + replacement + data[offset + len(replacement):]


def _layout(tensors: Sequence[Tensor], align: int) -> tuple[list[int], bytes]:
    """Each tensor's offset in the data section, and the data section itself."""
    offsets: list[int] = []
    blob = bytearray()
    for tensor in tensors:
        blob += bytes(-len(blob) % align)
        offsets.append(len(blob))
        blob += tensor.data if tensor.data is not None else bytes(tensor_nbytes(tensor))
    return offsets, bytes(blob)


def _string(text: str, claimed_length: int | None = None) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw) if claimed_length is None else claimed_length) + raw


def _value(value: object) -> bytes:
    """Type id and encoded value."""
    if isinstance(value, Raw):
        return value.payload
    typed = value if isinstance(value, (Value, Array)) else _infer(value)
    if isinstance(typed, Array):
        count = len(typed.items) if typed.claimed_count is None else typed.claimed_count
        items = b"".join(_payload(Value(typed.item_type, item)) for item in typed.items)
        return struct.pack("<IIQ", ValueType.ARRAY, typed.item_type, count) + items
    return struct.pack("<I", typed.type) + _payload(typed)


def _payload(value: Value) -> bytes:
    if value.type == ValueType.STRING:
        return _string(str(value.value), value.claimed_length)
    if value.type == ValueType.ARRAY:  # a nested array: GGUF forbids it, tests need it
        return _value(value.value)[4:]
    return struct.pack("<" + _FORMATS[ValueType(value.type)], value.value)


def _infer(value: object) -> Value | Array:
    if isinstance(value, bool):
        return Value(ValueType.BOOL, value)
    if isinstance(value, int):
        if value < 0:
            return Value(ValueType.INT32 if value >= -(2**31) else ValueType.INT64, value)
        return Value(ValueType.UINT32 if value < 2**32 else ValueType.UINT64, value)
    if isinstance(value, float):
        return Value(ValueType.FLOAT32, value)
    if isinstance(value, str):
        return Value(ValueType.STRING, value)
    if isinstance(value, (list, tuple)) and value:
        first = _infer(value[0])
        return Array(first.type if isinstance(first, Value) else ValueType.ARRAY, list(value))
    raise TypeError(f"cannot infer a GGUF type for {value!r}; wrap it in Value or Array")
