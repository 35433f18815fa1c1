"""Word documents (DOCX): paragraphs, tables and headings from ``word/document.xml``.

A DOCX is a zip archive, so it can be a zip bomb: a few kilobytes that unpack to gigabytes.
The declared size and compression ratio are checked first, and the XML is then streamed
through a byte cap, because a zip header can lie. XML with entity declarations is refused
(entity expansion is the other way to blow up a parser).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from openchat_desktop.core.docs.headings import HeadingPath, clean_heading
from openchat_desktop.core.docs.limits import ReadLimits, size_text
from openchat_desktop.core.docs.types import ReadDocument, Section, UnreadableFile

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_DOCUMENT = "word/document.xml"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # password-protected DOCX and old .doc files
_HEADING_NAME = re.compile(r"^(?:heading|berschrift|titre|titolo|encabezado)\s*(\d)$", re.I)
_SMALL_PART = 8_000_000  # styles.xml and core.xml are tiny; more is not a real document


class _TooLarge(Exception):
    pass


class CappedReader:
    """A read-only stream that raises once more than ``cap`` bytes have been read from it,
    and refuses XML that declares entities, before a parser sees them."""

    def __init__(self, raw: IO[bytes], cap: int) -> None:
        self._raw = raw
        self._cap = cap
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        want = self._cap + 1 - self._read if size < 0 else min(size, self._cap + 1 - self._read)
        data = self._raw.read(max(0, want))
        if self._read == 0 and (b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]):
            raise UnreadableFile("unsafe DOCX: its XML declares entities")
        self._read += len(data)
        if self._read > self._cap:
            raise _TooLarge
        return data


def read_docx_file(path: Path, limits: ReadLimits) -> ReadDocument:
    """Read a DOCX file: a section per heading (Title, Heading 1–9), tables as rows."""
    with path.open("rb") as handle:
        if handle.read(4) == _OLE_MAGIC:
            raise UnreadableFile("encrypted or old-format Word file (not a DOCX zip)")
    try:
        with zipfile.ZipFile(path) as archive:
            info = _document_info(archive, limits)
            levels = _style_levels(archive)
            title = _core_title(archive)
            with archive.open(info) as raw:
                sections = list(_sections(CappedReader(raw, limits.max_xml_bytes), levels,
                                          limits.max_text_chars))
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(f"damaged DOCX: {_first_line(exc)}") from None
    except _TooLarge:
        raise UnreadableFile("zip bomb suspected: the text unpacks beyond "
                             f"{size_text(limits.max_xml_bytes)}") from None
    except ElementTree.ParseError as exc:
        raise UnreadableFile(f"damaged DOCX: bad XML ({exc})") from None
    except (EOFError, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise UnreadableFile(f"damaged DOCX: {_first_line(exc)}") from None
    return ReadDocument(path=path, title=title or path.name, sections=sections)


def _document_info(archive: zipfile.ZipFile, limits: ReadLimits) -> zipfile.ZipInfo:
    try:
        info = archive.getinfo(_DOCUMENT)
    except KeyError:
        raise UnreadableFile("not a Word document: word/document.xml is missing") from None
    if info.file_size > limits.max_xml_bytes:
        raise UnreadableFile(f"zip bomb suspected: the text would unpack to "
                             f"{size_text(info.file_size)} (limit "
                             f"{size_text(limits.max_xml_bytes)})")
    ratio = info.file_size / max(1, info.compress_size)
    if info.file_size > 1_000_000 and ratio > limits.max_compression_ratio:
        raise UnreadableFile(f"zip bomb suspected: compressed {ratio:.0f} to 1")
    return info


def _small_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    """A small XML part, or None when it is missing, oversized or damaged (not needed)."""
    try:
        info = archive.getinfo(name)
        if info.file_size > _SMALL_PART:
            return None
        with archive.open(info) as raw:
            data = CappedReader(raw, _SMALL_PART).read()
        return ElementTree.fromstring(data)
    except (KeyError, _TooLarge, UnreadableFile, ElementTree.ParseError, zipfile.BadZipFile):
        return None


def _style_levels(archive: zipfile.ZipFile) -> dict[str, int]:
    """Heading level per paragraph style id: Title 0, Heading 1–9 (by name or outline level),
    so that localised style ids still count."""
    levels: dict[str, int] = {"Title": 0, **{f"Heading{n}": n for n in range(1, 10)}}
    root = _small_part(archive, "word/styles.xml")
    for style in root.iter(f"{W}style") if root is not None else ():
        style_id = style.get(f"{W}styleId")
        name_el = style.find(f"{W}name")
        name = (name_el.get(f"{W}val") or "") if name_el is not None else ""
        outline = style.find(f"{W}pPr/{W}outlineLvl")
        match = _HEADING_NAME.match(name.strip())
        if not style_id:
            continue
        if name.strip().lower() == "title":
            levels[style_id] = 0
        elif match and match.group(1) != "0":
            levels[style_id] = int(match.group(1))
        elif outline is not None and (outline.get(f"{W}val") or "").isdigit():
            level = int(outline.get(f"{W}val") or "9") + 1
            if level <= 9:
                levels[style_id] = level
    return levels


def _core_title(archive: zipfile.ZipFile) -> str:
    root = _small_part(archive, "docProps/core.xml")
    element = root.find(_DC_TITLE) if root is not None else None
    return " ".join((element.text or "").split()) if element is not None else ""


def _sections(stream: CappedReader, levels: dict[str, int], max_chars: int) -> Iterator[Section]:
    """Stream the body: each paragraph is read and then dropped from the tree, so memory holds
    one paragraph at a time however long the document."""
    body = _Body(levels)
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            body.start(element)
            continue
        section = body.end(element)
        if section is not None:
            yield section
        if body.total >= max_chars:
            break
    section = body.flush()
    if section is not None:
        yield section


class _Body:
    """The state of the body being streamed: heading path, open section, open table row."""

    def __init__(self, levels: dict[str, int]) -> None:
        self.levels = levels
        self.path = HeadingPath()
        self.heading: str | None = None
        self.parts: list[str] = []
        self.cell: list[str] = []
        self.row: list[str] = []
        self.tables = 0
        self.total = 0
        self._root: ElementTree.Element | None = None

    def start(self, element: ElementTree.Element) -> None:
        if element.tag == f"{W}body":
            self._root = element
        elif element.tag == f"{W}tbl":
            self.tables += 1

    def end(self, element: ElementTree.Element) -> Section | None:
        """Take a finished element; returns the section a heading paragraph closes."""
        done = None
        if element.tag == f"{W}p":
            text = _paragraph_text(element)
            if text.strip():
                self.total += len(text)
                if self.tables:
                    self.cell.append(text)
                else:
                    done = self._paragraph(text, _paragraph_level(element, self.levels))
        elif element.tag == f"{W}tc":
            self.row.append(" ".join(" ".join(self.cell).split()))
            self.cell = []
        elif element.tag == f"{W}tr":
            if any(self.row):
                self.parts.append(" | ".join(self.row))
            self.row = []
        elif element.tag == f"{W}tbl":
            self.tables = max(0, self.tables - 1)
        else:
            return None
        if self._root is not None:  # every finished child is read: drop it from the tree
            self._root.clear()
        return done

    def _paragraph(self, text: str, level: int | None) -> Section | None:
        if level is None:
            self.parts.append(text)
            return None
        done = self.flush()
        self.heading = self.path.enter(level, clean_heading(text))
        self.parts = [text]
        return done

    def flush(self) -> Section | None:
        if not self.parts:
            return None
        section = Section(text="\n\n".join(self.parts), heading=self.heading)
        self.parts = []
        return section


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    pieces: list[str] = []
    for node in paragraph.iter():
        if node.tag == f"{W}t" and node.text:
            pieces.append(node.text)
        elif node.tag == f"{W}tab":
            pieces.append("\t")
        elif node.tag in (f"{W}br", f"{W}cr"):
            pieces.append("\n")
    return "".join(pieces)


def _paragraph_level(paragraph: ElementTree.Element, levels: dict[str, int]) -> int | None:
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    if style is not None and (style_id := style.get(f"{W}val")) in levels:
        return levels[style_id]
    outline = paragraph.find(f"{W}pPr/{W}outlineLvl")
    value = outline.get(f"{W}val") if outline is not None else None
    return int(value) + 1 if value is not None and value.isdigit() and int(value) < 9 else None


def _first_line(exc: BaseException) -> str:
    """The gist of a zip error: "not a zip archive", "checksum mismatch in word/document.xml"."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if "not a zip file" in text:
        return "not a zip archive"
    if text.startswith("Bad CRC-32"):
        return "checksum mismatch in " + text.rsplit(" ", 1)[-1].strip("'")
    return (text[:1].lower() + text[1:])[:160]
