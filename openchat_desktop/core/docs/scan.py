"""Finding the files of a collection: folders walked recursively, files taken as they are.

Hidden folders and files (".git", ".DS_Store"), dependency and cache folders and office lock
files are left out; a folder reached twice (a symlink loop, or two links to one folder) is
walked once. A folder that cannot be opened is reported, never fatal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from openchat_desktop.core.docs.types import SkippedFile

SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "__MACOSX", "site-packages"})


@dataclass(frozen=True)
class FoundFile:
    """A file to index, with the size and modification time seen by the walk."""

    path: Path
    size: int
    mtime_ns: int


@dataclass
class Scan:
    """What a walk found: the files, folders it could not open, sources that are gone."""

    files: list[FoundFile] = field(default_factory=list)
    problems: list[SkippedFile] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")  # ~$: Word's lock files


class _Walker:
    def __init__(self, accept: Callable[[Path], bool]) -> None:
        self.accept = accept
        self.scan = Scan()
        self._seen_files: set[str] = set()
        self._seen_dirs: set[tuple[int, int]] = set()

    def add_file(self, path: str, stat: os.stat_result) -> None:
        if not _utf8(path):
            # Undecodable bytes in a name (Linux) cannot be stored, shown or cited.
            shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            reason = "its name is not valid UTF-8; rename it to index it"
            self.scan.problems.append(SkippedFile(Path(shown), reason))
        elif path not in self._seen_files:
            self._seen_files.add(path)
            self.scan.files.append(FoundFile(Path(path), stat.st_size, stat.st_mtime_ns))

    def walk(self, top: str) -> None:
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                identity = os.stat(folder)
                key = (identity.st_dev, identity.st_ino)
                if key in self._seen_dirs:
                    continue
                self._seen_dirs.add(key)
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as exc:
                reason = f"folder cannot be opened: {exc.strerror or exc}"
                self.scan.problems.append(SkippedFile(Path(folder), reason))
                continue
            subfolders = self._visit(entries)
            stack.extend(reversed(subfolders))  # depth first, in name order

    def _visit(self, entries: list[os.DirEntry[str]]) -> list[str]:
        subfolders: list[str] = []
        for entry in entries:
            if _hidden(entry.name):
                continue
            try:
                if entry.is_dir():
                    if entry.name not in SKIPPED_FOLDERS:
                        subfolders.append(entry.path)
                elif entry.is_file() and self.accept(Path(entry.name)):
                    self.add_file(entry.path, entry.stat())
            except OSError:
                continue  # vanished or a broken link: nothing to index
        return subfolders


def scan_sources(sources: Iterable[Path], accept: Callable[[Path], bool]) -> Scan:
    """Walk ``sources``: in folders, files ``accept`` takes (by name); files named directly
    are taken whatever their type, so the reader can say why one cannot be indexed."""
    walker = _Walker(accept)
    for source in sources:
        try:
            stat = os.stat(source)
        except OSError:
            walker.scan.missing.append(source)
            continue
        if os.path.isdir(source):
            walker.walk(str(source))
        else:
            walker.add_file(str(source), stat)
    return walker.scan


def is_under(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path`` is one of ``roots`` or inside one of them."""
    return any(path == root or root in path.parents for root in roots)
