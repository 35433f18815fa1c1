"""Markdown to Qt rich text: formatting, code blocks, safety, limits and streaming."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.markdown.render import (
    StreamingMarkdown,
    code_blocks,
    document_css,
    render_markdown,
)

FORBIDDEN_TAG = re.compile(r"<\s*/?\s*(style|script|iframe|object|img|link|meta|input)\b", re.I)
ALLOWED_ATTRS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("b", "i", "s", "ul", "li", "blockquote", "hr", "br"), frozenset[str]()),
    **dict.fromkeys(("thead", "tbody", "tr", "h1", "h2", "h3", "h4", "h5", "h6"), frozenset[str]()),
    **dict.fromkeys(("p", "code", "pre", "span"), frozenset({"style"})),
    "a": frozenset({"href"}),
    "ol": frozenset({"start"}),
    "table": frozenset({"width", "border", "cellspacing", "cellpadding", "bgcolor"}),
    "td": frozenset({"bgcolor", "align", "colspan"}),
    "th": frozenset({"align"}),
}
SAFE_HREF = re.compile(r"^(https?://[^\s\"'<>]+|mailto:[^\s\"'<>]*|copy:\d+)$")
ADVERSARIAL = [
    "<script>alert(1)</script>",
    "<img src=http://e/x onerror=alert(1)>",
    "<iframe src=//e>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](file:///etc/passwd)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox)",
    "[x](./relative/path)",
    "![x](http://e/p.png)",
    "![x](data:image/png;base64,AAAA)",
    '<a href="javascript:alert(1)">y</a>',
    "&lt;script&gt;",
    "&#60;iframe&#62;",
    "<javascript:alert(1)>",
    "<https://ok.example/>",
    "[ref][r]\n\n[r]: javascript:alert(1)\n",
    "[ok][o]\n\n[o]: https://ok.example/\n",
    '<style>body{background:url("http://e/")}</style>',
    "<object data=x>",
    "<link rel=stylesheet href=http://e/>",
    "<meta http-equiv=refresh>",
    "<input type=checkbox>",
    "```html\n<script>x</script>\n```\n",
    "`<img src=x>`",
    "- [ ] task\n- [x] done\n",
    "| a | <b> |\n|---|---|\n| <i> | c |\n",
    "\n\n",
    "> ",
    "* ",
    "[",
    "](",
    '"',
    "'",
]


class _Collector(HTMLParser):
    """Collects every start tag with its attributes, and the text between tags."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_safe(html: str) -> None:
    """Only allow-listed tags and attributes; links only to safe schemes; no url()."""
    assert FORBIDDEN_TAG.search(html) is None, html
    for tag, attrs in _Collector(html).tags:
        assert tag in ALLOWED_ATTRS, (tag, html)
        for name, value in attrs:
            assert name in ALLOWED_ATTRS[tag], (tag, name, html)
            if name == "href":
                assert value is not None and SAFE_HREF.match(value), value
            if name == "style":
                assert value is not None and "url(" not in value and "expression" not in value


def plain(html: str) -> str:
    """Visible text, roughly: tags removed, entities decoded."""
    return "".join(_Collector(html).text)


def test_formatting() -> None:
    html = render_markdown(
        "# Title\n\n*em* **strong** ~~gone~~ `x < y`\n\n> quoted\n\n"
        "3. three\n4. four\n\n---\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n"
    )
    assert "<h1>Title</h1>" in html
    assert "<i>em</i> <b>strong</b> <s>gone</s>" in html
    assert ">x &lt; y</code>" in html
    assert "<blockquote>\n<p>quoted</p>" in html
    assert '<ol start="3">' in html
    assert "<hr />" in html
    assert '<table border="1" cellpadding="4" cellspacing="0">' in html
    assert '<th align="left">a</th><th align="right">b</th>' in html
    assert_safe(html)


def test_task_lists_render_as_characters() -> None:
    html = render_markdown("- [ ] todo\n- [x] done\n- [X] also\n- plain\n")
    assert "<li>☐ todo</li>" in html
    assert "<li>☑ done</li>" in html
    assert "<li>☑ also</li>" in html
    assert "<input" not in html


def test_raw_html_is_shown_as_text() -> None:
    html = render_markdown("<script>alert(1)</script>\n\nhi <b>there</b> &lt;i&gt;")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<b>" not in html
    assert "&lt;i&gt;" in html  # an entity stays visible text, never becomes a tag


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("[a](https://example.com/x?q=1&r=2)", "https://example.com/x?q=1&amp;r=2"),
        ("[a](http://example.com)", "http://example.com"),
        ("[a](mailto:me@example.com)", "mailto:me@example.com"),
        ("<https://example.com/auto>", "https://example.com/auto"),
        ("[a][r]\n\n[r]: https://example.com/ref", "https://example.com/ref"),
    ],
)
def test_safe_links_keep_their_href(markdown: str, href: str) -> None:
    assert f'<a href="{href}">' in render_markdown(markdown)


@pytest.mark.parametrize(
    "markdown",
    [
        "[a](javascript:alert(1))",
        "[a](file:///etc/passwd)",
        "[a](data:text/html,x)",
        "[a](vbscript:x)",
        "[a](./docs/readme.md)",
        "[a](//example.com/x)",
        "[a](ftp://example.com/x)",
        "[a](copy:0)",
        "<javascript:alert(1)>",
        '<a href="javascript:alert(1)">a</a>',
        "[a][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_unsafe_links_become_text(markdown: str) -> None:
    html = render_markdown(markdown)
    assert "<a " not in html
    assert "a" in plain(html)


def test_images_are_never_loaded() -> None:
    text = "![a cat](http://e/p.png) ![local](cat.png) ![d](data:image/png;base64,AA)"
    html = render_markdown(text)
    assert "<img" not in html
    assert '<a href="http://e/p.png">🖼 a cat (http://e/p.png)</a>' in html
    assert "🖼 local (cat.png)" in html and "🖼 d (data:image/png;base64,AA)" in html
    assert html.count("<a ") == 1


def test_code_blocks_are_highlighted_with_header_and_copy_link() -> None:
    text = (
        "```python\ndef f():\n    return '<b>'\n```\n\ntext\n\n"
        "    indented\n\n```nosuchlang\nx\n```\n"
    )
    html = render_markdown(text)
    assert html.count("<pre") == 3
    assert '<a href="copy:0">Copy</a>' in html and '<a href="copy:2">Copy</a>' in html
    assert '<span style="color: #008000; font-weight: bold">def</span>' in html
    assert "'&lt;b&gt;'" in html and "<b>" not in html
    assert ">python</span>" in html and ">nosuchlang</span>" in html
    assert code_blocks(text) == ["def f():\n    return '<b>'\n", "indented\n", "x\n"]
    assert_safe(html)


def test_themes_use_matching_backgrounds() -> None:
    text = "```python\nx = 1\n```\n"
    light, dark = render_markdown(text, "light"), render_markdown(text, "dark")
    assert 'bgcolor="#f8f8f8"' in light
    assert light != dark and 'bgcolor="#f8f8f8"' not in dark
    assert "monospace" in document_css("dark") and document_css("light") != document_css("dark")
    with pytest.raises(ValueError, match="theme"):
        render_markdown("x", "blue")  # type: ignore[arg-type]


def test_big_unlabelled_block_is_not_guessed() -> None:
    code = "int main(void) { return 0; }\n" * 3000
    start = time.perf_counter()
    html = render_markdown(f"```\n{code}```\n")
    assert time.perf_counter() - start < 5
    assert ">text</span>" in html and '<span style="color' not in html.split("<pre", 1)[1]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_safe(text: str) -> None:
    assert_safe(render_markdown(text))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(ADVERSARIAL) | st.text(alphabet="<>[]()!*_`~&#;:/\\\"' \nax-|", max_size=8),
        max_size=12,
    ),
    st.sampled_from(["light", "dark"]),
)
def test_adversarial_fragments_are_safe(parts: list[str], theme: str) -> None:
    html = render_markdown("".join(parts), theme)  # type: ignore[arg-type]
    assert_safe(html)


NASTY = {
    "1 MB line": " ".join(["deep", "*em*", "[l](http://a)", "<b>", "`c`"] * 40_000)[:1_000_000],
    "1 MB of [": "[" * 999_996 + "deep",
    "250 KB line of ![": "![" * 125_000 + "deep",
    "> x 5000": ">" * 5000 + " deep",
    "[ x 10000": "[" * 10_000 + "deep" + "]" * 10_000,
    "* nesting": "*" * 5000 + "deep" + "*" * 5000,
    "_* nesting": "*_" * 5000 + "deep" + "_*" * 5000,
    "nested lists x 1000": "- " * 1000 + "deep",
    "indented lists x 300": "\n".join(" " * (2 * i) + "- deep" for i in range(300)),
    "quotes in lists x 300": "\n".join(" " * (2 * i) + "- > deep" for i in range(300)),
    "table 50k cells": "|a|b|\n|-|-|\n" + "|1|deep|\n" * 25_000,
}


@pytest.mark.parametrize("name", list(NASTY))
def test_pathological_input_renders_in_bounded_time(name: str) -> None:
    text = NASTY[name]
    start = time.perf_counter()
    html = render_markdown(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"{name}: {elapsed:.2f} s"
    assert "deep" in html  # nothing silently dropped
    assert FORBIDDEN_TAG.search(html) is None


def test_too_deep_nesting_falls_back_to_plain_text() -> None:
    text = "> " * 50 + "<b>hidden?</b>"
    html = render_markdown(text)
    assert html.startswith('<p style="white-space: pre-wrap;">')
    assert "&lt;b&gt;hidden?&lt;/b&gt;" in html and "<blockquote>" not in html
    assert code_blocks(text) == []


MESSAGE = """# Sorting

Sort **in place** with `list.sort()`:

```python
numbers = [3, 1, 2]

numbers.sort()
```

1. First

2. Second
   continued

- [ ] todo
- [x] done

| Method | Returns |
|:--|--:|
| `sorted` | new list |

> quote
>
> more

    indented

    code
Setext
------

~~~
fence
~~~
The end, see [docs](https://docs.python.org).
"""


def _tokens(text: str) -> list[str]:
    return re.findall(r"\s*\S{1,4}|\s+", text)


def test_streaming_renders_each_block_once_and_matches_full_render() -> None:
    sources: list[str] = []
    stream = StreamingMarkdown("dark", on_render=sources.append)
    final = render_markdown(MESSAGE, "dark")
    fed = ""
    for token in _tokens(MESSAGE):
        before = stream.render_count
        stream.feed(token)
        fed += token
        assert stream.render_count - before <= 1
        assert final.startswith(stream.stable_html())
        assert "".join(sources) + stream.tail_text() == fed
    # Nine chunks while streaming (indented code and the setext heading touch, so they
    # complete together); the last paragraph stays the tail until finish().
    assert len(sources) == 9
    assert stream.tail_text().startswith("The end")
    # finish() renders only the last paragraph: nothing in the message can change the rest.
    assert stream.finish() == final
    assert sources[-1] == "The end, see [docs](https://docs.python.org).\n"
    assert "".join(sources) == MESSAGE and stream.render_count == 10
    assert stream.stable_html() == final and stream.tail_text() == ""
    with pytest.raises(RuntimeError):
        stream.feed("more")


def test_streaming_resolves_forward_references_and_split_crlf() -> None:
    text = "See [docs][d].\r\n\r\nMore.\r\n\r\n[d]: https://example.com\r\n"
    stream = StreamingMarkdown()
    for i in range(0, len(text), 3):
        stream.feed(text[i : i + 3])
    assert "[docs][d]" in stream.stable_html()  # not known yet while streaming
    assert stream.finish() == render_markdown(text)
    assert '<a href="https://example.com">docs</a>' in stream.finish()


def test_streaming_finish_renders_the_last_block_alone_across_split_crlf() -> None:
    text = "First *block*.\r\n\r\n```\r\ncode\r\n```\r\n\r\nLast line.\r"
    sources: list[str] = []
    stream = StreamingMarkdown(on_render=sources.append)
    for i in range(0, len(text), 2):
        stream.feed(text[i : i + 2])
    assert stream.finish() == render_markdown(text)
    # The last line is not complete before the end (its CR may start a CR LF), so the
    # fence and it are the tail: the first block is not rendered again.
    assert sources == ["First *block*.\n\n", "```\ncode\n```\n\nLast line.\n"]


def test_streaming_finish_renders_the_whole_after_a_plain_text_block() -> None:
    # A block too deeply nested was shown as plain text; the whole message, rendered at
    # once, falls back the same way, so finish() must not keep the blocks as they were.
    text = "Intro.\n\n" + "> " * 50 + "deep\n\nEnd."
    sources: list[str] = []
    stream = StreamingMarkdown(on_render=sources.append)
    for i in range(0, len(text), 5):
        stream.feed(text[i : i + 5])
    assert stream.finish() == render_markdown(text)
    assert sources[-1] == text


BLOCKS = [
    "# H\n",
    "see [it][r] and [x]\n",
    "[r]: https://example.com\n",
    "para *a*\nline two\n",
    "- a\n- b\n",
    "1. x\n",
    "2. y\n",
    "   indented continuation\n",
    "```\ncode\n\nmore\n```\n",
    "    ind\n",
    "> q\n",
    "| a |\n|---|\n| 1 |\n",
    "---\n",
    "text\n===\n",
    "* [x] t\n",
]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(BLOCKS), st.sampled_from(["", "\n", "\n\n"])), max_size=8),
    st.integers(min_value=1, max_value=7),
)
def test_streaming_stable_html_is_always_a_prefix(blocks: list[tuple[str, str]], step: int) -> None:
    text = "".join(block + gap for block, gap in blocks)
    final = render_markdown(text)
    stream = StreamingMarkdown()
    defines = "[r]:" in text  # until then, a use of it above stays literal text
    for i in range(0, len(text), step):
        stream.feed(text[i : i + step])
        assert defines or final.startswith(stream.stable_html())
    assert stream.finish() == final


def test_qt_accepts_html_and_loads_no_resources(qapp: object) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument

    requested: list[QUrl] = []

    class RecordingDocument(QTextDocument):
        def loadResource(self, kind: int, url: QUrl | str) -> object:
            requested.append(QUrl(url))
            return super().loadResource(kind, url)

    text = (
        "<script>alert(1)</script>\n\n![cat](http://e/cat.png) <img src=http://e/x.png>\n\n"
        "| a |\n|---|\n| b |\n\n```python\nx = 1\n```\n"
    )
    document = RecordingDocument()
    document.setDefaultStyleSheet(document_css("light"))
    document.setHtml(render_markdown(text))
    visible = document.toPlainText()
    assert "<script>alert(1)</script>" in visible
    assert "🖼 cat (http://e/cat.png)" in visible and "<img src=http://e/x.png>" in visible
    assert "Copy" in visible and "x = 1" in visible
    assert not [url for url in requested if url.scheme() in ("http", "https", "ftp", "file")]
    assert requested == []
