"""Conversation states kept after the engine leaves them: the newest in memory, all on disk.

A *state* is the KV cache of one conversation's tokens (llama.cpp's sequence state bytes),
taken on the model's thread when the engine moves to another conversation, unloads or quits
(see ``kv_states``). ``StateCache`` keeps the most recent ones in memory within a budget and
writes those of saved conversations to its folder on a background thread, within a size cap,
evicting the least recently used. Coming back, the engine asks ``best_match`` for the state
sharing the longest token prefix with its prompt and ``take``s it.

Nothing here is trusted blindly: a file is used only when its header, tokens and payload
hashes all check out (``state_files``), and states are matched by exact tokens under a
fingerprint of the model, the llama.cpp build and the load settings. A file that fails any
check is removed. API requests carry no conversation id: their states stay in memory only.
Deleting a conversation (``forget_conversation``) removes its states and refuses new ones.

Thread-safe: the model thread parks and takes, the GUI thread forgets and clears, and one
short-lived writer thread writes; one lock guards the index.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openchat_desktop.core.llm import state_files
from openchat_desktop.core.llm.state_files import StateFileError

log = logging.getLogger(__name__)
DEFAULT_DISK_CAP = 2048 << 20
MEMORY_BUDGET_MAX = 512 << 20
ABANDONED_AFTER_S = 3600
MEMORY_SHARE = 16  # of the machine's memory, at most, for states kept in memory
Taken = tuple[tuple[int, ...], bytes | bytearray]  # a state's tokens and payload


@dataclass
class _Entry:
    name: str
    fingerprint: str
    conversation_id: int | None
    tokens: tuple[int, ...]
    size: int
    last_used: float
    payload: bytearray | bytes | None = None  # held in memory
    on_disk: bool = False


@dataclass(frozen=True)
class Match:
    """A kept state sharing ``length`` leading tokens with a prompt; it holds ``n_tokens``."""

    name: str
    length: int
    n_tokens: int


class StateCache:
    """Kept conversation states. ``folder`` None (or a cap of 0) keeps them in memory only."""

    def __init__(self, folder: Path | None, disk_cap_bytes: int = DEFAULT_DISK_CAP,
                 memory_budget_bytes: int | None = None) -> None:
        self.folder = folder
        self.disk_cap = max(0, disk_cap_bytes)
        # None: ``default_memory_budget()``, worked out at the first park (not at start-up).
        self.memory_budget = memory_budget_bytes
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._forgotten: set[int] = set()  # deleted conversations: never kept again
        self._stale: set[int] = set()  # edited ones: not kept until they are read again
        self._pending: deque[tuple[_Entry, bytearray | bytes, int]] = deque()
        self._writer: threading.Thread | None = None
        self._epoch = 0  # bumped by clear(): writes queued before it are dropped
        self._scanned = folder is None

    # -- the model thread ---------------------------------------------------------------------
    def park(self, fingerprint: str, tokens: Sequence[int], payload: bytearray | bytes,
             conversation_id: int | None) -> None:
        """Keep a state; the conversation's older state under the same fingerprint goes."""
        ids = tuple(tokens)
        name = state_files.file_name(state_files.tokens_digest(ids), fingerprint)
        entry = _Entry(name, fingerprint, conversation_id, ids, len(payload), time.time(),
                       payload)
        with self._lock:
            self._scan_locked()
            if conversation_id is not None and conversation_id in self._forgotten | self._stale:
                return
            for old in list(self._entries.values()):
                if conversation_id is not None and old.conversation_id == conversation_id \
                        and old.fingerprint == fingerprint:
                    self._drop_locked(old)
            self._drop_locked(self._entries.get(name))
            self._entries[name] = entry
            self._trim_memory_locked()
            if self._writes_to_disk(entry):
                self._pending.append((entry, payload, self._epoch))
                self._start_writer_locked()

    def best_match(self, fingerprint: str, tokens: Sequence[int]) -> Match | None:
        """The kept state sharing the most leading tokens with ``tokens``, or None."""
        prompt = list(tokens)
        best: Match | None = None
        with self._lock:
            self._scan_locked()
            for entry in self._entries.values():
                if entry.fingerprint != fingerprint:
                    continue
                length = _common_prefix(entry.tokens, prompt)
                if best is None or length > best.length:
                    best = Match(entry.name, length, len(entry.tokens))
        return best if best is not None and best.length > 0 else None

    def take(self, match: Match, fingerprint: str) -> Taken | None:
        """The tokens and verified payload of a matched state, or None when it is gone or
        failed a check (the file is then removed)."""
        with self._lock:
            entry = self._entries.get(match.name)
            if entry is None or entry.fingerprint != fingerprint:
                return None
            entry.last_used = time.time()
            if entry.payload is not None:
                return entry.tokens, entry.payload
        return self._read_from_disk(entry, fingerprint)

    def discard(self, name: str) -> None:
        """Remove a state that llama.cpp refused."""
        with self._lock:
            self._drop_locked(self._entries.get(name))

    # -- any thread ---------------------------------------------------------------------------
    def forget_conversation(self, conversation_id: int, for_good: bool = True) -> None:
        """Remove every state of a conversation. ``for_good`` (it was deleted) refuses any
        new one; otherwise (a message of it was deleted) the engine's live cache may still
        hold that message, so new states are refused until ``conversation_read``."""
        with self._lock:
            self._scan_locked()
            (self._forgotten if for_good else self._stale).add(conversation_id)
            for entry in list(self._entries.values()):
                if entry.conversation_id == conversation_id:
                    self._drop_locked(entry)

    def conversation_read(self, conversation_id: int | None) -> None:
        """The engine reads this conversation's prompt as it is now: from here on its cache
        holds nothing the conversation lacks, and its states may be kept again."""
        if conversation_id is not None:
            with self._lock:
                self._stale.discard(conversation_id)

    def clear(self) -> None:
        """Remove every kept state, in memory and on disk."""
        with self._lock:
            self._epoch += 1
            self._pending.clear()
            for entry in list(self._entries.values()):
                self._drop_locked(entry)
            if self.folder is not None and self.folder.is_dir():
                for path in self.folder.glob("*" + state_files.SUFFIX + "*"):
                    path.unlink(missing_ok=True)

    def set_disk_cap(self, cap_bytes: int) -> None:
        with self._lock:
            self.disk_cap = max(0, cap_bytes)
            self._trim_disk_locked(None)

    def disk_usage(self) -> int:
        """Bytes the state files take."""
        with self._lock:
            self._scan_locked()
            return sum(e.size for e in self._entries.values() if e.on_disk)

    def names(self, conversation_id: int | None = None) -> list[str]:
        """The kept states (of one conversation when given), for tests and diagnostics."""
        with self._lock:
            self._scan_locked()
            return [e.name for e in self._entries.values()
                    if conversation_id is None or e.conversation_id == conversation_id]

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until queued writes are on disk; False when ``timeout`` passed first."""
        writer = self._writer
        if writer is not None:
            writer.join(timeout)
        return not self._pending

    # -- internals ----------------------------------------------------------------------------
    def _writes_to_disk(self, entry: _Entry) -> bool:
        return (self.folder is not None and entry.conversation_id is not None
                and 0 < entry.size <= self.disk_cap)

    def _start_writer_locked(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            # Not a daemon: a state parked at quit is written before the process ends.
            self._writer = threading.Thread(target=self._write_pending, name="kv-state-writer")
            self._writer.start()

    def _write_pending(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._writer = None
                    return
                entry, payload, epoch = self._pending.popleft()
            self._write(entry, payload, epoch)

    def _write(self, entry: _Entry, payload: bytes | bytearray, epoch: int) -> None:
        assert self.folder is not None
        path = self.folder / entry.name
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            size = state_files.write_state(path, entry.fingerprint, entry.conversation_id,
                                           entry.tokens, payload)
        except OSError as exc:  # a full disk, a read-only folder: kept in memory only
            log.warning("conversation state not saved: %s", exc)
            return
        with self._lock:
            current = self._entries.get(entry.name) is entry and epoch == self._epoch
            if not current or entry.conversation_id in self._forgotten | self._stale:
                path.unlink(missing_ok=True)  # deleted, replaced or cleared meanwhile
                return
            entry.on_disk, entry.size = True, size
            self._trim_disk_locked(entry)

    def _read_from_disk(self, entry: _Entry, fingerprint: str) -> Taken | None:
        assert self.folder is not None
        path = self.folder / entry.name
        try:
            header = state_files.read_header(path)
            if header.fingerprint != fingerprint or header.tokens != entry.tokens:
                raise StateFileError("header differs from the index")
            payload = state_files.read_payload(path, header)
            os.utime(path)  # the least recently *used* state is evicted first
        except (OSError, StateFileError) as exc:
            log.warning("conversation state %s ignored and removed: %s", entry.name, exc)
            self.discard(entry.name)
            return None
        return header.tokens, payload

    def _scan_locked(self) -> None:
        """Index the folder's files once (at first use, not at start-up); remove bad ones."""
        if self._scanned or self.folder is None:
            return
        self._scanned = True
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.endswith(".tmp"):
                _remove_if_abandoned(path)
                continue
            if not path.name.endswith(state_files.SUFFIX):
                continue
            try:
                header = state_files.read_header(path)
                stat = path.stat()
            except (OSError, StateFileError) as exc:
                log.warning("conversation state %s removed: %s", path.name, exc)
                path.unlink(missing_ok=True)
                continue
            self._entries[path.name] = _Entry(
                path.name, header.fingerprint, header.conversation_id,
                header.tokens, stat.st_size, stat.st_mtime,
                on_disk=True)
        self._trim_disk_locked(None)

    def _drop_locked(self, entry: _Entry | None) -> None:
        if entry is None:
            return
        self._entries.pop(entry.name, None)
        self._pending = deque(p for p in self._pending if p[0] is not entry)
        if entry.on_disk and self.folder is not None:
            (self.folder / entry.name).unlink(missing_ok=True)

    def _trim_memory_locked(self) -> None:
        if self.memory_budget is None:
            self.memory_budget = default_memory_budget()
        held = sorted((e for e in self._entries.values() if e.payload is not None),
                      key=lambda e: e.last_used, reverse=True)
        total = 0
        for entry in held:
            total += entry.size
            if total > max(0, self.memory_budget):
                entry.payload = None
                if not entry.on_disk and not self._writes_to_disk(entry):
                    self._entries.pop(entry.name, None)

    def _trim_disk_locked(self, keep: _Entry | None) -> None:
        stored = sorted((e for e in self._entries.values() if e.on_disk),
                        key=lambda e: e.last_used, reverse=True)
        total = 0
        for entry in stored:
            total += entry.size
            if total > self.disk_cap and entry is not keep:
                assert self.folder is not None
                (self.folder / entry.name).unlink(missing_ok=True)
                entry.on_disk = False
                total -= entry.size
                if entry.payload is None:
                    self._entries.pop(entry.name, None)


def _remove_if_abandoned(path: Path) -> None:
    """Remove a temporary file left by a write cut off by a crash; a recent one may be
    another process's write in progress (an app quitting while the next one starts)."""
    try:
        if time.time() - path.stat().st_mtime > ABANDONED_AFTER_S:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def default_memory_budget() -> int:
    """512 MiB, or a sixteenth of the machine's memory when that is less (a 7B model's
    4,000-token state is 0.5 to 2 GB: on a small machine it goes to disk only)."""
    import psutil  # here: off the start-up path

    return min(MEMORY_BUDGET_MAX, int(psutil.virtual_memory().total) // MEMORY_SHARE)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    if len(a) <= len(b) and list(a) == b[: len(a)]:
        return len(a)  # the usual case, compared at C speed
    shared = 0
    for old, new in zip(a, b, strict=False):
        if old != new:
            break
        shared += 1
    return shared
