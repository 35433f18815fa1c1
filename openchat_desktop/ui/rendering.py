"""Markdown to HTML for the chat view, in the current theme, with a small cache.

``core.markdown_render`` (and with it pygments) is imported on the first render rather than
at start-up, so the window appears before any highlighting machinery is loaded.
"""

from __future__ import annotations

from collections import OrderedDict
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openchat_desktop.core.markdown.render import StreamingMarkdown, Theme

_CACHE_SIZE = 256
# The Copy link core.code_highlight writes above each code block. Model text can't produce
# this markup: every piece of it is escaped, so only the real link is renamed.
_COPY_LINK_END = '">Copy</a>'


class Renderer:
    """Renders reply Markdown for one theme; ``set_theme`` switches it and drops the cache."""

    def __init__(self, theme: Theme = "light", copy_label: str = "Copy") -> None:
        self.theme: Theme = theme
        self.copy_label = copy_label
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._css: str | None = None

    def set_copy_label(self, label: str) -> bool:
        """Name the code blocks' Copy link in the interface language; True if it changed."""
        if label == self.copy_label:
            return False
        self.copy_label = label
        self._cache.clear()
        return True

    def _localise(self, html: str) -> str:
        if self.copy_label == "Copy":
            return html
        return html.replace(_COPY_LINK_END, f'">{escape(self.copy_label)}</a>')

    def set_theme(self, theme: Theme) -> bool:
        """Switch theme; True when it changed (the caller re-renders what it shows)."""
        if theme == self.theme:
            return False
        self.theme = theme
        self._cache.clear()
        self._css = None
        return True

    def html(self, text: str) -> str:
        # Re-opening a conversation renders the same replies again: keep recent results.
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        from openchat_desktop.core.markdown.render import render_markdown

        return self._remember(text, self._localise(render_markdown(text, self.theme)))

    def finished_html(self, stream: StreamingMarkdown, text: str) -> str:
        """The HTML of a reply that streamed as ``text`` (its last block rendered now, the
        rest as it streamed): what ``html(text)`` gives, and from now on its cached value."""
        if stream.theme != self.theme:  # the theme changed while it streamed
            return self.html(text)
        return self._remember(text, self._localise(stream.finish()))

    def _remember(self, text: str, rendered: str) -> str:
        self._cache[text] = rendered
        self._cache.move_to_end(text)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return rendered

    def css(self) -> str:
        if self._css is None:
            from openchat_desktop.core.markdown.render import document_css

            self._css = document_css(self.theme)
        return self._css

    def streaming(self) -> StreamingMarkdown:
        from openchat_desktop.core.markdown.render import StreamingMarkdown

        return StreamingMarkdown(self.theme)

    def stream_html(self, stream: StreamingMarkdown) -> str:
        """The completed blocks of a streaming reply, with the Copy link localised."""
        return self._localise(stream.stable_html())

    @staticmethod
    def code_blocks(text: str) -> list[str]:
        from openchat_desktop.core.markdown.render import code_blocks

        return code_blocks(text)
