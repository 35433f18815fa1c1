"""SHA-256 on a second thread, so that hashing overlaps receiving and writing a download.

hashlib lets go of the GIL while it hashes a large buffer, so the downloading thread reads
the next block from the socket (and writes it to disk) while the hasher digests the previous
one. Blocks travel in a few reusable buffers: when the hasher falls behind, ``buffer()``
waits for one to come back, which bounds the memory to ``depth`` blocks and keeps the bytes
hashed exactly those written, in order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from queue import SimpleQueue
from typing import Protocol

BLOCK_SIZE = 1024 * 1024
DEPTH = 4
_FILE_BLOCK = 4 * 1024 * 1024


class Hasher(Protocol):
    """What the pipe needs of a ``hashlib`` object."""

    def update(self, data: memoryview, /) -> None:
        """Add ``data`` to the digest."""


class HashPipe:
    """Feeds blocks to ``hasher`` on its own thread; ``close`` drains and joins it.

    Used by one thread: ``relay`` a block (or ``buffer`` one, fill it, then ``submit`` it
    with its length, 0 to hand it back unused). After ``close`` the hasher has seen every
    submitted byte, and ``check`` raises what the hasher raised, if anything.
    """

    def __init__(self, hasher: Hasher, block_size: int = BLOCK_SIZE, depth: int = DEPTH) -> None:
        self._hasher = hasher
        self._free: SimpleQueue[bytearray] = SimpleQueue()
        self._work: SimpleQueue[tuple[bytearray, int] | None] = SimpleQueue()
        for _ in range(depth):
            self._free.put(bytearray(block_size))
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._digest, name="openchat-sha256",
                                        daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the hasher thread still runs."""
        return self._thread.is_alive()

    def buffer(self) -> bytearray:
        """A free block to read into; waits while every block is queued for hashing."""
        block = self._free.get()
        if self._error is not None:
            self._free.put(block)
            self.check()
        return block

    def relay(self, read: Callable[[memoryview], int],
              write: Callable[[memoryview], object]) -> int:
        """One block: ``read`` into a free buffer, ``write`` what came, queue it for hashing.

        Returns the bytes read (0: the end). A block whose write fails is not hashed.
        """
        block = self.buffer()
        count = read(memoryview(block))
        if count:
            write(memoryview(block)[:count])
        self.submit(block, count)
        return count

    def submit(self, block: bytearray, count: int) -> None:
        """Hash the first ``count`` bytes of ``block``, which then goes back to the pool."""
        self._work.put((block, count))

    def close(self) -> None:
        """Wait until every submitted block is hashed and the thread has ended."""
        if self._thread.is_alive():
            self._work.put(None)
            self._thread.join()

    def check(self) -> None:
        """Raise the hasher's exception, if it failed."""
        if self._error is not None:
            raise self._error

    def _digest(self) -> None:
        while (item := self._work.get()) is not None:
            block, count = item
            if count and self._error is None:
                try:
                    self._hasher.update(memoryview(block)[:count])
                except BaseException as exc:  # reported by check(); blocks keep flowing
                    self._error = exc
            self._free.put(block)


def hash_prefix(hasher: Hasher, path: Path, size: int) -> int:
    """Feed the first ``size`` bytes of ``path`` to ``hasher``; returns the bytes read."""
    done = 0
    if size:
        with path.open("rb") as handle:
            while block := handle.read(min(_FILE_BLOCK, size - done)):
                hasher.update(memoryview(block))
                done += len(block)
    return done
