"""Found passages into a prompt: numbered sources within a budget, and the citations they become.

``build_docs_prompt`` turns a question's ranked passages into one block of text (an
instruction, then ``[1]``, ``[2]`` … each with its title and place in the file) that fits in
``budget_chars``, and returns the ``Source`` of every number it used, so a reply's ``[2]`` can
be followed back to its file. ``with_docs`` puts that block into the last user message only:
every chat template has a user turn, not every one has a system turn, and the stored
conversation keeps the plain question.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from openchat_desktop.core.docs.types import Passage, Source

# A token is 3.5-4.5 characters of English prose and fewer for code or Chinese; 3 keeps the
# passages inside their share of the context for most text.
CHARS_PER_TOKEN = 3
MIN_BUDGET_CHARS = 800
# A passage cut shorter than this says too little to be worth its number.
MIN_PARTIAL_CHARS = 300
# The chunker repeats about 150 characters between neighbours; a longer limit only matters
# for text that repeats itself, where taking the longest match drops a repetition.
_MAX_OVERLAP = 400
_MIN_OVERLAP = 20
ELLIPSIS = "…"

INSTRUCTION = (
    "Numbered passages from the user's documents follow. Answer the question after them. "
    "Use the passages when they help and cite each one you use as [1], [2] and so on, right "
    "after what it supports. If the passages do not contain the answer, say so.")

M = TypeVar("M")


@dataclass(frozen=True)
class DocsPrompt:
    """The block of sources for one question, and the citation behind each of its numbers.

    ``text`` is empty (and ``sources`` too) when no passage fitted: then the question goes
    out as it was.
    """

    text: str
    sources: list[Source] = field(default_factory=list)


def docs_budget_chars(n_ctx: int, share: float) -> int:
    """How many characters of passages a context of ``n_ctx`` tokens can take at ``share``."""
    return max(MIN_BUDGET_CHARS, int(n_ctx * share * CHARS_PER_TOKEN))


def build_docs_prompt(question: str, passages: Sequence[Passage], *, budget_chars: int,
                      max_passages: int | None = None) -> DocsPrompt:
    """Number ``passages`` (best first) into a block of at most ``budget_chars`` characters.

    Neighbouring chunks of one file are joined into one passage first. A passage that no
    longer fits is cut at a word boundary when at least ``MIN_PARTIAL_CHARS`` of it fit,
    else left out (a shorter one further down may still fit). ``max_passages`` caps the
    numbers used. A blank ``question`` gets no sources: there is nothing to answer from them.
    """
    if not question.strip():
        return DocsPrompt("")
    header = INSTRUCTION + "\n"
    room = budget_chars - len(header)
    entries: list[str] = []
    sources: list[Source] = []
    for passage in merge_adjacent(passages):
        if max_passages is not None and len(sources) >= max_passages:
            break
        number = len(sources) + 1
        entry = _entry(number, passage, room)
        if entry is None:
            continue
        text, body = entry
        entries.append(text)
        room -= len(text)
        sources.append(Source(number=number, path=passage.path, title=passage.title,
                              location=citation_location(passage), text=body,
                              chunk_id=passage.chunk_id, page=passage.page))
    if not sources:
        return DocsPrompt("")
    return DocsPrompt(header + "".join(entries), sources)


def _entry(number: int, passage: Passage, room: int) -> tuple[str, str] | None:
    """``passage`` as a numbered entry within ``room`` characters, and its (maybe cut) text;
    None when too little of it fits."""
    title = " ".join(passage.title.split()) or passage.path.name
    location = citation_location(passage)
    head = f"\n[{number}] {title}" + (f" — {location}" if location else "") + "\n"
    body = passage.text.strip()
    if len(head) + len(body) + 1 <= room:
        return head + body + "\n", body
    fits = room - len(head) - len(ELLIPSIS) - 1
    if fits < MIN_PARTIAL_CHARS:
        return None
    body = cut_at_word(body, fits) + ELLIPSIS
    return head + body + "\n", body


def citation_location(passage: Passage) -> str:
    """``passage.location()`` without the heading that only repeats the title: an HTML
    page's title is usually its first heading ("functools — …" twice in a row says nothing)."""
    heading = passage.heading or ""
    title = " ".join(passage.title.split())
    parts = heading.split(" › ") if heading else []
    if parts and title and (title == parts[0] or title.startswith(parts[0])):
        parts = parts[1:]
    trimmed = dataclasses.replace(passage, heading=" › ".join(parts) or None)
    return trimmed.location()


def cut_at_word(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at the last whitespace before it."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
    # One word longer than the whole room (a URL, a hash): cut it rather than lose it.
    return (cut[:space] if space > limit // 2 else cut).rstrip()


def merge_adjacent(passages: Sequence[Passage]) -> list[Passage]:
    """Join passages that are neighbouring chunks of one file, keeping the rank of the best.

    Chunks overlap, so the repeated text between two neighbours appears once. The joined
    passage takes the location and id of its first chunk in the file.
    """
    groups: list[list[Passage]] = []  # each sorted by chunk id; groups in rank order
    for passage in passages:
        group = next((g for g in groups if _touches(g, passage)), None)
        if group is None:
            groups.append([passage])
        elif passage.chunk_id not in {p.chunk_id for p in group}:
            group.append(passage)
            group.sort(key=lambda p: p.chunk_id)
    return [_joined(group) for group in groups]


def _touches(group: list[Passage], passage: Passage) -> bool:
    return (group[0].path == passage.path
            and group[0].chunk_id - 1 <= passage.chunk_id <= group[-1].chunk_id + 1)


def _joined(group: list[Passage]) -> Passage:
    if len(group) == 1:
        return group[0]
    text = group[0].text
    for following in group[1:]:
        text = join_overlapping(text, following.text)
    return dataclasses.replace(group[0], text=text, score=max(p.score for p in group))


def join_overlapping(first: str, second: str) -> str:
    """``first`` then ``second``, with the text ``second`` repeats from ``first``'s end once."""
    longest = min(len(first), len(second), _MAX_OVERLAP)
    for size in range(longest, _MIN_OVERLAP - 1, -1):
        if first.endswith(second[:size]):
            return first + second[size:]
    return first.rstrip() + "\n" + second.lstrip()


def with_docs(messages: Sequence[M], docs_prompt: DocsPrompt) -> list[M]:
    """A copy of ``messages`` whose last user message starts with the sources block.

    Works on ``ChatMessage`` objects and on OpenAI-style dicts (text or content parts);
    ``messages`` and its items are left as they were.
    """
    result = list(messages)
    if not docs_prompt.text:
        return result
    for index in range(len(result) - 1, -1, -1):
        if _role(result[index]) == "user":
            result[index] = _prefixed(result[index], docs_prompt.text)
            break
    return result


def _role(message: object) -> object:
    if isinstance(message, Mapping):
        return message.get("role")
    return getattr(message, "role", None)


def _prefixed(message: M, block: str) -> M:
    content: Any = (message.get("content") if isinstance(message, Mapping)
                    else getattr(message, "content", ""))
    if isinstance(content, list):  # OpenAI content parts: the block goes first, as text
        new_content: Any = [{"type": "text", "text": block + "\nQuestion:"}, *content]
    else:
        new_content = f"{block}\nQuestion: {content or ''}"
    if isinstance(message, Mapping):
        return {**message, "content": new_content}  # type: ignore[return-value]
    return dataclasses.replace(message, content=new_content)  # type: ignore[type-var]


def source_lines(sources: Sequence[Source]) -> list[str]:
    """One line per source for a terminal: ``[1] Title — p. 4 — /path/file.pdf``."""
    lines = []
    for source in sources:
        parts = [" ".join(source.title.split()) or source.path.name]
        if source.location:
            parts.append(source.location)
        parts.append(str(source.path))
        lines.append(f"[{source.number}] " + " — ".join(parts))
    return lines
