"""Defensive, low-level parsing of a GGUF file's header, metadata and tensor list.

Only the head of the file is read, through a buffer that grows on demand, so a multi-gigabyte
model costs a few megabytes of I/O. Every count and length the file claims is checked against
the bytes that remain *before* anything is allocated or looped over, big arrays (the
vocabulary, merges, scores) are skipped without building Python objects, and the tensor list
is checked the way llama.cpp checks it. Every problem raises ``ModelFileError`` with a
one-line reason; the caller appends the path.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from openchat_desktop.core.errors import ModelFileError
from openchat_desktop.core.gguf import tables

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HEADER = struct.Struct("<4sIQQ")
_SCALARS = {t: struct.Struct("<" + fmt) for t, (_, fmt) in tables.VALUE_TYPES.items() if fmt}
_FIRST_READ = 4 * 1024 * 1024  # enough for the whole head of most models in one read
_SMALL_ARRAY = 4096  # numeric arrays up to this length (per-layer head counts) are kept
# Real headers (vocabulary included) stay under ~20 MB; the cap stops a damaged count from
# walking gigabytes of weights as if they were strings.
_MAX_HEAD = 128 * 1024 * 1024
_MIN_KV_BYTES = 8 + 1 + 4 + 1  # key length, one key byte, value type, smallest value
_MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 4 + 8  # name length, one byte, n_dims, type, offset


@dataclass(frozen=True)
class ArrayRef:
    """A metadata array left in the file: element type, length and offset of its first item."""

    element_type: int
    count: int
    offset: int


MetaValue = int | float | str | tuple[int | float, ...] | ArrayRef


@dataclass(frozen=True)
class TensorInfo:
    """One entry of the tensor list; ``offset`` is relative to the start of the data section."""

    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int
    n_elements: int
    n_bytes: int


@dataclass(frozen=True)
class GGUFLayout:
    """Everything the header says, already validated."""

    version: int
    metadata: dict[str, MetaValue]
    tensors: tuple[TensorInfo, ...]
    alignment: int
    data_offset: int
    data_end: int


def quote(text: str, limit: int = 60) -> str:
    """``text`` in quotes, shortened and with control characters escaped: safe in one line."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _damaged(reason: str) -> ModelFileError:
    return ModelFileError(f"file is damaged: {reason}")


class GGUFReader:
    """Parses one open GGUF file; call ``parse()`` once, then ``array_string()`` as needed."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self.size = size
        self._data = bytearray()
        self._pos = 0
        self._section = "header"

    def parse(self) -> GGUFLayout:
        """Read and validate the header, the metadata and the tensor list."""
        version, n_tensors, n_kv = self._header()
        self._section = "metadata"
        self._claim(n_kv, _MIN_KV_BYTES, "metadata entries")
        metadata, types = self._metadata(n_kv)
        alignment = _alignment(metadata, types)
        self._section = "tensor list"
        self._claim(n_tensors, _MIN_TENSOR_INFO_BYTES, "tensors")
        seen: set[str] = set()
        tensors = tuple(self._tensor_info(seen) for _ in range(n_tensors))
        data_offset = -(-self._pos // alignment) * alignment
        data_end = data_offset + _data_size(tensors, alignment)
        if data_end > self.size:
            raise ModelFileError(
                f"file is truncated: the model weights need {data_end:,} bytes but the file "
                f"has only {self.size:,} (incomplete download?)"
            )
        return GGUFLayout(version, metadata, tensors, alignment, data_offset, data_end)

    def array_string(self, ref: ArrayRef, index: int) -> str | None:
        """Item ``index`` of a string array, found by walking the lengths before it."""
        if ref.element_type != tables.TYPE_STRING or not 0 <= index < ref.count:
            return None
        self._pos = ref.offset
        self._skip_strings(index)
        return self._string("string")

    # -- byte access -------------------------------------------------------------------------

    def _ensure(self, end: int) -> None:
        """Make the buffer cover bytes ``[0, end)``, reading more of the file when needed."""
        if end > self.size:
            raise ModelFileError(f"file is truncated (it ends inside the {self._section})")
        if end > _MAX_HEAD:
            raise _damaged(f"the {self._section} runs past {_MAX_HEAD // 2**20} MB")
        have = len(self._data)
        if end > have:
            want = min(self.size, max(end, 2 * have, _FIRST_READ))
            self._stream.seek(have)
            self._data += self._stream.read(want - have)
            if len(self._data) < end:  # the file shrank while we were reading it
                raise ModelFileError(f"file is truncated (it ends inside the {self._section})")

    def _unpack(self, fmt: struct.Struct) -> tuple[Any, ...]:
        self._ensure(self._pos + fmt.size)
        values = fmt.unpack_from(self._data, self._pos)
        self._pos += fmt.size
        return values

    def _u32(self) -> int:
        return int(self._unpack(_U32)[0])

    def _u64(self) -> int:
        return int(self._unpack(_U64)[0])

    def _claim(self, count: int, item_size: int, what: str) -> None:
        """Refuse a count whose smallest possible encoding is bigger than what is left."""
        left = self.size - self._pos
        if count * item_size > left:
            raise ModelFileError(
                f"file is damaged or truncated: it claims {count:,} {what}, "
                f"more than the {left:,} bytes left in the file can hold"
            )

    def _raw_string(self, what: str) -> bytes:
        length = self._u64()
        left = self.size - self._pos
        if length > left:
            raise ModelFileError(
                f"file is damaged or truncated: a {what} in the {self._section} claims "
                f"{length:,} bytes, more than the {left:,} bytes left"
            )
        self._ensure(self._pos + length)
        raw = bytes(self._data[self._pos:self._pos + length])
        self._pos += length
        return raw

    def _string(self, what: str) -> str:
        return self._raw_string(what).decode("utf-8", errors="replace")

    def _skip_strings(self, count: int) -> None:
        # The hot loop of the whole reader (tens of thousands of vocabulary entries): locals only.
        data, pos, unpack = self._data, self._pos, _U64.unpack_from
        for _ in range(count):
            if pos + 8 > len(data):
                self._ensure(pos + 8)
            pos += 8 + unpack(data, pos)[0]
        self._pos = pos
        self._ensure(pos)

    # -- structure ---------------------------------------------------------------------------

    def _header(self) -> tuple[int, int, int]:
        self._ensure(min(self.size, _HEADER.size))
        head = bytes(self._data[:64])
        if len(head) < len(tables.GGUF_MAGIC):
            raise ModelFileError(f"not a GGUF model file (only {len(head)} bytes long)")
        if not head.startswith(tables.GGUF_MAGIC):
            raise ModelFileError(f"not a GGUF model file (wrong magic bytes{_foreign(head)})")
        if self.size < _HEADER.size:
            raise ModelFileError("file is truncated (it ends inside the header)")
        _, version, n_tensors, n_kv = _HEADER.unpack_from(self._data)
        _check_version(version)
        self._pos = _HEADER.size
        return version, n_tensors, n_kv

    def _metadata(self, count: int) -> tuple[dict[str, MetaValue], dict[str, int]]:
        values: dict[str, MetaValue] = {}
        types: dict[str, int] = {}
        for _ in range(count):
            key = self._string("key")
            if not key:
                raise _damaged("a metadata key is empty")
            if key in values:
                raise _damaged(f"metadata key {quote(key)} appears twice")
            value_type = self._u32()
            values[key] = self._value(value_type, key)
            types[key] = value_type
        return values, types

    def _value(self, value_type: int, key: str) -> MetaValue:
        if value_type == tables.TYPE_STRING:
            return self._string("text value")
        if value_type == tables.TYPE_ARRAY:
            return self._array(key)
        scalar = _SCALARS.get(value_type)
        if scalar is None:
            raise _damaged(f"metadata key {quote(key)} has unknown value type {value_type}")
        value = self._unpack(scalar)[0]
        if value_type == tables.TYPE_BOOL:
            return value != 0
        return value

    def _array(self, key: str) -> MetaValue:
        element_type, count = self._u32(), self._u64()
        if element_type == tables.TYPE_ARRAY:
            raise _damaged(f"metadata key {quote(key)} is an array of arrays")
        scalar = _SCALARS.get(element_type)
        if scalar is None and element_type != tables.TYPE_STRING:
            raise _damaged(f"metadata key {quote(key)} has unknown item type {element_type}")
        self._claim(count, scalar.size if scalar else 8, f"items in array {quote(key)}")
        start = self._pos
        if scalar is None:
            self._skip_strings(count)
        elif count <= _SMALL_ARRAY:
            items = self._unpack(struct.Struct(f"<{count}{scalar.format[1:]}"))
            if element_type == tables.TYPE_BOOL:
                return tuple(item != 0 for item in items)
            return items
        else:
            self._pos += count * scalar.size  # _claim proved these bytes exist
        return ArrayRef(element_type, count, start)

    def _tensor_info(self, seen: set[str]) -> TensorInfo:
        raw_name = self._raw_string("tensor name")
        name = raw_name.decode("utf-8", errors="replace")
        if len(raw_name) > tables.MAX_TENSOR_NAME:
            raise _damaged(f"tensor name {quote(name)} is longer than 63 bytes")
        if name in seen:
            raise _damaged(f"tensor {quote(name)} appears twice")
        seen.add(name)
        n_dims = self._u32()
        if n_dims > tables.MAX_DIMS:
            raise _damaged(f"tensor {quote(name)} has {n_dims:,} dimensions (at most 4)")
        shape = self._unpack(struct.Struct(f"<{n_dims}q"))
        ggml_type, offset = self._u32(), self._u64()
        return _tensor(name, shape, ggml_type, offset)


def _check_version(version: int) -> None:
    if version in tables.SUPPORTED_VERSIONS:
        return
    if version == 1:
        raise ModelFileError(
            "GGUF version 1 is too old (only versions 2 and 3 are supported); "
            "download a newer conversion of this model"
        )
    if version != 0 and version & 0xFFFF == 0:
        raise ModelFileError("big-endian GGUF files are not supported")
    raise ModelFileError(
        f"unsupported GGUF version {version} (only versions 2 and 3 are supported)"
    )


def _foreign(head: bytes) -> str:
    """A hint at what a non-GGUF file is, starting with '; ', or '' when unsure."""
    text = head.lstrip().lower()
    if text.startswith(b"version https://git-lfs"):
        return "; it is a Git LFS pointer, not the model itself"
    if text.startswith((b"<!doctype", b"<html")):
        return "; it is a web page, so the download probably failed"
    if head[:4] == b"PK\x03\x04":
        return "; it is a zip archive, perhaps a PyTorch checkpoint"
    if len(head) >= 10 and head[8:10] == b'{"':
        return "; it looks like a safetensors file, which needs converting to GGUF"
    try:  # an incremental decoder accepts a character cut in half at the end of ``head``
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return ""
    is_text = head and all(c >= 32 or c in b"\t\r\n" for c in head)
    return "; it is a text file" if is_text else ""


def _alignment(metadata: dict[str, MetaValue], types: dict[str, int]) -> int:
    if "general.alignment" not in metadata:
        return tables.DEFAULT_ALIGNMENT
    value = metadata["general.alignment"]
    if types["general.alignment"] != tables.TYPE_UINT32 or not isinstance(value, int):
        raise _damaged("general.alignment is not a 32-bit unsigned number")
    if value <= 0 or value & (value - 1):
        raise _damaged(f"general.alignment {value:,} is not a power of two")
    return value


def _tensor(name: str, shape: tuple[int, ...], ggml_type: int, offset: int) -> TensorInfo:
    if any(d < 0 for d in shape):
        raise _damaged(f"tensor {quote(name)} has a negative dimension")
    n_elements = 1
    for d in shape:
        n_elements *= d
    if n_elements >= 2**63:
        raise _damaged(f"tensor {quote(name)} is impossibly large")
    if ggml_type in tables.REMOVED_GGML_TYPES:
        raise ModelFileError(
            f"tensor {quote(name)} uses type {tables.REMOVED_GGML_TYPES[ggml_type]}, which "
            "llama.cpp no longer supports; download a plain Q4_0 or K-quant version instead"
        )
    kind = tables.GGML_TYPES.get(ggml_type)
    if kind is None:
        raise ModelFileError(
            f"tensor {quote(name)} uses unknown data type {ggml_type} "
            "(the file is damaged or needs a newer app)"
        )
    row = shape[0] if shape else 1
    if row % kind.block_size:
        raise _damaged(
            f"tensor {quote(name)} rows of {row:,} values do not fill whole {kind.name} blocks"
        )
    n_bytes = n_elements // kind.block_size * kind.type_size
    return TensorInfo(name, shape, ggml_type, offset, n_elements, n_bytes)


def _data_size(tensors: tuple[TensorInfo, ...], alignment: int) -> int:
    """Bytes from the data section start to the end of the last tensor, checking that each
    tensor starts where the previous one (padded to the alignment) ended, as llama.cpp does."""
    expected = end = 0
    for tensor in tensors:
        if tensor.offset != expected:
            raise _damaged(
                f"tensor {quote(tensor.name)} data is at offset {tensor.offset:,}, "
                f"expected {expected:,}"
            )
        end = expected + tensor.n_bytes
        expected += -(-tensor.n_bytes // alignment) * alignment
    return end
