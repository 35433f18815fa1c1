"""Plain text, Markdown, reStructuredText and source code: decoded, binary refused, headed.

Encodings are guessed the way editors do: a byte-order mark wins (UTF-8, UTF-16, UTF-32), then
UTF-8, then Windows-1252, then Latin-1, which decodes anything. A NUL byte in the first 8 KB
without a UTF-16/32 mark means a binary file. Decoding is incremental and stops at the text
cap, so a large log costs the cap, not the file.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from openchat_desktop.core.docs.headings import markdown_sections, rst_sections
from openchat_desktop.core.docs.limits import ReadLimits
from openchat_desktop.core.docs.types import ReadDocument, Section, UnreadableFile

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
RST_SUFFIXES = frozenset({".rst"})
PLAIN_SUFFIXES = frozenset({
    ".txt", ".text", ".log", ".csv", ".tsv", ".tex", ".org", ".adoc", ".srt", ".vtt",
    # source code and configuration
    ".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".kt", ".kts",
    ".scala", ".groovy", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".cs", ".m", ".mm",
    ".go", ".rs", ".rb", ".php", ".pl", ".pm", ".lua", ".r", ".jl", ".swift", ".dart", ".ex",
    ".exs", ".erl", ".hs", ".ml", ".clj", ".el", ".vim", ".sql", ".sh", ".bash", ".zsh",
    ".fish", ".ps1", ".bat", ".cmd", ".toml", ".yaml", ".yml", ".json", ".jsonl", ".ini",
    ".cfg", ".conf", ".properties", ".env", ".xml", ".css", ".scss", ".less", ".vue",
    ".svelte", ".gradle", ".cmake", ".mk", ".proto", ".graphql", ".ipynb",
})
TEXT_SUFFIXES = MARKDOWN_SUFFIXES | RST_SUFFIXES | PLAIN_SUFFIXES
# Common files without a suffix that are text.
TEXT_NAMES = frozenset({
    "readme", "license", "licence", "copying", "authors", "changelog", "changes", "news",
    "todo", "makefile", "dockerfile", "containerfile", "gemfile", "rakefile", "procfile",
})

_SNIFF_BYTES = 8192
_BLOCK = 1 << 20
_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def read_text_file(path: Path, limits: ReadLimits) -> ReadDocument:
    """Read a text file into sections: one per heading in Markdown and reST, else one."""
    text = decode_file(path, limits.max_text_chars)
    kind = text_kind(path)
    if kind == "markdown":
        title, sections = markdown_sections(text)
    elif kind == "rst":
        title, sections = rst_sections(text)
    else:
        title, sections = None, [Section(text=text, line=1)] if text.strip() else []
    return ReadDocument(path=path, title=title or path.name, sections=sections)


def text_kind(path: Path) -> str:
    """``"markdown"``, ``"rst"`` or ``"plain"``; Sphinx sources (``x.rst.txt``) count as reST."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffixes and (suffixes[-1] in RST_SUFFIXES or suffixes == [".rst", ".txt"]):
        return "rst"
    return "plain"


def decode_file(path: Path, max_chars: int, declared: str | None = None) -> str:
    """The file's text, at most ``max_chars`` characters, NUL characters removed.

    ``declared`` is an encoding the file names itself (an HTML ``charset``), tried after a
    byte-order mark and before the guesses. Raises UnreadableFile for a binary file or one
    that breaks the encoding its own byte-order mark announces; OSError passes through.
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            try:
                return _decode(path, codec, max_chars, skip=len(bom))
            except UnicodeDecodeError:
                raise UnreadableFile(f"bad encoding: not valid {label}") from None
    if b"\x00" in head:
        raise UnreadableFile("binary file")
    for codec in _candidates(declared):
        try:
            return _decode(path, codec, max_chars)
        except UnicodeDecodeError:
            if codec == "utf-8" and (text := _mostly_utf8(path, max_chars)) is not None:
                return text
    return _decode(path, "latin-1", max_chars)  # every byte is a Latin-1 character


def _mostly_utf8(path: Path, max_chars: int) -> str | None:
    """UTF-8 with a few damaged bytes (a cut download, one stray byte) stays UTF-8, the bad
    bytes replaced, rather than turning every accent into mojibake as Windows-1252."""
    text = _decode(path, "utf-8", max_chars, errors="replace")
    damaged = text.count("\ufffd")
    multibyte = sum(1 for char in text if ord(char) > 0x7F) - damaged
    return text if multibyte > 0 and damaged <= max(1, multibyte // 10) else None


def _candidates(declared: str | None) -> list[str]:
    names = ["utf-8", "cp1252"]
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            return names
        names = [name, *(n for n in names if n != name)]
    return names


def _decode(path: Path, codec: str, max_chars: int, skip: int = 0,
            errors: str = "strict") -> str:
    """Decode block by block, stopping once ``max_chars`` are in hand."""
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    parts: list[str] = []
    count = 0
    with path.open("rb") as handle:
        handle.seek(skip)
        while count < max_chars:
            block = handle.read(_BLOCK)
            part = decoder.decode(block, final=not block)
            parts.append(part)
            count += len(part)
            if not block:
                break
    return "".join(parts)[:max_chars].replace("\x00", "")
