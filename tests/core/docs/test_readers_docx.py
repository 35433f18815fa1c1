"""DOCX: headings, tables and title, and the archives that are damaged or hostile."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docs_files import docx_document_xml, make_corrupt_docx, make_docx, make_zip_bomb_docx

from openchat_desktop.core.docs.limits import ReadLimits
from openchat_desktop.core.docs.read_docx import CappedReader
from openchat_desktop.core.docs.readers import read_document
from openchat_desktop.core.docs.types import UnreadableFile


def unreadable(path: Path, limits: ReadLimits | None = None) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_document(path, limits)
    return str(caught.value)


def test_headings_make_sections_with_paths(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "manual.docx", [
        (0, "Preface text."),
        (1, "Install"), (0, "Before you start."),
        (2, "Linux"), (0, "Use apt.\nOr dnf."),
        (2, "Windows"), (0, "Run setup.exe."),
        (1, "Use"), (0, "Open the app."),
    ], title="The Manual")
    doc = read_document(path)
    assert doc.title == "The Manual"
    assert [(s.heading, s.text) for s in doc.sections] == [
        (None, "Preface text."),
        ("Install", "Install\n\nBefore you start."),
        ("Install › Linux", "Linux\n\nUse apt.\nOr dnf."),
        ("Install › Windows", "Windows\n\nRun setup.exe."),
        ("Use", "Use\n\nOpen the app."),
    ]
    assert all(s.page is None and s.line is None for s in doc.sections)


def test_title_style_and_tables(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "prices.docx", [(-1, "Price List"), (1, "Fruit")],
                     tables=[[["Item", "Price"], ["Apple", "0.50"], ["Pear", ""]]])
    doc = read_document(path)
    assert doc.title == "prices.docx"  # no core properties: the file name
    assert doc.sections[-1].heading == "Price List › Fruit"
    assert doc.sections[-1].text.endswith("Item | Price\n\nApple | 0.50\n\nPear | ")


def test_localised_heading_styles_come_from_styles_xml(tmp_path: Path) -> None:
    xml = docx_document_xml([(0, "x")]).replace(
        "<w:p><w:r>",
        '<w:p><w:pPr><w:pStyle w:val="berschrift1"/></w:pPr><w:r><w:t>Kapitel</w:t></w:r></w:p>'
        "<w:p><w:r>", 1)
    path = make_docx(tmp_path / "de.docx", [], document_xml=xml)
    styles = ('<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
              'main"><w:style w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>'
              "</w:styles>")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/styles.xml", styles)
    assert [s.heading for s in read_document(path).sections] == ["Kapitel"]


def test_corrupt_docx(tmp_path: Path) -> None:
    assert unreadable(make_corrupt_docx(tmp_path / "cut.docx")) == \
        "damaged DOCX: not a zip archive"


def test_zip_without_a_document(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert unreadable(path) == "not a Word document: word/document.xml is missing"


def test_bad_xml(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "bad.docx", [], document_xml="<w:document><unclosed>")
    assert unreadable(path).startswith("damaged DOCX: bad XML")


def test_password_protected_docx(tmp_path: Path) -> None:
    path = tmp_path / "locked.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert unreadable(path) == "encrypted or old-format Word file (not a DOCX zip)"


def test_zip_bomb_by_declared_size(tmp_path: Path) -> None:
    path = make_zip_bomb_docx(tmp_path / "bomb.docx", unpacked_bytes=200_000_000)
    assert path.stat().st_size < 1_000_000
    assert unreadable(path) == \
        "zip bomb suspected: the text would unpack to 200 MB (limit 120 MB)"


def test_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    path = make_zip_bomb_docx(tmp_path / "bomb.docx", unpacked_bytes=20_000_000)
    assert unreadable(path).startswith("zip bomb suspected: compressed ")


def test_zip_bomb_lying_about_its_size(tmp_path: Path) -> None:
    path = make_zip_bomb_docx(tmp_path / "liar.docx", unpacked_bytes=20_000_000,
                              declared_bytes=5_000)
    assert unreadable(path) == "damaged DOCX: checksum mismatch in word/document.xml"


def test_capped_reader_stops_at_its_cap_whatever_the_header_said() -> None:
    reader = CappedReader(io.BytesIO(b"<a>" + b"x" * 5000 + b"</a>"), cap=1000)
    assert len(reader.read(600)) == 600
    with pytest.raises(Exception) as caught:
        while reader.read(600):
            pass
    assert type(caught.value).__name__ == "_TooLarge"


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    xml = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
           '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + docx_document_xml([(0, "&b;")]))
    path = make_docx(tmp_path / "laughs.docx", [], document_xml=xml)
    assert unreadable(path) == "unsafe DOCX: its XML declares entities"


def test_text_is_capped(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "long.docx", [(0, f"paragraph {n} " * 10) for n in range(100)])
    doc = read_document(path, ReadLimits(max_text_chars=500))
    assert 500 <= sum(len(s.text) for s in doc.sections) < 800
