"""The shapes local documents take on their way from a file to a cited passage.

A file is read into a ``ReadDocument`` (its title and located ``Section`` s), cut into
``Chunk`` s that keep their location, stored in a collection's index, and comes back from a
search as ranked ``Passage`` s. Indexing reports ``IndexProgress`` while it runs and an
``IndexReport`` at the end; files it could not read are listed as ``SkippedFile`` with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from openchat_desktop.core.errors import OpenChatError


class DocsError(OpenChatError):
    """A collection or its index could not be used (unknown name, damaged index, bad query)."""


class UnreadableFile(OpenChatError):
    """One file cannot be read; ``str(exc)`` is the reason shown beside its name."""


@dataclass(frozen=True)
class Section:
    """A run of text with where it sits in its file.

    ``page`` is 1-based (PDF), ``heading`` the heading path ("Install › Linux"), ``line`` the
    1-based line the text starts on (text, Markdown, code). Unknown parts are None.
    """

    text: str
    page: int | None = None
    heading: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class ReadDocument:
    """A file's readable text, in order, with its title (from the file, else its name)."""

    path: Path
    title: str
    sections: Sequence[Section]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document small enough for a prompt, with its location in the file."""

    ordinal: int
    text: str
    page: int | None = None
    heading: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Passage:
    """One search result: a chunk, the file it came from and how well it matched.

    ``score`` is higher for better matches (BM25 flipped in sign, or the fused RRF score).
    """

    chunk_id: int
    text: str
    path: Path
    title: str
    score: float
    page: int | None = None
    heading: str | None = None
    line: int | None = None

    def location(self) -> str:
        """Where the passage is, for a citation: "p. 4", "line 120", "Install › Linux"."""
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.heading:
            parts.append(self.heading)
        if self.line is not None and self.page is None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)


@dataclass(frozen=True)
class SkippedFile:
    """A file indexing left out, and why, in one human line."""

    path: Path
    reason: str


@dataclass(frozen=True)
class IndexProgress:
    """Where a running indexing job stands; sent after every file."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    elapsed_s: float
    current: Path | None = None

    @property
    def bytes_per_s(self) -> float:
        return self.bytes_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """Estimated from the bytes read so far; None until there is a rate."""
        rate = self.bytes_per_s
        if rate <= 0:
            return None
        return max(0.0, (self.bytes_total - self.bytes_done) / rate)


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    bytes_read: int = 0
    elapsed_s: float = 0.0
    cancelled: bool = False
    skipped: list[SkippedFile] = field(default_factory=list)


@dataclass(frozen=True)
class CollectionStats:
    """What a collection's index holds: files read, chunks, their bytes, the files left out
    with their reasons, when it was last fully indexed and which embedding model made its
    vectors (None: keyword search only)."""

    files: int = 0
    chunks: int = 0
    bytes: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    indexed_at: float | None = None
    embedding_model: str | None = None


class TextEmbedder(Protocol):
    """Turns texts into vectors of one fixed size (an embedding model on a worker)."""

    @property
    def model_id(self) -> str:
        """Names the model, so vectors of another model are never mixed in."""
        ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalised vector per text, in order."""
        ...


@dataclass(frozen=True)
class Source:
    """A numbered citation of a reply: the passage [number] in the prompt came from here.

    Saved with the reply (``to_dict``/``from_dict``), so citations survive a restart.
    """

    number: int
    path: Path
    title: str
    location: str
    text: str
    chunk_id: int = 0
    page: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"number": self.number, "path": str(self.path), "title": self.title,
                "location": self.location, "text": self.text, "chunk_id": self.chunk_id,
                "page": self.page}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Source:
        page = data.get("page")
        return cls(number=int(str(data["number"])), path=Path(str(data["path"])),
                   title=str(data.get("title", "")), location=str(data.get("location", "")),
                   text=str(data.get("text", "")), chunk_id=int(str(data.get("chunk_id", 0))),
                   page=int(str(page)) if page is not None else None)
