"""Sample document files for tests: real PDFs, DOCX archives, HTML pages and bad files.

Any test may import these builders (``from docs_files import make_pdf``); they write real
files that other programs open too, not mocks: the PDF is assembled object by object with a
Helvetica text layer, the DOCX is a zip archive of WordprocessingML.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _pdf_string(text: str) -> str:
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return "(" + latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_bytes(pages: Sequence[str], title: str | None = None) -> bytes:
    """A valid PDF with one page per text (lines split at newlines); an empty text makes a
    page with no text layer."""
    objects: list[bytes] = []
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>")
    for index, text in enumerate(pages):
        lines = [_pdf_string(line) + " Tj T*" for line in text.split("\n")] if text else []
        stream = ("BT /F1 11 Tf 14 TL 50 780 Td " + " ".join(lines) + " ET").encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * index} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream
                       + b"\nendstream")
    info = ""
    if title is not None:
        objects.append(f"<< /Title {_pdf_string(title)} >>".encode("latin-1"))
        info = f" /Info {len(objects)} 0 R"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\n"
              f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_pdf(path: Path, pages: Sequence[str], encrypted: bool = False,
             title: str | None = None, password: str = "secret") -> Path:
    """Write a PDF with a text layer; ``encrypted`` locks it with a user password (RC4, so
    no crypto library is needed), ``password=""`` locks only its permissions."""
    data = pdf_bytes(pages, title)
    if encrypted:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        data = buffer.getvalue()
    path.write_bytes(data)
    return path


def make_scanned_pdf(path: Path, page_count: int = 2) -> Path:
    """A PDF whose pages have no text layer, like scanned images."""
    return make_pdf(path, [""] * page_count)


def make_damaged_pdf(path: Path) -> Path:
    """A PDF header followed by garbage: no objects, no cross-reference table."""
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    return path


def _docx_paragraph(level: int, text: str) -> str:
    style = ("<w:pPr><w:pStyle w:val=\"Title\"/></w:pPr>" if level < 0 else
             f"<w:pPr><w:pStyle w:val=\"Heading{level}\"/></w:pPr>" if level else "")
    runs = "<w:r><w:br/></w:r>".join(
        f"<w:r><w:t xml:space=\"preserve\">{escape(line)}</w:t></w:r>"
        for line in text.split("\n"))
    return f"<w:p>{style}{runs}</w:p>"


def docx_document_xml(paragraphs: Sequence[tuple[int, str]],
                      tables: Sequence[Sequence[Sequence[str]]] = ()) -> str:
    """WordprocessingML for ``(level, text)`` paragraphs: level 0 is body text, 1–9 a
    Heading style, -1 the Title style; each table (rows of cells) follows them."""
    body = "".join(_docx_paragraph(level, text) for level, text in paragraphs)
    for table in tables:
        rows = "".join("<w:tr>" + "".join(f"<w:tc>{_docx_paragraph(0, cell)}</w:tc>"
                                          for cell in row) + "</w:tr>" for row in table)
        body += f"<w:tbl>{rows}</w:tbl>"
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
            f"<w:document xmlns:w=\"{_W_NS}\"><w:body>{body}</w:body></w:document>")


def make_docx(path: Path, paragraphs: Sequence[tuple[int, str]], title: str | None = None,
              tables: Sequence[Sequence[Sequence[str]]] = (),
              document_xml: str | None = None) -> Path:
    """Write a DOCX; see ``docx_document_xml`` for ``paragraphs`` and ``tables``."""
    xml = document_xml if document_xml is not None else docx_document_xml(paragraphs, tables)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("word/document.xml", xml)
        if title is not None:
            archive.writestr("docProps/core.xml", _CORE.format(title=escape(title)))
    return path


def make_zip_bomb_docx(path: Path, unpacked_bytes: int = 200_000_000,
                       declared_bytes: int | None = None) -> Path:
    """A DOCX of a few hundred kilobytes whose document.xml unpacks to ``unpacked_bytes``.

    The deflate stream is one compressed megabyte repeated (a full flush between blocks makes
    each compress alike), so a bomb of any size is written in a moment. ``declared_bytes``
    makes the zip headers lie about the unpacked size, as a hostile file may."""
    prefix = f"<w:document xmlns:w=\"{_W_NS}\"><w:body><w:p><w:r><w:t>".encode()
    suffix = b"</w:t></w:r></w:p></w:body></w:document>"
    block = b"A" * 1_000_000
    count = max(1, -(-(unpacked_bytes - len(prefix) - len(suffix)) // len(block)))
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    body = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(suffix) + packer.flush()
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + count * len(block) + len(suffix)
    member = _ZipMember("word/document.xml", head + body * count + tail, crc,
                        declared_bytes if declared_bytes is not None else size)
    path.write_bytes(_zip_archive([member]))
    return path


@dataclass(frozen=True)
class _ZipMember:
    name: str
    deflated: bytes
    crc: int
    size: int


def _zip_archive(members: Sequence[_ZipMember]) -> bytes:
    """A zip archive of already deflated members, header fields written as given."""
    out = io.BytesIO()
    directory = io.BytesIO()
    for member in members:
        name = member.name.encode()
        offset = out.tell()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, member.crc,
                             len(member.deflated), member.size)
        out.write(b"PK\x03\x04" + fields + struct.pack("<HH", len(name), 0) + name)
        out.write(member.deflated)
        directory.write(b"PK\x01\x02" + struct.pack("<H", 20) + fields
                        + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, offset) + name)
    start = out.tell()
    central = directory.getvalue()
    out.write(central)
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members),
                                           len(central), start, 0))
    return out.getvalue()


def make_corrupt_docx(path: Path) -> Path:
    """A file named .docx whose zip archive is cut short: no central directory."""
    make_docx(path, [(0, "text that will be cut off " * 50)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def make_binary(path: Path, size: int = 4096) -> Path:
    """A binary file (bytes with NULs), whatever its name says."""
    path.write_bytes(bytes(range(256)) * (size // 256 + 1))
    return path


def make_sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (a sparse file)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


_CONTENT_TYPES = (
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>")
_CORE = (
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/"
    "metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
    "<dc:title>{title}</dc:title></cp:coreProperties>")
