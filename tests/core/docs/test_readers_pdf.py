"""PDF: the text layer page by page, the title, and the PDFs that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_files import make_damaged_pdf, make_pdf, make_scanned_pdf, make_sparse, pdf_bytes

from openchat_desktop.core.docs.limits import ReadLimits
from openchat_desktop.core.docs.readers import read_document
from openchat_desktop.core.docs.types import UnreadableFile


def unreadable(path: Path, limits: ReadLimits | None = None) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_document(path, limits)
    return str(caught.value)


def test_each_page_is_a_section_with_its_number(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "paper.pdf", [
        "Photosynthesis turns light into sugar.\nChlorophyll absorbs red light.",
        "",  # a blank page between
        "Mitochondria (the powerhouse) make ATP.",
    ], title="Cell Biology Notes")
    doc = read_document(path)
    assert doc.title == "Cell Biology Notes"
    assert [s.page for s in doc.sections] == [1, 3]
    first, third = (" ".join(s.text.split()) for s in doc.sections)
    assert first == "Photosynthesis turns light into sugar. Chlorophyll absorbs red light."
    assert third == "Mitochondria (the powerhouse) make ATP."


def test_title_falls_back_to_the_file_name(tmp_path: Path) -> None:
    assert read_document(make_pdf(tmp_path / "scan2.pdf", ["words"])).title == "scan2.pdf"
    word_export = make_pdf(tmp_path / "w.pdf", ["words"], title="Microsoft Word - Budget.docx")
    assert read_document(word_export).title == "Budget.docx"


def test_encrypted_pdf_is_skipped(tmp_path: Path) -> None:
    assert unreadable(make_pdf(tmp_path / "locked.pdf", ["secret"], encrypted=True)) == \
        "encrypted PDF"


def test_pdf_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "perm.pdf", ["open to read"], encrypted=True, password="")
    assert "open to read" in read_document(path).sections[0].text


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    assert unreadable(make_scanned_pdf(tmp_path / "scan.pdf")) == \
        "no text layer (scanned pages?)"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "not a pdf"])
def test_damaged_pdf(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "bad.pdf"
    if damage == "garbage":
        make_damaged_pdf(path)
    elif damage == "truncated":
        path.write_bytes(pdf_bytes(["some words here"])[:120])
    else:
        path.write_bytes(b"PK\x03\x04 a zip renamed to .pdf")
    assert unreadable(path).startswith("damaged PDF: ")


def test_large_pdf_is_refused_before_reading(tmp_path: Path) -> None:
    path = make_sparse(tmp_path / "big.pdf", 250_000_000)
    assert unreadable(path) == "too large: 250 MB (limit 200 MB)"


def test_text_taken_from_a_pdf_is_capped(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "long.pdf", [f"page {n} " + "word " * 50 for n in range(20)])
    doc = read_document(path, ReadLimits(max_text_chars=600))
    assert sum(len(s.text) for s in doc.sections) <= 600
    assert [s.page for s in doc.sections] == [1, 2, 3]


def test_contents_dot_leaders_are_shortened(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "toc.pdf", ["Contents\nInstalling . . . . . . . . . . 5"])
    assert " ".join(read_document(path).sections[0].text.split()) == "Contents Installing … 5"
