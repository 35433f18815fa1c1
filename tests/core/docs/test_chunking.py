"""Chunking: sizes, overlap, structure and locations, on examples and on generated text."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.docs.chunking import chunk_document, normalise
from openchat_desktop.core.docs.types import ReadDocument, Section


def document(*sections: Section) -> ReadDocument:
    return ReadDocument(path=Path("doc.txt"), title="doc", sections=sections)


def sentences(count: int, start: int = 0) -> str:
    return " ".join(f"Sentence number {n} talks about topic {n * 7}." for n in
                    range(start, start + count))


def test_small_paragraphs_are_packed_and_keep_their_breaks() -> None:
    chunks = chunk_document(document(Section("One.\n\nTwo  words.\n\n\n  Three\tfour.", line=1)))
    assert [(c.ordinal, c.text, c.line) for c in chunks] == [
        (0, "One.\n\nTwo words.\n\nThree four.", 1)]


def test_chunks_never_cross_pages_or_headings() -> None:
    doc = document(Section("Page one text.", page=1), Section("Page two text.", page=2),
                   Section("Intro words.", heading="Intro"),
                   Section("Usage words.", heading="Intro › Usage"))
    chunks = chunk_document(doc)
    assert [(c.ordinal, c.text, c.page, c.heading) for c in chunks] == [
        (0, "Page one text.", 1, None), (1, "Page two text.", 2, None),
        (2, "Intro words.", None, "Intro"), (3, "Usage words.", None, "Intro › Usage")]


def test_long_paragraph_is_cut_at_sentences_with_overlap() -> None:
    text = sentences(60)
    chunks = chunk_document(document(Section(text, page=4)), target_chars=300,
                            overlap_chars=60)
    assert len(chunks) > 5
    for before, after in pairwise(chunks):
        assert len(after.text) <= 300 and after.page == 4
        assert before.text.endswith(".")  # cut at a sentence end
        shared = next(n for n in range(len(after.text), -1, -1)
                      if before.text.endswith(after.text[:n]))
        assert 0 < shared <= 60  # the next chunk starts with the previous one's tail...
        assert after.text[shared] == " " or after.text[shared - 1] == " " or shared == 0
        assert before.text[-shared - 1] == " "  # ...that starts on a word


def test_a_word_longer_than_a_chunk_is_cut_anywhere() -> None:
    blob = "x" * 1000
    chunks = chunk_document(document(Section(f"start {blob} end")), target_chars=300,
                            overlap_chars=50)
    assert all(len(c.text) <= 300 for c in chunks)
    assert "".join(c.text for c in chunks).count("x") >= 1000


def test_lines_of_chunks_in_a_text_file() -> None:
    lines = [f"line {n} " + "filler " * 8 for n in range(1, 201)]
    source = "\n".join(lines)
    chunks = chunk_document(document(Section(source, line=1)), target_chars=400)
    assert len(chunks) > 10
    for chunk in chunks:
        assert chunk.line is not None
        assert chunk.text.split()[0] in lines[chunk.line - 1].split()
    assert chunks[0].line == 1 and chunks[-1].line is not None and chunks[-1].line > 180


def test_section_line_offsets_chunk_lines() -> None:
    chunks = chunk_document(document(Section("# Usage\n\n" + "word " * 400, line=41)),
                            target_chars=500)
    assert chunks[0].line == 41 and chunks[1].line == 43


def test_whitespace_only_gives_no_chunks() -> None:
    assert chunk_document(document(Section(" \n\t\n "), Section(""))) == []


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé0123456789.,!?-", min_size=1, max_size=14)
SEPARATOR = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " \n \n ", ". ", "\r\n\r\n", "\xa0",
                             "\u3000", "\x0c", "\n\u2028\n"])


@st.composite
def section_texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORD, min_size=0, max_size=300))
    parts: list[str] = [draw(st.sampled_from(["", " ", "\n\n"]))]
    for word in words:
        parts += [word, draw(SEPARATOR)]
    return "".join(parts)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(section_texts(), min_size=1, max_size=4),
       target=st.integers(min_value=40, max_value=600),
       overlap=st.integers(min_value=0, max_value=200))
def test_chunking_properties(texts: list[str], target: int, overlap: int) -> None:
    sections = [Section(text, page=n + 1, line=1) for n, text in enumerate(texts)]
    chunks = chunk_document(document(*sections), target_chars=target, overlap_chars=overlap)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.text and chunk.text == normalise(chunk.text)  # none empty, normalised
        assert len(chunk.text) <= target
        section = sections[(chunk.page or 0) - 1]
        assert chunk.text in normalise(section.text)  # never crosses a section
        assert chunk.text.split()[0] in section.text.split("\n")[(chunk.line or 0) - 1]
    locations = [(c.page or 0, c.line or 0) for c in chunks]
    assert locations == sorted(locations)
    for number, section in enumerate(sections, start=1):  # every word is in some chunk
        own = " ".join(c.text for c in chunks if c.page == number)
        assert set(section.text.split()) <= set(own.split())


@settings(max_examples=60, deadline=None)
@given(count=st.integers(min_value=1, max_value=120), target=st.integers(100, 800))
def test_sentences_are_never_cut_when_they_fit(count: int, target: int) -> None:
    text = sentences(count)
    chunks = chunk_document(document(Section(text)), target_chars=target, overlap_chars=0)
    assert " ".join(c.text for c in chunks) == text
    assert all(re.fullmatch(r"Sentence .*\.", c.text) for c in chunks)


def test_text_without_spaces_is_cut_after_cjk_full_stops() -> None:
    text = "".join(f"第{n}句话讲的是一个主题。" for n in range(200))
    chunks = chunk_document(document(Section(text)), target_chars=100, overlap_chars=0)
    assert all(c.text.endswith("。") and len(c.text) <= 100 for c in chunks)
    assert "".join(c.text for c in chunks) == text
