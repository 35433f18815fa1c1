"""The file format of a saved conversation state (its KV cache), and nothing else.

One file per state::

    b"OCKV" | version u16 | header length u32 | header (JSON) | tokens (int32 LE) | payload

The header names the fingerprint (model file, llama.cpp build, load settings: see
``kv_states.fingerprint``), the conversation it belongs to, the token count and a SHA-256 of
the tokens and of the payload (llama.cpp's sequence state bytes). A reader trusts nothing:
any mismatch, a short file or an unknown version raises ``StateFileError`` and the caller
removes the file. Writes go to a temporary file first and are renamed into place, so a crash
or a full disk leaves either the whole file or none.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"OCKV"
VERSION = 1
SUFFIX = ".kvstate"
_PREFIX = struct.Struct("<4sHI")  # magic, version, header length
_MAX_HEADER = 1 << 16
_READ_CHUNK = 8 << 20


class StateFileError(Exception):
    """A state file that cannot be trusted: short, corrupt, or of another format."""


@dataclass(frozen=True)
class StateHeader:
    """What a state file says about itself; ``tokens`` are the tokens its KV cache holds."""

    fingerprint: str
    conversation_id: int | None
    tokens: tuple[int, ...]
    tokens_sha256: str
    payload_size: int
    payload_sha256: str
    payload_offset: int


def tokens_digest(tokens: Sequence[int]) -> str:
    """SHA-256 over the exact token ids (int32, little-endian): the state's key."""
    return hashlib.sha256(_token_bytes(tokens)).hexdigest()


def _token_bytes(tokens: Sequence[int]) -> bytes:
    ids = array("i", tokens)  # numpy stays off the GUI's start-up path
    if sys.byteorder != "little":
        ids.byteswap()
    return ids.tobytes()


def _tokens_from(data: bytes) -> tuple[int, ...]:
    ids = array("i")
    ids.frombytes(data)
    if sys.byteorder != "little":
        ids.byteswap()
    return tuple(ids)


def file_name(tokens_sha256: str, fingerprint: str) -> str:
    """A state's file name: the token-prefix hash, made unique per model and settings."""
    return hashlib.sha256(f"{fingerprint}:{tokens_sha256}".encode()).hexdigest()[:40] + SUFFIX


def write_state(path: Path, fingerprint: str, conversation_id: int | None,
                tokens: Sequence[int], payload: bytes | bytearray) -> int:
    """Write one state atomically; returns the file's size. Raises ``OSError`` (full disk,
    no permission), leaving no partial file behind."""
    token_bytes = _token_bytes(tokens)
    header = json.dumps({
        "fingerprint": fingerprint, "conversation_id": conversation_id,
        "n_tokens": len(tokens), "tokens_sha256": hashlib.sha256(token_bytes).hexdigest(),
        "payload_size": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }).encode()
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(_PREFIX.pack(MAGIC, VERSION, len(header)))
            out.write(header)
            out.write(token_bytes)
            out.write(payload)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return _PREFIX.size + len(header) + len(token_bytes) + len(payload)


def read_header(path: Path) -> StateHeader:
    """The header and tokens of a state file, checked against each other and the file size.
    Raises ``StateFileError`` (or ``OSError`` when it cannot be read)."""
    size = path.stat().st_size
    with open(path, "rb") as source:
        prefix = source.read(_PREFIX.size)
        if len(prefix) != _PREFIX.size:
            raise StateFileError("short file")
        magic, version, header_size = _PREFIX.unpack(prefix)
        if magic != MAGIC or version != VERSION or header_size > _MAX_HEADER:
            raise StateFileError("not a state file of this version")
        try:
            fields = json.loads(source.read(header_size))
            n_tokens = int(fields["n_tokens"])
            payload_size = int(fields["payload_size"])
            token_bytes = source.read(4 * n_tokens)
        except (ValueError, KeyError, TypeError) as exc:
            raise StateFileError(f"bad header: {exc}") from None
    if len(token_bytes) != 4 * n_tokens or hashlib.sha256(token_bytes).hexdigest() != str(
            fields.get("tokens_sha256")):
        raise StateFileError("tokens do not match their hash")
    offset = _PREFIX.size + header_size + 4 * n_tokens
    if payload_size <= 0 or size != offset + payload_size:
        raise StateFileError("file size does not match its header")
    conversation = fields.get("conversation_id")
    return StateHeader(
        fingerprint=str(fields.get("fingerprint")),
        conversation_id=None if conversation is None else int(conversation),
        tokens=_tokens_from(token_bytes),
        tokens_sha256=str(fields["tokens_sha256"]), payload_size=payload_size,
        payload_sha256=str(fields.get("payload_sha256")), payload_offset=offset)


def read_payload(path: Path, header: StateHeader) -> bytearray:
    """The payload, verified against the header's size and SHA-256; raises
    ``StateFileError`` when the file changed or is corrupt."""
    payload = bytearray(header.payload_size)
    view = memoryview(payload)
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        source.seek(header.payload_offset)
        done = 0
        while done < header.payload_size:
            count = source.readinto(view[done : done + _READ_CHUNK])
            if not count:
                raise StateFileError("file ends early")
            digest.update(view[done : done + count])
            done += count
        if source.read(1):
            raise StateFileError("file is longer than its header says")
    if digest.hexdigest() != header.payload_sha256:
        raise StateFileError("payload does not match its hash")
    return payload
