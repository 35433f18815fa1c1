"""PDF files: the text layer of each page (pypdf), a section per page, the title from metadata.

There is no OCR: a PDF of scanned pages has no text layer and is skipped with that reason.
The file is read through an open handle, so pypdf pulls objects in as it needs them instead
of copying the whole file into memory.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from openchat_desktop.core.docs.limits import ReadLimits
from openchat_desktop.core.docs.types import ReadDocument, Section, UnreadableFile

log = logging.getLogger(__name__)

# Exporters put these in front of the real title.
_TITLE_PREFIXES = ("Microsoft Word - ", "Microsoft PowerPoint - ")
_NO_TITLES = frozenset({"", "untitled", "title", "document"})
# Dot leaders of a table of contents ("Install . . . . . 5") are noise to a search.
_LEADERS = re.compile(r"(?:\. ?){4,}")


def read_pdf_file(path: Path, limits: ReadLimits) -> ReadDocument:
    """Read the text of every page; raises UnreadableFile for an encrypted, damaged or
    scanned (text-less) PDF."""
    with path.open("rb") as handle:
        if not handle.read(1024).lstrip().startswith(b"%PDF"):
            raise UnreadableFile("damaged PDF: no PDF header")
        handle.seek(0)
        try:
            reader = PdfReader(handle, strict=False)
            _unlock(reader)
            count = len(reader.pages)
            title = _title(reader)
            sections = _pages(reader, count, limits)
        except UnreadableFile:
            raise
        except (FileNotDecryptedError, DependencyError):
            raise UnreadableFile("encrypted PDF") from None
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError,
                IndexError, AssertionError, RecursionError, ZeroDivisionError) as exc:
            # pypdf raises many kinds on broken files; each of them means "damaged".
            raise UnreadableFile(f"damaged PDF: {_reason(exc)}") from None
    if count == 0:
        raise UnreadableFile("empty PDF (no pages)")
    if not sections:
        raise UnreadableFile("no text layer (scanned pages?)")
    return ReadDocument(path=path, title=title or path.name, sections=sections)


def _unlock(reader: PdfReader) -> None:
    """Open a PDF that is encrypted with an empty user password (permissions only)."""
    if not reader.is_encrypted:
        return
    try:
        opened = bool(reader.decrypt(""))  # PasswordType.NOT_DECRYPTED is 0
    except (DependencyError, NotImplementedError, PdfReadError):
        opened = False
    if not opened:
        raise UnreadableFile("encrypted PDF")


def _pages(reader: PdfReader, count: int, limits: ReadLimits) -> list[Section]:
    """One section per page with text; a page that fails alone is left out."""
    sections: list[Section] = []
    total = 0
    for index in range(min(count, limits.max_pdf_pages)):
        try:
            text = reader.pages[index].extract_text() or ""
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                AssertionError, ZeroDivisionError, RecursionError) as exc:
            log.info("%s: page %d left out: %s", reader.stream, index + 1, exc)
            continue
        text = _LEADERS.sub(" … ", text.replace("\x00", ""))
        if text.strip():
            sections.append(Section(text=text[: limits.max_text_chars - total], page=index + 1))
            total += len(text)
        if total >= limits.max_text_chars:
            break
    return sections


def _title(reader: PdfReader) -> str:
    try:
        metadata = reader.metadata
        raw = metadata.title if metadata is not None else None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
        return ""
    title = " ".join(str(raw or "").split())
    for prefix in _TITLE_PREFIXES:
        title = title.removeprefix(prefix)
    return "" if title.lower() in _NO_TITLES else title


def _reason(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:160]
