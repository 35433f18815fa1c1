"""Headings of Markdown and reStructuredText: a section starts at each one, with its path.

A section's text starts with its heading line, so a keyword search for the heading finds it,
and carries the 1-based line it starts on. Headings inside fenced code blocks are code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from openchat_desktop.core.docs.types import Section

HEADING_SEPARATOR = " › "

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:._!])\1{2,}[ \t]*$")
_INLINE_MARKUP = re.compile(r"\*\*|__|`")


class HeadingPath:
    """The chain of open headings: a level-2 heading closes every heading at level 2 or deeper."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> str:
        """Open a heading and return the path it makes, "Install › Linux"."""
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        return HEADING_SEPARATOR.join(t for _, t in self._stack)


class _SectionBuilder:
    """Collects lines into sections that start at headings."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.lines: list[str] = []
        self.start = 1
        self.heading: str | None = None

    def cut(self, line_number: int, heading: str | None, carried: Iterable[str] = ()) -> None:
        """Close the current section and open one at ``line_number`` holding ``carried``."""
        text = "\n".join(self.lines)
        if text.strip():
            self.sections.append(Section(text=text, heading=self.heading, line=self.start))
        self.lines = list(carried)
        self.start = line_number
        self.heading = heading

    def finish(self) -> list[Section]:
        self.cut(0, None)
        return self.sections


def clean_heading(text: str) -> str:
    """Heading text without emphasis marks, anchors ("¶") or runs of spaces."""
    return " ".join(_INLINE_MARKUP.sub("", text).replace("¶", "").split())


def markdown_sections(text: str) -> tuple[str | None, list[Section]]:
    """Sections of a Markdown text (ATX ``#`` and setext underlined headings) and its first
    level-1 heading, the title."""
    builder, path = _SectionBuilder(), HeadingPath()
    title: str | None = None
    fence: str | None = None
    lines = text.split("\n")
    front_matter = _front_matter_end(lines)
    for number, line in enumerate(lines, start=1):
        if number <= front_matter:
            builder.lines.append(line)
            continue
        fence_match = _FENCE.match(line)
        if fence_match:
            mark = fence_match.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence):
                fence = None
        level, heading = _markdown_heading(line, builder.lines) if fence is None else (0, "")
        if not level or not heading:
            builder.lines.append(line)
            continue
        if level == 1 and title is None:
            title = heading
        if _SETEXT.match(line):  # the heading is the line above the underline
            previous = builder.lines.pop()
            builder.cut(number - 1, path.enter(level, heading), [previous, line])
        else:
            builder.cut(number, path.enter(level, heading), [line])
    return title, builder.finish()


def _front_matter_end(lines: list[str]) -> int:
    """The line number closing a YAML front matter block (``---`` ... ``---``), else 0."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    for number, line in enumerate(lines[1:200], start=2):
        if line.rstrip() in ("---", "..."):
            return number
    return 0


def _markdown_heading(line: str, previous_lines: list[str]) -> tuple[int, str]:
    atx = _ATX.match(line)
    if atx:
        return len(atx.group(1)), clean_heading(atx.group(2) or "")
    setext = _SETEXT.match(line)
    if setext and previous_lines and previous_lines[-1].strip():
        previous = previous_lines[-1]
        if _ATX.match(previous) or previous.startswith(("    ", "\t", ">", "|")):
            return 0, ""
        return (1 if setext.group(1)[0] == "=" else 2), clean_heading(previous)
    return 0, ""


def rst_sections(text: str) -> tuple[str | None, list[Section]]:
    """Sections of a reStructuredText file: a title underlined (and maybe overlined) by a
    run of one punctuation character; levels follow the order the styles first appear."""
    builder, path = _SectionBuilder(), HeadingPath()
    styles: list[tuple[str, bool]] = []
    title: str | None = None
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        builder.lines.append(line)
        adornment = _RST_ADORNMENT.match(line)
        if not adornment or len(builder.lines) < 2:
            continue
        heading = builder.lines[-2].strip()
        if not heading or _RST_ADORNMENT.match(builder.lines[-2]) or len(line.rstrip()) < len(
                heading):
            continue
        overlined = len(builder.lines) >= 3 and builder.lines[-3].rstrip() == line.rstrip()
        style = (adornment.group(1), overlined)
        if style not in styles:
            styles.append(style)
        name = clean_heading(heading)
        if title is None:
            title = name
        taken = 3 if overlined else 2
        carried = builder.lines[-taken:]
        del builder.lines[-taken:]
        builder.cut(number - taken + 1, path.enter(styles.index(style) + 1, name), carried)
    return title, builder.finish()
