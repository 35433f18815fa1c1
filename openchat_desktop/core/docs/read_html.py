"""HTML pages: the visible text, a section per heading (h1–h6), the ``<title>`` as title.

Scripts, styles, navigation and other page furniture (``nav``, ``role="navigation"``, hidden
parts, the "¶" anchors documentation generators put in headings) are left out, so a search
finds the page's content rather than its menus.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from openchat_desktop.core.docs.headings import HeadingPath, clean_heading
from openchat_desktop.core.docs.limits import ReadLimits
from openchat_desktop.core.docs.read_text import decode_file
from openchat_desktop.core.docs.types import ReadDocument, Section

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

_SKIPPED_TAGS = frozenset({"script", "style", "nav", "noscript", "template", "svg", "canvas",
                           "iframe", "object", "select", "button"})
_SKIPPED_ROLES = frozenset({"navigation", "search", "banner", "contentinfo"})
_SKIPPED_CLASSES = frozenset({"headerlink", "sphinxsidebar", "related", "footer"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset({"p", "div", "section", "article", "main", "header", "footer", "aside",
                     "blockquote", "pre", "ul", "ol", "dl", "table", "form", "fieldset",
                     "figure", "figcaption", "address", "details", "summary", "hr"})
_LINES = frozenset({"br", "li", "dt", "dd", "tr", "caption"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})
# Inline tags that only style text: dropped before parsing, which makes parsing of highlighted
# code (a <span> per token) about twice as fast. Not in a page with an inline element that
# may be furniture (hidden, a role, a furniture class): the parser must see its end tag.
# Quoted values may not hold "<" or ">", so a scan never runs past the next tag.
_INLINE = r"(?:span|em|strong|code|b|i|u|abbr|kbd|var|samp|cite|small|sub|sup|mark|tt)"
_INLINE_TAGS = re.compile(rf"""</?{_INLINE}(?:\s(?:[^<>"']|"[^"<>]*"|'[^'<>]*')*)?/?>""", re.I)
_HIDDEN_INLINE = re.compile(
    rf"<{_INLINE}\s[^<>]*(?:hidden|role\s*=|{'|'.join(sorted(_SKIPPED_CLASSES))})", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def read_html_file(path: Path, limits: ReadLimits) -> ReadDocument:
    """Read an HTML file: its title, and a section per heading with the heading path."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    charset = _CHARSET.search(head)
    declared = charset.group(1).decode("ascii", "replace") if charset else None
    text = decode_file(path, limits.max_text_chars, declared=declared)
    parser = _PageParser()
    parser.feed(text if _HIDDEN_INLINE.search(text) else _INLINE_TAGS.sub("", text))
    parser.close()
    sections = parser.finish()
    title = parser.title or parser.first_h1 or path.name
    return ReadDocument(path=path, title=title, sections=sections)


class _PageParser(HTMLParser):
    """Gathers visible text into sections, cutting at each heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.first_h1 = ""
        self._sections: list[Section] = []
        self._parts: list[str] = []
        self._heading_path: str | None = None
        self._path = HeadingPath()
        self._skip: tuple[str, int] | None = None  # (tag, nesting) of a skipped element
        self._in_title = False
        self._pre = 0
        self._heading: tuple[int, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is not None:
            if tag == self._skip[0] and tag not in _VOID:
                self._skip = (tag, self._skip[1] + 1)
            return
        if _is_furniture(tag, attrs):
            if tag not in _VOID:
                self._skip = (tag, 1)
            return
        if self._heading is not None and tag in _BLOCKS:
            self._end_heading()  # an unclosed heading must not swallow the page
        if tag == "title":
            self._in_title = True
        elif tag in _HEADINGS:
            self._cut()
            self._heading = (_HEADINGS[tag], [])
        elif tag == "pre":
            self._pre += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is None and not _is_furniture(tag, attrs):
            self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip is not None:
            if tag == self._skip[0]:
                depth = self._skip[1] - 1
                self._skip = (tag, depth) if depth else None
            return
        if tag == "title":
            self._in_title = False
        elif tag in _HEADINGS and self._heading is not None:
            self._end_heading()
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _BLOCKS or tag in _HEADINGS:  # lines break where they start
            self._parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._skip is not None:
            return
        if self._in_title:
            self.title = " ".join(f"{self.title} {data}".split())
            return
        text = data if self._pre else re.sub(r"\s+", " ", data)
        self._parts.append(text)
        if self._heading is not None:
            self._heading[1].append(text)

    def finish(self) -> list[Section]:
        if self._heading is not None:
            self._end_heading()
        self._cut()
        return self._sections

    def _break(self, tag: str) -> None:
        if tag in _BLOCKS or tag in _HEADINGS:
            self._parts.append("\n\n")
        elif tag in _LINES:
            self._parts.append("\n")

    def _end_heading(self) -> None:
        assert self._heading is not None
        level, words = self._heading
        name = clean_heading("".join(words))[:200]
        self._heading = None
        if not name:
            return
        if level == 1 and not self.first_h1:
            self.first_h1 = name
        self._heading_path = self._path.enter(level, name)

    def _cut(self) -> None:
        text = "".join(self._parts)
        text = re.sub(r"[ \t]*\n[ \t]*(?:\n[ \t]*)+", "\n\n", text).strip()
        if text:
            self._sections.append(Section(text=text, heading=self._heading_path))
        self._parts = []


def _is_furniture(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """Whether the element is page furniture rather than content."""
    if tag in _SKIPPED_TAGS:
        return True
    values = dict(attrs)
    if values.get("role") in _SKIPPED_ROLES or values.get("aria-hidden") == "true":
        return True
    if "hidden" in values:
        return True
    classes = (values.get("class") or "").split()
    return any(c in _SKIPPED_CLASSES for c in classes)
