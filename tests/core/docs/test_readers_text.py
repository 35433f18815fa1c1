"""Plain text, Markdown, reST and source code: encodings, binary files, headings and lines,
and the failures every reader shares (size, type, vanished or locked files)."""

from __future__ import annotations

import errno
import os
import tracemalloc
from pathlib import Path

import pytest
from docs_files import make_binary, make_sparse

from openchat_desktop.core.docs import read_text
from openchat_desktop.core.docs.limits import ReadLimits
from openchat_desktop.core.docs.readers import SUPPORTED_SUFFIXES, is_supported, read_document
from openchat_desktop.core.docs.types import UnreadableFile


def unreadable(path: Path, limits: ReadLimits | None = None) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_document(path, limits)
    return str(caught.value)


@pytest.mark.parametrize(("name", "expected"), [
    ("notes.txt", True), ("README.MD", True), ("main.py", True), ("lib.rs", True),
    ("page.html", True), ("paper.pdf", True), ("report.docx", True), ("conf.yaml", True),
    ("Makefile", True), ("photo.jpg", False), ("archive.zip", False), ("old.doc", False),
])
def test_supported_by_suffix(name: str, expected: bool) -> None:
    assert is_supported(Path(name)) is expected
    assert all(s.startswith(".") and s == s.lower() for s in SUPPORTED_SUFFIXES)


def test_plain_text_is_one_section_from_line_one(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("first line\nsecond line\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "notes.txt"
    assert [(s.text, s.line, s.page, s.heading) for s in doc.sections] == [
        ("first line\nsecond line\n", 1, None, None)]


def test_source_code_keeps_its_text(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text("def main() -> None:\n    print('hi')\n", encoding="utf-8")
    assert "print('hi')" in read_document(path).sections[0].text


@pytest.mark.parametrize(("raw", "text"), [
    ("naïve café".encode(), "naïve café"),
    (b"\xef\xbb\xbf" + "BOM ü".encode(), "BOM ü"),
    (b"\xff\xfe" + "little ünï".encode("utf-16-le"), "little ünï"),
    (b"\xfe\xff" + "big ünï".encode("utf-16-be"), "big ünï"),
    (b"\xff\xfe\x00\x00" + "wide ü".encode("utf-32-le"), "wide ü"),
    ("Windows – “quotes” café".encode("cp1252"), "Windows – “quotes” café"),
    (b"latin \x81\x8d byte", "latin \x81\x8d byte"),  # not cp1252 either: Latin-1 takes all
    ("déjà vu, naïve café ".encode() * 3 + b"\xff cut", "déjà vu, naïve café " * 3 + "\ufffd cut"),
])
def test_encodings_are_detected(tmp_path: Path, raw: bytes, text: str) -> None:
    path = tmp_path / "enc.txt"
    path.write_bytes(raw)
    assert read_document(path).sections[0].text == text


def test_a_file_that_breaks_its_own_byte_order_mark_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    path.write_bytes(b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xd8\x41\x00")  # lone surrogate
    assert unreadable(path) == "bad encoding: not valid UTF-16"


def test_binary_file_is_refused_whatever_its_name(tmp_path: Path) -> None:
    assert unreadable(make_binary(tmp_path / "data.txt")) == "binary file"


def test_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "song.XYZ"
    path.write_bytes(b"x")
    assert unreadable(path) == "unsupported file type .xyz"
    assert unreadable(tmp_path / "noext") == "unsupported file type (no extension)"


def test_too_large_is_refused_without_reading(tmp_path: Path) -> None:
    path = make_sparse(tmp_path / "huge.log", 2_000_000_000)
    assert unreadable(path) == "too large: 2.0 GB (limit 64 MB)"


def test_text_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    path.write_text("0123456789\n" * 1000, encoding="utf-8")
    doc = read_document(path, ReadLimits(max_text_chars=55))
    assert doc.sections[0].text == ("0123456789\n" * 5)


def test_missing_and_locked_files(tmp_path: Path) -> None:
    assert unreadable(tmp_path / "gone.txt") == "file vanished"
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert unreadable(folder) == "not a regular file"
    locked = tmp_path / "locked.txt"
    locked.write_text("secret", encoding="utf-8")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as a user who can read any file")
        assert unreadable(locked) == "permission denied"
    finally:
        locked.chmod(0o600)


def test_empty_file_has_no_sections(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("  \n\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.sections == [] and doc.title == "empty.md"


MARKDOWN = """\
---
title: front matter
---
Intro before any heading.

# Guide

Welcome.

## Install ##

```sh
# a comment, not a heading
pip install thing
```

### Linux
Use the package manager.

Windows
-------
Run the installer.

# Second
Last words.
"""


def test_markdown_headings_build_paths_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "Guide"
    got = [(s.heading, s.line, s.text.splitlines()[0]) for s in doc.sections]
    assert got == [
        (None, 1, "---"),
        ("Guide", 6, "# Guide"),
        ("Guide › Install", 10, "## Install ##"),
        ("Guide › Install › Linux", 17, "### Linux"),
        ("Guide › Windows", 20, "Windows"),
        ("Second", 24, "# Second"),
    ]
    lines = MARKDOWN.splitlines()
    for section in doc.sections:  # each section's first line is where it says
        assert lines[(section.line or 0) - 1] == section.text.splitlines()[0]


def test_rst_headings_follow_the_order_styles_appear(tmp_path: Path) -> None:
    path = tmp_path / "intro.rst.txt"  # how Sphinx ships its sources
    path.write_text("=====\nTitle\n=====\n\nText.\n\nPart\n----\n\nMore.\n\nDeep\n~~~~\nx\n\n"
                    "Next part\n---------\ny\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "Title"
    assert [(s.heading, s.line) for s in doc.sections] == [
        ("Title", 1), ("Title › Part", 7), ("Title › Part › Deep", 12),
        ("Title › Next part", 16)]


@pytest.mark.parametrize(("error", "reason"), [
    (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    (FileNotFoundError(errno.ENOENT, "No such file"), "file vanished"),
    (OSError(errno.EIO, "Input/output error"), "read error (disk or network problem)"),
    (OSError(errno.ENOSPC, "No space left"), "cannot read: No space left"),
    (ValueError("parser fell over"), "could not read: ValueError: parser fell over"),
])
def test_any_failure_while_reading_becomes_one_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, reason: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("text", encoding="utf-8")

    def fail(*_args: object, **_kwargs: object) -> str:
        raise error

    monkeypatch.setattr(read_text, "decode_file", fail)
    assert unreadable(path) == reason


def test_a_large_file_costs_the_text_cap_not_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    with path.open("w", encoding="utf-8") as handle:
        for n in range(400_000):
            handle.write(f"2024-01-01 12:00:{n % 60:02d} INFO request {n} served in 3 ms\n")
    assert path.stat().st_size > 20_000_000
    tracemalloc.start()
    try:
        doc = read_document(path, ReadLimits(max_text_chars=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(doc.sections[0].text) == 1_000_000
    assert peak < 8_000_000  # the cap and one read block, not the 20 MB file
