"""Named collections of folders and files, and where each one's index lives.

The list is one small JSON file (``collections.json``) written atomically; each collection's
index is its own SQLite file named after a slug of the name plus a short random id, so two
names that slug alike ("Tax 2025", "tax-2025") never share a file and removing one deletes
exactly its own index.
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openchat_desktop.core.docs.types import DocsError
from openchat_desktop.core.files import write_json_atomically

LIST_FILE = "collections.json"
INDEX_SUFFIX = ".sqlite3"
MAX_NAME_CHARS = 64
_LIST_VERSION = 1
# Control characters, surrogates, line and paragraph separators: nothing a name can show.
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


@dataclass(frozen=True)
class Collection:
    """A named set of folders and files indexed together; ``file_stem`` names its index."""

    name: str
    sources: tuple[Path, ...]
    created_at: float
    file_stem: str = ""


CollectionList = list[Collection]  # DocsLibrary.list hides the builtin inside the class

def check_name(name: str) -> str:
    """The trimmed name, or DocsError saying in one line what is wrong with it."""
    trimmed = name.strip()
    if not trimmed:
        raise DocsError("A collection needs a name.")
    if len(trimmed) > MAX_NAME_CHARS:
        raise DocsError(f"A collection name has at most {MAX_NAME_CHARS} characters.")
    if "/" in trimmed or "\\" in trimmed:
        raise DocsError(f"A collection name cannot contain / or \\: {trimmed!r}")
    if any(unicodedata.category(char) in _BAD_CATEGORIES for char in trimmed):
        raise DocsError(f"A collection name cannot contain control characters: {trimmed!r}")
    return trimmed


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:32].strip("-")
    return slug or "collection"


def _check_sources(paths: Iterable[Path | str]) -> list[Path]:
    """Absolute paths of existing files and folders; DocsError naming the first missing one."""
    checked: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        try:
            path = path.resolve()
            exists = path.exists()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on old Pythons
            raise DocsError(f"Cannot use {raw}: {exc}") from exc
        if not exists:
            raise DocsError(f"No such file or folder: {raw}")
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError as exc:
            shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise DocsError(f"The name of {shown} is not valid UTF-8; rename it to add "
                            f"it.") from exc
        if path not in checked:
            checked.append(path)
    return checked


class DocsLibrary:
    """The collections kept under ``root`` (the app's docs folder).

    Every call reads the list afresh, so a terminal command and the window see each other's
    changes; writes are serialised by a lock and replace the file atomically.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()

    @property
    def list_file(self) -> Path:
        return self.root / LIST_FILE

    def list(self) -> CollectionList:
        """Every collection, in the order they were created."""
        with self._lock:
            return self._load()

    def get(self, name: str) -> Collection:
        """The collection called ``name`` (any case); DocsError when there is none."""
        key = name.strip().casefold()
        collections = self.list()
        for collection in collections:
            if collection.name.casefold() == key:
                return collection
        known = ", ".join(c.name for c in collections) or "none yet"
        raise DocsError(f"No collection named '{name.strip()}' (collections: {known}).")

    def create(self, name: str, sources: Iterable[Path | str]) -> Collection:
        """Add a collection of existing files and folders; its index is made by indexing."""
        clean = check_name(name)
        paths = _check_sources(sources)
        with self._lock:
            collections = self._load()
            if any(c.name.casefold() == clean.casefold() for c in collections):
                raise DocsError(f"A collection named '{clean}' already exists.")
            stem = f"{_slug(clean)}-{uuid.uuid4().hex[:8]}"
            collection = Collection(clean, tuple(paths), time.time(), stem)
            self._save([*collections, collection])
            return collection

    def remove(self, name: str) -> None:
        """Forget the collection and delete its index (the user's files are left alone)."""
        with self._lock:
            collection = self.get(name)
            index = self.index_file(collection.name, collection)
            try:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{index}{suffix}").unlink(missing_ok=True)
            except OSError as exc:  # e.g. Windows, while another program has it open
                raise DocsError(f"Cannot delete the index of '{collection.name}': "
                                f"{exc.strerror or exc}") from exc
            self._save([c for c in self._load() if c.name != collection.name])

    def add_sources(self, name: str, paths: Iterable[Path | str]) -> Collection:
        """Add files or folders to a collection; they are read on its next indexing."""
        new = _check_sources(paths)
        with self._lock:
            collection = self.get(name)
            sources = list(collection.sources) + [p for p in new if p not in collection.sources]
            return self._replace(collection, sources)

    def remove_source(self, name: str, path: Path | str) -> Collection:
        """Take a file or folder out of a collection; its passages go on the next indexing."""
        with self._lock:
            collection = self.get(name)
            target = Path(path).expanduser()
            matches = {target, target.absolute(), target.resolve()}
            kept = [s for s in collection.sources if s not in matches]
            if len(kept) == len(collection.sources):
                raise DocsError(f"'{collection.name}' does not contain {path}.")
            return self._replace(collection, kept)

    def index_file(self, name: str, collection: Collection | None = None) -> Path:
        """The SQLite file that holds the collection's index (it may not exist yet)."""
        found = collection or self.get(name)
        return self.root / f"{found.file_stem}{INDEX_SUFFIX}"

    def _replace(self, collection: Collection, sources: Sequence[Path]) -> Collection:
        updated = replace(collection, sources=tuple(sources))
        self._save([updated if c.name == collection.name else c for c in self._load()])
        return updated

    def _load(self) -> CollectionList:
        try:
            raw = self.list_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise DocsError(f"Cannot read the collections list {self.list_file}: "
                            f"{exc.strerror or exc}") from exc
        try:
            return [_from_json(item) for item in json.loads(raw)["collections"]]
        except (ValueError, KeyError, TypeError, DocsError) as exc:
            # Left as it is, so nothing the user had is overwritten by an empty list.
            raise DocsError(f"The collections list {self.list_file} is damaged; fix or "
                            f"delete it.") from exc

    def _save(self, collections: CollectionList) -> None:
        payload = {"version": _LIST_VERSION,
                   "collections": [_to_json(c) for c in collections]}
        try:
            write_json_atomically(self.list_file, payload, indent=1, ensure_ascii=False)
        except OSError as exc:
            raise DocsError(f"Cannot save the collections list {self.list_file}: "
                            f"{exc.strerror or exc}") from exc


def _to_json(collection: Collection) -> dict[str, Any]:
    return {"name": collection.name, "sources": [str(s) for s in collection.sources],
            "created_at": collection.created_at, "file": collection.file_stem}


def _from_json(item: dict[str, Any]) -> Collection:
    stem = str(item["file"])
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise ValueError(f"bad index file name {stem!r}")
    return Collection(check_name(str(item["name"])), tuple(Path(s) for s in item["sources"]),
                      float(item["created_at"]), stem)
