"""Parse untrusted Markdown and write it as Qt rich-text HTML from an allow-list.

Only tags this module writes can appear: p, h1-h6, b, i, s, code, pre, span, a, ul, ol,
li, blockquote, hr, br and table parts. Every piece of input text is escaped, raw HTML
stays text, images become text labels, and only http/https/mailto links keep an ``href``.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from openchat_desktop.core.markdown.highlight import (
    HighlightBudget,
    Theme,
    code_block_html,
    palette,
)

# Each nested list costs two levels and each quote one; past this markdown-it silently
# drops content, so reaching it makes the caller show the message as plain text.
MAX_NESTING = 20
# Inline parsing of adversarial text ("[[[[", "![![") costs ~10 us per character and
# each inline run (paragraph, table cell) ~15 us of setup; past these per-message
# budgets, runs are shown as plain text instead.
INLINE_BUDGET_CHARS = 100_000
INLINE_BUDGET_RUNS = 10_000
_CONTAINERS = frozenset({"blockquote_open", "list_item_open"})
_TASK_RE = re.compile(r"\[([ xX])\][ \t\n\v\f\r]")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_SHOWN_MAX = 80
_PLAIN_TAGS = {
    "blockquote": "blockquote",
    "bullet_list": "ul",
    "list_item": "li",
    "em": "i",
    "strong": "b",
    "s": "s",
    "thead": "thead",
    "tbody": "tbody",
    "tr": "tr",
}
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_ALIGNS = {"text-align:left": "left", "text-align:center": "center", "text-align:right": "right"}


def _limit_inline(state: StateCore) -> None:
    """Core rule: past the budgets, mark inline runs as plain so they skip inline parsing."""
    chars, runs = INLINE_BUDGET_CHARS, INLINE_BUDGET_RUNS
    for token in state.tokens:
        if token.type != "inline":
            continue
        if runs > 0 and len(token.content) <= chars:
            chars -= len(token.content)
            runs -= 1
        else:
            token.type = "inline_plain"


def _task_items(state: StateCore) -> None:
    """Core rule: GFM task items ("- [x] done") get a ``task_checkbox`` token.

    Same detection as mdit_py_plugins.tasklists, whose parent-list lookup is quadratic
    in the list length (2 s for 5,000 items), and without its <input> HTML.
    """
    tokens = state.tokens
    for i in range(2, len(tokens)):
        token = tokens[i]
        if not (
            token.type == "inline"
            and token.children
            and token.children[0].type == "text"
            and tokens[i - 1].type == "paragraph_open"
            and tokens[i - 2].type == "list_item_open"
        ):
            continue
        match = _TASK_RE.match(token.children[0].content)
        if match is not None:
            first = token.children[0]
            first.content = first.content[3:]
            box = Token("task_checkbox", "", 0, meta={"checked": match.group(1) != " "})
            token.children.insert(0, box)


@functools.cache
def _parser() -> MarkdownIt:
    """The shared parser: CommonMark without raw HTML, plus GFM tables, strikethrough, tasks."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.core.ruler.before("inline", "limit_inline", _limit_inline)
    md.core.ruler.push("task_items", _task_items)
    return md


def parse_markdown(text: str, env: dict[str, Any] | None = None) -> list[Token] | None:
    """Parse Markdown into tokens; None when it must be shown as plain text instead."""
    try:
        tokens = _parser().parse(text, env if env is not None else {})
    except Exception:  # untrusted input must never break the chat view
        return None
    # A container opened this deep means markdown-it dropped what was inside it.
    if any(t.type in _CONTAINERS and t.level >= MAX_NESTING - 2 for t in tokens):
        return None
    return tokens


def escape_html(text: str) -> str:
    """Escape text for element content and for double-quoted attribute values."""
    return html.escape(text, quote=True)


def safe_href(url: str) -> str | None:
    """Return ``url`` if it may be a clickable link (http, https, mailto), else None.

    markdown-it's own validateLink has already rejected javascript:, vbscript:, file:
    and most data: URLs before this runs; this allow-list also drops relative paths
    and every other scheme, which a QTextBrowser could otherwise try to open locally.
    """
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES:
        return None
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        return None
    return candidate


def _shown_url(url: str) -> str:
    """A URL shortened for display, so a huge data: URL cannot flood the view."""
    if len(url) <= _URL_SHOWN_MAX:
        return url
    return url[: _URL_SHOWN_MAX - 1] + "…"


def _plain_text(tokens: Sequence[Token]) -> str:
    """The visible text of inline tokens (used for image alt text)."""
    parts: list[str] = []
    for token in tokens:
        if token.type == "image":
            parts.append(_plain_text(token.children or []))
        elif token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


class HtmlWriter:
    """Render a markdown-it token stream with an allow-list of tags and attributes.

    Tokens are walked in a flat loop (markdown-it streams are flat apart from one
    level of inline children), so deep nesting cannot exhaust the Python stack.
    """

    def __init__(self, theme: Theme, first_code_index: int = 0) -> None:
        self.theme = theme
        self.code_index = first_code_index
        self._budget = HighlightBudget()
        self._link_open: list[bool] = []

    def render(self, tokens: Sequence[Token]) -> str:
        """HTML for a block-level token stream."""
        out: list[str] = []
        for token in tokens:
            if token.type == "inline":
                out.append(self._inline(token.children or []))
            else:
                out.append(self._block(token))
        return "".join(out)

    def _block(self, token: Token) -> str:
        kind = token.type
        if kind in ("fence", "code_block"):
            index = self.code_index
            self.code_index += 1
            info = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
            return code_block_html(token.content, info, index, self.theme, self._budget)
        if kind == "paragraph_open":
            return "" if token.hidden else "<p>"
        if kind == "paragraph_close":
            return "" if token.hidden else "</p>\n"
        if kind == "hr":
            return "<hr />\n"
        if kind in ("heading_open", "heading_close"):
            tag = token.tag if token.tag in _HEADINGS else "p"
            return f"<{tag}>" if token.nesting == 1 else f"</{tag}>\n"
        if kind == "ordered_list_open":
            start = token.attrs.get("start")
            return f'<ol start="{int(start)}">\n' if isinstance(start, int) else "<ol>\n"
        if kind == "ordered_list_close":
            return "</ol>\n"
        if kind == "table_open":
            return '<table border="1" cellpadding="4" cellspacing="0">\n'
        if kind == "table_close":
            return "</table>\n"
        if kind in ("th_open", "td_open"):
            align = _ALIGNS.get(str(token.attrs.get("style", "")))
            return f'<{token.tag} align="{align}">' if align else f"<{token.tag}>"
        if kind in ("th_close", "td_close"):
            return f"</{token.tag}>"
        return self._simple_block(token)

    def _simple_block(self, token: Token) -> str:
        """Tags without attributes; anything else (inline_plain too) is escaped text."""
        base, _, edge = token.type.rpartition("_")
        tag = _PLAIN_TAGS.get(base)
        if tag is not None and edge in ("open", "close"):
            if edge == "close":
                return f"</{tag}>\n" if token.block else f"</{tag}>"
            # Qt turns a newline after an inline or <li> opening tag into a visible space.
            return f"<{tag}>\n" if token.block and tag != "li" else f"<{tag}>"
        return escape_html(token.content)

    def _inline(self, children: Sequence[Token]) -> str:
        out: list[str] = []
        self._link_open = []
        for token in children:
            kind = token.type
            if kind in ("text", "text_special"):
                out.append(escape_html(token.content))
            elif kind == "softbreak":
                out.append("\n")
            elif kind == "hardbreak":
                out.append("<br />\n")
            elif kind == "code_inline":
                out.append(self._code_inline(token.content))
            elif kind == "link_open":
                out.append(self._link_open_html(token))
            elif kind == "link_close":
                out.append("</a>" if self._link_open and self._link_open.pop() else "")
            elif kind == "image":
                out.append(self._image(token))
            elif kind == "task_checkbox":
                out.append("☑" if token.meta.get("checked") else "☐")
            else:
                out.append(self._simple_block(token))
        return "".join(out)

    def _code_inline(self, code: str) -> str:
        bg = palette(self.theme).inline_code_bg
        return f'<code style="background-color: {bg};">{escape_html(code)}</code>'

    def _link_open_html(self, token: Token) -> str:
        href = safe_href(str(token.attrs.get("href", "")))
        self._link_open.append(href is not None)
        return f'<a href="{escape_html(href)}">' if href is not None else ""

    def _image(self, token: Token) -> str:
        """An image never loads: it becomes a label, clickable when its URL is safe."""
        src = str(token.attrs.get("src", ""))
        alt = _plain_text(token.children or []).strip() or "image"
        label = escape_html(f"🖼 {alt} ({_shown_url(src)})")
        href = safe_href(src)
        # Inside a link an anchor is already open; Qt does not nest anchors.
        if href is None or any(self._link_open):
            return label
        return f'<a href="{escape_html(href)}">{label}</a>'
