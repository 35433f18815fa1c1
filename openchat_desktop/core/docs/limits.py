"""How much of one file the readers take, so a hostile or huge file cannot exhaust memory.

Indexing a folder of a gigabyte must stay within a few hundred megabytes above idle: a file is
refused before it is opened when it is too large, the text taken from one file is capped, and
a DOCX is never unpacked beyond a byte cap, whatever its zip header claims.
"""

from __future__ import annotations

from dataclasses import dataclass

from openchat_desktop.core.sizes import format_size

MB = 1_000_000  # decimal units, as format_size shows them


@dataclass(frozen=True)
class ReadLimits:
    """The bounds one ``read_document`` call keeps to.

    ``max_file_bytes`` caps plain text, Markdown, source code and HTML, which are read whole;
    ``max_packed_file_bytes`` caps PDF and DOCX, whose text is a small part of the file.
    ``max_text_chars`` caps the text kept from one file (the rest is left out, not an error).
    ``max_xml_bytes`` and ``max_compression_ratio`` guard DOCX against zip bombs.
    """

    max_file_bytes: int = 64 * MB
    max_packed_file_bytes: int = 200 * MB
    max_text_chars: int = 10_000_000
    max_xml_bytes: int = 120 * MB
    max_compression_ratio: float = 250.0
    max_pdf_pages: int = 20_000

    def file_limit(self, packed: bool) -> int:
        """The size limit for a file of the packed (PDF, DOCX) or plain kind."""
        return self.max_packed_file_bytes if packed else self.max_file_bytes


def size_text(num_bytes: int) -> str:
    """A size for a reason line: ``"2.0 GB"``, and a round limit without its ``.0``."""
    text = format_size(num_bytes)
    return text.replace(".0 ", " ") if num_bytes % MB == 0 and num_bytes >= MB else text


def too_large_reason(size: int, limit: int) -> str:
    """``"too large: 2.0 GB (limit 64 MB)"``."""
    return f"too large: {format_size(size)} (limit {size_text(limit)})"
