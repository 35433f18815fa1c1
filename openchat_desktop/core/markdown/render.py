"""Turn untrusted model output (Markdown) into safe HTML for Qt's rich-text engine.

Output uses only a fixed allow-list of tags (p, h1-h6, b, i, s, code, pre, span, a,
ul, ol, li, blockquote, hr, br, table parts) with attributes this module writes itself.
Raw HTML in the input is shown as text, images become text links, and only
http/https/mailto links keep an ``href``, so a QTextDocument never loads anything.
Token-to-HTML rules live in :mod:`openchat_desktop.core.markdown.html` and code-block
highlighting in :mod:`openchat_desktop.core.markdown.highlight`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markdown_it.token import Token

from openchat_desktop.core.markdown.highlight import Theme, palette
from openchat_desktop.core.markdown.html import HtmlWriter, escape_html, parse_markdown

__all__ = [
    "StreamingMarkdown",
    "Theme",
    "code_blocks",
    "document_css",
    "render_markdown",
]

# Block parsing costs up to ~5 us per character (big tables), and no chat answer is
# this long; a bigger message (a pasted log, say) is shown as plain text.
MAX_MARKDOWN_CHARS = 300_000
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _parse(text: str, env: dict[str, Any] | None = None) -> list[Token] | None:
    return None if len(text) > MAX_MARKDOWN_CHARS else parse_markdown(text, env)


def _plain_html(text: str) -> str:
    """The fallback: the whole message as escaped text, line breaks kept."""
    return f'<p style="white-space: pre-wrap;">{escape_html(text)}</p>\n'


def _render(
    text: str, theme: Theme, first_code_index: int = 0, env: dict[str, Any] | None = None
) -> tuple[str, int | None]:
    """Render ``text``; return the HTML and how many code blocks it holds (None: it is
    shown as plain text instead)."""
    palette(theme)  # validates the theme name before any work
    tokens = _parse(text, env)
    if tokens is None:
        return _plain_html(text), None
    try:
        body = HtmlWriter(theme, first_code_index).render(tokens)
    except Exception:  # e.g. a lexer choking on odd input: show the text instead
        return _plain_html(text), None
    return body, sum(1 for t in tokens if t.type in ("fence", "code_block"))


def render_markdown(text: str, theme: Theme = "light") -> str:
    """Render a whole message of untrusted Markdown to safe Qt rich-text HTML.

    Code block ``N`` (counting from 0 in document order) gets a ``copy:N`` link;
    :func:`code_blocks` returns the matching raw code.
    """
    return _render(text, theme)[0]


def code_blocks(markdown_text: str) -> list[str]:
    """The raw code of each fenced or indented code block, in ``copy:N`` order."""
    tokens = _parse(markdown_text)
    if tokens is None:
        return []
    return [t.content for t in tokens if t.type in ("fence", "code_block")]


def document_css(theme: Theme = "light") -> str:
    """A small default stylesheet (Qt's CSS subset) to pair with the rendered HTML."""
    colours = palette(theme)
    return (
        f"a {{ color: {colours.link}; }}\n"
        "pre, code { font-family: monospace; }\n"
        "pre { margin-top: 0px; margin-bottom: 0px; }\n"
        "p { margin-top: 4px; margin-bottom: 4px; }\n"
        "h1 { font-size: x-large; } h2 { font-size: large; } h3 { font-size: medium; }\n"
        "h4, h5, h6 { font-size: medium; font-style: italic; }\n"
        f"blockquote {{ color: {colours.quote_fg}; margin-left: 12px; }}\n"
        "table { margin-top: 4px; margin-bottom: 4px; }\n"
    )


def _opening_fence(line: str) -> str | None:
    """The marker of a top-level fence that ``line`` opens, if any."""
    match = _FENCE_RE.match(line)
    if match is None:
        return None
    marker = match.group(1)
    if marker[0] == "`" and "`" in line[match.end() :]:
        return None  # a backtick fence's info string cannot contain backticks
    return marker


def _closes_fence(line: str, marker: str) -> bool:
    match = _FENCE_RE.match(line)
    if match is None or line[match.end() :].strip():
        return False
    found = match.group(1)
    return found[0] == marker[0] and len(found) >= len(marker)


def _line_offset(text: str, line: int) -> int:
    """Index in ``text`` where line number ``line`` (from 0) begins."""
    offset = 0
    for _ in range(line):
        offset = text.index("\n", offset) + 1
    return offset


class StreamingMarkdown:
    """Render a message that arrives in pieces without re-rendering it per token.

    Contract:

    * ``feed(delta)`` appends text. It scans only newly completed lines and renders
      only when a top-level block has just been completed.
    * ``stable_html()`` is the HTML of the completed top-level blocks; it changes only
      when a block completes and is otherwise returned from a cache.
    * ``tail_text()`` is the raw Markdown of the block still being written; the view
      shows it as escaped plain text until it completes.
    * ``finish()`` returns exactly ``render_markdown(full_text, theme)``, rendering only
      the last block where the blocks before it cannot change (the whole message once
      otherwise); afterwards ``stable_html()`` returns that and ``tail_text()`` is
      empty. Calling ``feed`` after ``finish`` is an error.

    A block is complete once a new top-level block starts on a full line after a blank
    line (or a closing fence) outside fenced code, and markdown-it's block parser
    agrees, so loose lists are not split. ``stable_html()`` is then a prefix of the
    final HTML, except that a reference-style link whose definition has not arrived
    yet stays literal text until ``finish()``.

    ``on_render`` (for instrumentation) is called with the Markdown of every render.
    """

    def __init__(self, theme: Theme = "light", on_render: Callable[[str], None] | None = None):
        palette(theme)
        self._theme: Theme = theme
        self._on_render = on_render
        self._raw: list[str] = []
        self._stable = ""
        self._tail = ""
        self._pending_cr = ""
        self._scanned = 0
        self._fence: str | None = None
        self._boundary_seen = False
        self._code_count = 0
        self._env: dict[str, Any] = {}
        self._as_markdown = True  # no block fell back to plain text
        self._finished = False
        self.render_count = 0

    @property
    def theme(self) -> Theme:
        """The theme its HTML is rendered in."""
        return self._theme

    def feed(self, delta: str) -> None:
        """Append the next piece of the message."""
        if self._finished:
            raise RuntimeError("feed() called after finish()")
        self._raw.append(delta)
        self._tail += self._normalise_newlines(delta)
        if self._scan_new_lines():
            self._try_commit()

    def stable_html(self) -> str:
        """HTML of the completed top-level blocks."""
        return self._stable

    def tail_text(self) -> str:
        """Raw Markdown of the block still being written (show it escaped)."""
        return self._tail

    def finish(self) -> str:
        """Render the complete message; equal to ``render_markdown(full_text, theme)``.

        The blocks already rendered stand unless something can change them: a link
        reference definition (it turns earlier ``[text][label]`` into a link), a block
        shown as plain text, or a message too long to parse. Then the whole is rendered.
        """
        if not self._finished:
            full = "".join(self._raw)
            tail = self._tail + ("\n" if self._pending_cr else "")
            rest = self._render_counted(tail, lambda: self._render_chunk(tail)) if tail else ""
            if self._as_markdown and not self._env.get("references") and \
                    len(full) <= MAX_MARKDOWN_CHARS:
                self._stable += rest
            else:
                self._stable = self._render_counted(
                    full, lambda: render_markdown(full, self._theme))
            self._tail = ""
            self._finished = True
        return self._stable

    def _normalise_newlines(self, delta: str) -> str:
        # markdown-it counts lines after folding CR LF and lone CR into LF; a CR LF
        # pair may be split across two deltas, so a trailing CR waits for the next one.
        text = self._pending_cr + delta
        self._pending_cr = "\r" if text.endswith("\r") else ""
        text = text.removesuffix("\r")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def _scan_new_lines(self) -> bool:
        """Scan complete lines; True if one starts a block after a boundary."""
        ready = False
        while (end := self._tail.find("\n", self._scanned)) != -1:
            line = self._tail[self._scanned : end]
            self._scanned = end + 1
            ready = self._scan_line(line) or ready
        return ready

    def _scan_line(self, line: str) -> bool:
        if self._fence is not None:
            if _closes_fence(line, self._fence):
                self._fence = None
                self._boundary_seen = True
            return False
        if not line.strip():
            self._boundary_seen = True
            return False
        ready, self._boundary_seen = self._boundary_seen, False
        self._fence = _opening_fence(line)
        return ready

    def _try_commit(self) -> None:
        """Commit every top-level block before the last one, if the parser sees two."""
        complete = self._tail[: self._scanned]
        tokens = _parse(complete)
        if tokens is None:
            return
        starts = [t.map[0] for t in tokens if t.level == 0 and t.nesting != -1 and t.map]
        if len(starts) < 2:
            return
        offset = _line_offset(complete, starts[-1])
        chunk, self._tail = self._tail[:offset], self._tail[offset:]
        self._scanned -= offset
        self._stable += self._render_counted(chunk, lambda: self._render_chunk(chunk))

    def _render_chunk(self, chunk: str) -> str:
        html_text, count = _render(chunk, self._theme, self._code_count, self._env)
        self._as_markdown = self._as_markdown and count is not None
        self._code_count += count or 0
        return html_text

    def _render_counted(self, source: str, render: Callable[[], str]) -> str:
        self.render_count += 1
        if self._on_render is not None:
            self._on_render(source)
        return render()
