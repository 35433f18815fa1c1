"""Rewrite string metadata of a real GGUF file (the starter model) and keep it loadable.

Only the head is rebuilt: the tensor list is copied as is (its offsets are relative to the
data section) and the padding before the data section is recomputed for ``general.alignment``
(32 unless the file says otherwise), so the tensor data stays aligned.
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

_STRING, _ARRAY, _UINT32 = 8, 9, 4
_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


@dataclass(frozen=True)
class Layout:
    """Where each section of a GGUF file starts and ends (byte offsets)."""

    version: int
    tensor_count: int
    entries: list[tuple[str, int, int]]  # key, start of the entry, end of the entry
    metadata_end: int
    tensor_info_end: int
    data_offset: int
    alignment: int


class _Cursor:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return int(value)

    def string(self) -> str:
        size = self.take("Q")
        self.pos += size
        return self.data[self.pos - size:self.pos].decode("utf-8", "replace")

    def skip_value(self, value_type: int) -> None:
        if value_type == _STRING:
            self.string()
        elif value_type == _ARRAY:
            item_type, count = self.take("I"), self.take("Q")
            if item_type == _STRING:
                for _ in range(count):
                    self.string()
            else:
                self.pos += _SCALAR_SIZES[item_type] * count
        else:
            self.pos += _SCALAR_SIZES[value_type]


def read_layout(path: Path, head_bytes: int = 16 * 1024 * 1024) -> Layout:
    with path.open("rb") as handle:
        data = handle.read(head_bytes)
    cur = _Cursor(data, 4)
    version, tensor_count, kv_count = cur.take("I"), cur.take("Q"), cur.take("Q")
    entries, alignment = [], 32
    for _ in range(kv_count):
        start = cur.pos
        key = cur.string()
        value_type = cur.take("I")
        if key == "general.alignment" and value_type == _UINT32:
            alignment = struct.unpack_from("<I", data, cur.pos)[0]
        cur.skip_value(value_type)
        entries.append((key, start, cur.pos))
    metadata_end = cur.pos
    for _ in range(tensor_count):
        cur.string()
        dims = cur.take("I")
        cur.pos += 8 * dims + 4 + 8
    info_end = cur.pos
    return Layout(version, tensor_count, entries, metadata_end, info_end,
                  info_end + (-info_end % alignment), alignment)


def _string_entry(key: str, value: str) -> bytes:
    raw_key, raw = key.encode(), value.encode()
    return (struct.pack("<Q", len(raw_key)) + raw_key + struct.pack("<IQ", _STRING, len(raw))
            + raw)


def rewrite_strings(source: Path, target: Path, changes: dict[str, str]) -> Path:
    """Copy ``source`` to ``target`` with the string metadata ``changes`` set (added when
    missing). The tensor data is streamed, never held in memory."""
    layout = read_layout(source)
    with source.open("rb") as src:
        head = src.read(layout.tensor_info_end)
        body = bytearray()
        seen = set()
        for key, start, end in layout.entries:
            if key in changes:
                body += _string_entry(key, changes[key])
                seen.add(key)
            else:
                body += head[start:end]
        for key in changes.keys() - seen:
            body += _string_entry(key, changes[key])
        count = len(layout.entries) + len(changes.keys() - seen)
        out = bytearray(head[:8] + struct.pack("<QQ", layout.tensor_count, count) + body)
        out += head[layout.metadata_end:layout.tensor_info_end]
        out += bytes(-len(out) % layout.alignment)
        src.seek(layout.data_offset)
        with target.open("wb") as dst:
            dst.write(out)
            shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
    return target
