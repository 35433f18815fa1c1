"""Collections: the names users type, the list file, and the index each one owns."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from openchat_desktop.core.docs.collections import DocsLibrary, check_name
from openchat_desktop.core.docs.scan import scan_sources
from openchat_desktop.core.docs.types import DocsError
from openchat_desktop.core.paths import app_paths


@pytest.fixture
def library(tmp_path: Path) -> DocsLibrary:
    return DocsLibrary(tmp_path / "docs")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha", encoding="utf-8")
    return folder


def test_docs_dir_is_in_the_data_folder(openchat_home: Path) -> None:
    paths = app_paths()
    assert paths.docs_dir == paths.data_dir / "docs"


def test_create_get_list_and_remove(library: DocsLibrary, folder: Path) -> None:
    created = library.create("  Tax 2025 ", [folder])
    assert created.name == "Tax 2025"
    assert created.sources == (folder.resolve(),)
    assert library.get("tax 2025") == created
    assert [c.name for c in library.list()] == ["Tax 2025"]
    # Another library object on the same folder (the terminal beside the window) sees it.
    assert DocsLibrary(library.root).get("TAX 2025") == created

    index = library.index_file("Tax 2025")
    assert index.parent == library.root and index.name.startswith("tax-2025-")
    index.write_bytes(b"x")
    Path(f"{index}-wal").write_bytes(b"x")
    library.remove("tax 2025")
    assert library.list() == []
    assert not index.exists() and not Path(f"{index}-wal").exists()
    assert folder.joinpath("a.txt").exists()  # the user's files are never touched


def test_names_that_slug_alike_get_their_own_index(library: DocsLibrary, folder: Path) -> None:
    first = library.create("Tax 2025", [folder])
    second = library.create("tax-2025", [folder])
    assert library.index_file(first.name) != library.index_file(second.name)
    chinese = library.create("税务", [folder])
    assert library.index_file(chinese.name).name.startswith("collection-")


@pytest.mark.parametrize(("name", "message"), [
    ("", "needs a name"), ("   ", "needs a name"), ("x" * 65, "at most 64"),
    ("a/b", "cannot contain /"), ("a\\b", "cannot contain /"),
    ("tab\there", "control characters"), ("new\nline", "control characters"),
])
def test_bad_names_get_one_clear_line(library: DocsLibrary, folder: Path, name: str,
                                      message: str) -> None:
    with pytest.raises(DocsError, match=message):
        library.create(name, [folder])
    assert library.list() == []


def test_names_are_unique_ignoring_case(library: DocsLibrary, folder: Path) -> None:
    library.create("Papers", [folder])
    with pytest.raises(DocsError, match="already exists"):
        library.create(" PAPERS", [folder])
    assert check_name("x" * 64) == "x" * 64
    assert library.create("Papers 😀", [folder]).name == "Papers 😀"


def test_unknown_collection_names_the_known_ones(library: DocsLibrary, folder: Path) -> None:
    with pytest.raises(DocsError, match="none yet"):
        library.get("nope")
    library.create("Papers", [folder])
    with pytest.raises(DocsError, match=r"No collection named 'nope'.*Papers"):
        library.get("nope")
    with pytest.raises(DocsError):
        library.remove("nope")


def test_missing_source_is_refused(library: DocsLibrary, tmp_path: Path) -> None:
    with pytest.raises(DocsError, match="No such file or folder"):
        library.create("Gone", [tmp_path / "missing"])
    assert library.list() == []


def test_add_and_remove_sources(library: DocsLibrary, folder: Path, tmp_path: Path) -> None:
    library.create("Notes", [folder])
    extra = tmp_path / "extra.md"
    extra.write_text("# Extra", encoding="utf-8")
    updated = library.add_sources("notes", [extra, folder])
    assert updated.sources == (folder.resolve(), extra.resolve())
    assert library.get("Notes").sources == updated.sources
    assert library.remove_source("Notes", extra).sources == (folder.resolve(),)
    with pytest.raises(DocsError, match="does not contain"):
        library.remove_source("Notes", extra)


def test_damaged_list_is_reported_and_left_alone(library: DocsLibrary, folder: Path) -> None:
    library.create("Notes", [folder])
    library.list_file.write_text("{not json", encoding="utf-8")
    with pytest.raises(DocsError, match="damaged"):
        library.list()
    with pytest.raises(DocsError, match="damaged"):
        library.create("Other", [folder])
    assert library.list_file.read_text(encoding="utf-8") == "{not json"


def test_list_file_is_json_with_a_version(library: DocsLibrary, folder: Path) -> None:
    library.create("Notes", [folder])
    payload = json.loads(library.list_file.read_text(encoding="utf-8"))
    assert payload["version"] == 1
    assert payload["collections"][0]["sources"] == [str(folder.resolve())]


def test_scan_walks_folders_and_skips_hidden_ones(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for relative in ("a.txt", "sub/b.md", "sub/deeper/c.txt", ".git/config.txt",
                     "node_modules/x/readme.txt", "__pycache__/m.txt", "sub/.hidden.txt",
                     "sub/~$lock.txt", "image.png"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("text", encoding="utf-8")
    os.symlink(root, root / "sub" / "loop")  # a symlink loop is walked once
    single = tmp_path / "single.bin"
    single.write_bytes(b"\0")
    scan = scan_sources([root, single, tmp_path / "gone"], lambda p: p.suffix in {".txt", ".md"})
    found = sorted(str(f.path.relative_to(tmp_path)) for f in scan.files)
    assert found == ["root/a.txt", "root/sub/b.md", "root/sub/deeper/c.txt", "single.bin"]
    assert scan.missing == [tmp_path / "gone"]
    assert scan.files[0].size == 4 and scan.files[0].mtime_ns > 0


def test_a_source_whose_name_is_not_utf8_is_refused(library: DocsLibrary,
                                                    tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(raw)
    with pytest.raises(DocsError, match="not valid UTF-8"):
        library.create("Cafe", [os.fsdecode(raw)])
    assert library.list() == []
