"""Syntax-highlighted code blocks for Qt rich text: inline colour spans, no CSS classes."""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import Literal

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, guess_lexer
from pygments.styles import get_all_styles, get_style_by_name
from pygments.token import Token
from pygments.util import ClassNotFound

Theme = Literal["light", "dark"]

# Lexing is roughly linear but slow (about 2 ms per KB): a block over this stays plain.
HIGHLIGHT_MAX_CHARS = 100_000
# guess_lexer tries every lexer (several ms each time), so only short unlabelled blocks
# are guessed at, and only a few per message.
GUESS_MAX_CHARS = 2_000
_LABEL_MAX = 30
# Guesses are often wrong; only trust those that name a common language.
_TRUSTED_GUESSES = frozenset(
    ("python", "javascript", "typescript", "json", "bash", "c", "cpp", "java", "rust", "go"),
) | frozenset(("sql", "html", "css", "yaml", "toml", "xml", "csharp", "php", "ruby", "diff"))


@dataclass
class HighlightBudget:
    """How much highlighting one render may still do, so many blocks stay cheap too."""

    chars: int = 2 * HIGHLIGHT_MAX_CHARS
    guesses: int = 20


@dataclass(frozen=True)
class Palette:
    """Colours of one theme: the Pygments style plus the frame around code."""

    pygments_style: str
    code_bg: str
    code_fg: str
    header_bg: str
    header_fg: str
    inline_code_bg: str
    link: str
    quote_fg: str


# Frame colours per theme: header bg, header text, inline-code bg, link, quote text.
_FRAME = {
    "light": ("#e4e7eb", "#57606a", "#eff1f3", "#0969da", "#57606a"),
    "dark": ("#30363d", "#9da7b3", "#343942", "#58a6ff", "#9da7b3"),
}


def _style_name(theme: Theme) -> str:
    if theme == "light":
        return "default"
    available = set(get_all_styles())
    return next((s for s in ("github-dark", "monokai") if s in available), "native")


@functools.cache
def palette(theme: Theme) -> Palette:
    """The colours for ``theme`` ("light" or "dark"); ValueError for anything else."""
    if theme not in _FRAME:
        raise ValueError(f"unknown theme {theme!r}: use 'light' or 'dark'")
    name = _style_name(theme)
    style = get_style_by_name(name)
    # Styles such as "default" leave plain text uncoloured; pick one that suits the bg.
    text_colour = style.style_for_token(Token.Text)["color"]
    code_fg = f"#{text_colour}" if text_colour else ("#1f2328" if theme == "light" else "#e6edf3")
    return Palette(name, style.background_color, code_fg, *_FRAME[theme])


@functools.cache
def _formatter(theme: Theme) -> HtmlFormatter[str]:
    return HtmlFormatter(noclasses=True, nowrap=True, style=palette(theme).pygments_style)


@functools.lru_cache(maxsize=64)
def _lexer_by_name(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _pick_lexer(code: str, info: str, budget: HighlightBudget) -> tuple[Lexer | None, str]:
    """The lexer for a block and the language label shown above it."""
    if info:
        return _lexer_by_name(info.lower()), info[:_LABEL_MAX]
    if len(code) > GUESS_MAX_CHARS or budget.guesses <= 0:
        return None, "text"
    budget.guesses -= 1
    try:
        guessed = guess_lexer(code)
    except ClassNotFound:
        return None, "text"
    alias = guessed.aliases[0] if guessed.aliases else ""
    if alias not in _TRUSTED_GUESSES:
        return None, "text"
    return _lexer_by_name(alias), guessed.name


def highlight_code(code: str, lexer: Lexer | None, theme: Theme, budget: HighlightBudget) -> str:
    """Code as escaped HTML with inline colour spans (plain escaped text if no lexer)."""
    if lexer is None or len(code) > min(HIGHLIGHT_MAX_CHARS, budget.chars):
        return html.escape(code, quote=True)
    budget.chars -= len(code)
    # Some lexers always end with a newline, which Qt would show as an empty last line.
    return str(highlight(code, lexer, _formatter(theme))).removesuffix("\n")


def code_block_html(code: str, info: str, index: int, theme: Theme, budget: HighlightBudget) -> str:
    """A code block framed as a table: language label and ``copy:index`` link, then code."""
    colours = palette(theme)
    body = code.removesuffix("\n")
    lexer, label = _pick_lexer(body, info, budget)
    highlighted = highlight_code(body, lexer, theme, budget)
    header = f'bgcolor="{colours.header_bg}"'
    return (
        f'<table width="100%" border="0" cellspacing="0" cellpadding="6" '
        f'bgcolor="{colours.code_bg}">\n'
        f'<tr><td {header}><span style="color: {colours.header_fg};">'
        f"{html.escape(label, quote=True)}</span></td>"
        f'<td {header} align="right"><a href="copy:{index}">Copy</a></td></tr>\n'
        f'<tr><td colspan="2"><pre style="color: {colours.code_fg};">'
        f"{highlighted}</pre></td></tr>\n</table>\n"
    )
