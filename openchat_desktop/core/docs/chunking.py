"""Cutting a read document into chunks that follow its structure and keep their location.

A chunk never crosses a page or heading boundary: each ``Section`` is cut on its own. Inside a
section, paragraphs (split at blank lines) are packed up to ``target_chars``; a paragraph too
long for one chunk is cut at sentence ends, else between words, else (one endless "word")
anywhere. Each chunk after the first of a section repeats about ``overlap_chars`` of the
previous chunk's tail, starting on a word, so a passage that straddles a cut is found whole.

A chunk is a span of its section's text, whitespace normalised (runs of spaces become one,
paragraph breaks become one blank line), so its line is the line its span starts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from openchat_desktop.core.docs.types import Chunk, ReadDocument, Section

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# A Latin full stop ends a sentence before a space ("e.g." inside one does not); a CJK one
# needs no space after it.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)|[。！？][”’」』）]*")


@dataclass(frozen=True)
class _Span:
    """A piece of section text, ``start:end``, that begins and ends on non-space."""

    start: int
    end: int
    size: int  # its length once whitespace is normalised


def chunk_document(doc: ReadDocument, target_chars: int = 1200,
                   overlap_chars: int = 150) -> list[Chunk]:
    """The document's chunks, ordinals 0..n-1, none empty, each at most ``target_chars``."""
    return list(iter_chunks(doc, target_chars, overlap_chars))


def iter_chunks(doc: ReadDocument, target_chars: int = 1200,
                overlap_chars: int = 150) -> Iterator[Chunk]:
    """Like ``chunk_document``, one chunk at a time (a long file's chunks need not all be
    held at once)."""
    if target_chars < 20:
        raise ValueError("target_chars must be at least 20")
    overlap_chars = max(0, min(overlap_chars, target_chars // 2))
    ordinal = 0
    for section in doc.sections:
        lines = _LineCounter(section)
        for start, end in _section_spans(section.text, target_chars, overlap_chars):
            text = normalise(section.text[start:end])
            yield Chunk(ordinal=ordinal, text=text, page=section.page,
                        heading=section.heading, line=lines.at(start))
            ordinal += 1


def normalise(text: str) -> str:
    """Runs of spaces and single line breaks become one space, paragraph breaks one blank
    line; no space at either end."""
    if "\n" not in text:
        return " ".join(text.split())
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p and not p.isspace())


def _section_spans(text: str, target: int, overlap: int) -> Iterator[tuple[int, int]]:
    """The ``(start, end)`` of each chunk of one section's text, in order."""
    start: int | None = None
    end = size = 0
    for piece in _pieces(text, target):
        if start is None:
            start, end, size = piece.start, piece.end, piece.size
            continue
        joined = size + _gap(text, end, piece.start) + piece.size
        if joined <= target:
            end, size = piece.end, joined
            continue
        yield start, end
        tail, tail_size = _overlap(text, start, end, piece, target, overlap)
        if tail is None:
            start, size = piece.start, piece.size
        else:
            start, size = tail, tail_size + _gap(text, end, piece.start) + piece.size
        end = piece.end
    if start is not None:
        yield start, end


def _overlap(text: str, start: int, end: int, piece: _Span, target: int,
             overlap: int) -> tuple[int | None, int]:
    """Where the next chunk starts inside the previous one (``start:end``), and the
    normalised size of that tail: the whole words within its last ``overlap`` characters
    that still leave room for ``piece``. ``(None, 0)`` when none fit."""
    budget = min(overlap, target - piece.size - _gap(text, end, piece.start))
    if budget <= 0:
        return None, 0
    # Normalising never makes text longer, so a tail of ``budget`` characters fits; start it
    # on the next word, and strictly after the previous chunk's first word.
    position = max(start + 1, end - budget)
    while position < end and not text[position - 1].isspace():
        position += 1
    while position < end and text[position].isspace():
        position += 1
    if position >= end:
        return None, 0
    return position, len(normalise(text[position:end]))


def _gap(text: str, end: int, start: int) -> int:
    """How many characters the whitespace between two spans becomes: 0, 1, or 2 (a blank
    line)."""
    if start <= end:
        return 0
    return 2 if _PARAGRAPH_BREAK.search(text, end, start) else 1


def _pieces(text: str, target: int) -> Iterator[_Span]:
    """The paragraphs of a section, with those longer than ``target`` cut into pieces."""
    position = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        yield from _paragraph_pieces(text, position, match.start(), target)
        position = match.end()
    yield from _paragraph_pieces(text, position, len(text), target)


def _paragraph_pieces(text: str, start: int, end: int, target: int) -> Iterator[_Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while start < end:
        if end - start <= target:  # normalising never makes text longer
            yield _span(text, start, end)
            return
        cut = _cut_point(text, start, start + target)
        yield _span(text, start, cut)
        start = cut
        while start < end and text[start].isspace():
            start += 1


def _cut_point(text: str, start: int, limit: int) -> int:
    """Where to end a piece that must stop by ``limit``: after the last sentence in the
    second half of the window, else at the last space, else at ``limit``."""
    last_sentence = None
    for match in _SENTENCE_END.finditer(text, start + (limit - start) // 2, limit):
        last_sentence = match.end()
    if last_sentence is not None:
        return last_sentence
    for space in range(min(limit, len(text) - 1), start, -1):  # any whitespace, tabs too
        if text[space].isspace():
            while text[space - 1].isspace():
                space -= 1
            return space
    return limit


def _span(text: str, start: int, end: int) -> _Span:
    """A piece of one paragraph: normalised, its words are joined by single spaces."""
    words = text[start:end].split()
    return _Span(start, end, sum(map(len, words)) + len(words) - 1)


class _LineCounter:
    """The 1-based line of each chunk start in a section, counted incrementally (chunk
    starts only grow, overlaps included), or None where the section has no line."""

    def __init__(self, section: Section) -> None:
        self._text = section.text
        self._line = section.line
        self._offset = 0

    def at(self, offset: int) -> int | None:
        if self._line is not None:
            self._line += self._text.count("\n", self._offset, offset)
            self._offset = offset
        return self._line
