"""HTML: visible text only, sections at h1–h6 with their path, the <title>, the charset."""

from __future__ import annotations

from pathlib import Path

from openchat_desktop.core.docs.readers import read_document

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>  The  Guide </title>
<style>body { color: red }</style><script>var hidden = "script text";</script></head>
<body>
<nav><a href="/">Home navigation link</a></nav>
<div role="navigation">Sidebar menu</div>
<p>Lead paragraph &amp; more.</p>
<h1>Getting started<a class="headerlink" href="#gs">¶</a></h1>
<p>Install it   with
   pip.</p>
<h2>On <em>Linux</em></h2>
<ul><li>apt</li><li>dnf</li></ul>
<pre>line one
    indented line</pre>
<h3>Details</h3><p>Fine print.</p>
<h2>On Windows</h2><p>Use the installer.<br>Then restart.</p>
<div hidden>secret hidden text</div>
</body></html>
"""


def test_sections_follow_headings(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "The Guide"
    assert [s.heading for s in doc.sections] == [
        None, "Getting started", "Getting started › On Linux",
        "Getting started › On Linux › Details", "Getting started › On Windows"]
    texts = [s.text for s in doc.sections]
    assert texts[0] == "Lead paragraph & more."
    assert texts[1] == "Getting started\n\nInstall it with pip."
    assert texts[2] == "On Linux\n\napt\ndnf\n\nline one\n    indented line"
    assert texts[4] == "On Windows\n\nUse the installer.\nThen restart."


def test_page_furniture_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "guide.htm"
    path.write_text(PAGE, encoding="utf-8")
    everything = " ".join(s.text for s in read_document(path).sections)
    for furniture in ("script text", "color: red", "Home navigation", "Sidebar menu", "¶",
                      "secret hidden"):
        assert furniture not in everything


def test_title_falls_back_to_first_h1_then_file_name(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_text("<h1>Main Heading</h1><p>x</p>", encoding="utf-8")
    assert read_document(path).title == "Main Heading"
    path.write_text("<p>only text</p>", encoding="utf-8")
    assert read_document(path).title == "a.html"


def test_declared_charset_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
    path.write_bytes(html.encode() + "<p>Привет мир</p>".encode("koi8-r"))
    assert read_document(path).sections[0].text == "Привет мир"


def test_broken_markup_still_gives_its_text(tmp_path: Path) -> None:
    path = tmp_path / "broken.html"
    path.write_text("<div><p>unclosed <b>bold <i>both</div><h2>Next<p>after", encoding="utf-8")
    doc = read_document(path)
    assert [s.heading for s in doc.sections] == [None, "Next"]
    assert doc.sections[0].text == "unclosed bold both"


def test_inline_markup_keeps_words_whole_and_hidden_parts_out(tmp_path: Path) -> None:
    path = tmp_path / "code.html"
    path.write_text(
        '<p>Call <code class="x"><span class="n">os</span><span class="o">.</span>'
        '<span class="n">getcwd</span></code>() to <em>get</em> '
        '<span title="a &quot;quoted&quot; value">it</span>'
        '<span aria-hidden="true">decoration</span><b hidden>concealed</b>.</p>',
        encoding="utf-8")
    assert read_document(path).sections[0].text == "Call os.getcwd() to get it."


def test_inline_markup_without_hidden_parts(tmp_path: Path) -> None:
    path = tmp_path / "plain.html"
    path.write_text('<p>A <span class="k">def</span> <i>word</i><sub>2</sub>.</p><h2>Next</h2>',
                    encoding="utf-8")
    assert [s.text for s in read_document(path).sections] == ["A def word2.", "Next"]
