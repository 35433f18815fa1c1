"""The docs prompt: numbered passages within a budget, the sources behind the numbers, and the
block going into the last user message only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openchat_desktop.core.docs.context import (
    INSTRUCTION,
    MIN_BUDGET_CHARS,
    DocsPrompt,
    build_docs_prompt,
    cut_at_word,
    docs_budget_chars,
    join_overlapping,
    merge_adjacent,
    source_lines,
    with_docs,
)
from openchat_desktop.core.docs.types import Passage, Source
from openchat_desktop.core.llm.templates import ChatMessage

WORDS = "the quick brown fox jumps over a lazy dog while seven owls watch quietly "


def passage(chunk_id: int, text: str, path: str = "/docs/a.md", title: str = "Guide",
            score: float = 1.0, **where: object) -> Passage:
    return Passage(chunk_id=chunk_id, text=text, path=Path(path), title=title, score=score,
                   **where)  # type: ignore[arg-type]


def prose(chars: int, start: str = "") -> str:
    text = start + WORDS * (chars // len(WORDS) + 1)
    return text[:chars].rstrip()


def test_passages_are_numbered_in_rank_order_with_title_and_location() -> None:
    found = [passage(10, "Install with pip.", "/d/install.md", "Install", heading="Linux"),
             passage(50, "Page four says hello.", "/d/manual.pdf", "Manual", page=4),
             passage(90, "def main(): pass", "/d/app.py", "app.py", line=120)]
    prompt = build_docs_prompt("how do I install?", found, budget_chars=4000)
    assert prompt.text.startswith(INSTRUCTION)
    assert "[1] Install — Linux\nInstall with pip." in prompt.text
    assert "[2] Manual — p. 4\nPage four says hello." in prompt.text
    assert "[3] app.py — line 120\ndef main(): pass" in prompt.text
    assert prompt.text.index("[1]") < prompt.text.index("[2]") < prompt.text.index("[3] app")
    assert [(s.number, s.path.name, s.location, s.page) for s in prompt.sources] == [
        (1, "install.md", "Linux", None), (2, "manual.pdf", "p. 4", 4),
        (3, "app.py", "line 120", None)]
    assert prompt.sources[1].text == "Page four says hello." and prompt.sources[1].chunk_id == 50


def test_a_passage_that_does_not_fit_is_cut_at_a_word_when_enough_fits() -> None:
    first = passage(1, prose(400), "/d/one.txt", "One")
    second = passage(9, prose(3000, "Second "), "/d/two.txt", "Two")
    budget = len(INSTRUCTION) + 1100
    prompt = build_docs_prompt("q", [first, second], budget_chars=budget)
    assert len(prompt.text) <= budget
    assert [s.number for s in prompt.sources] == [1, 2]
    cut = prompt.sources[1].text
    assert cut.endswith("…") and 300 <= len(cut) < 3000
    assert prose(3000, "Second ").startswith(cut[:-1])  # a prefix of the passage …
    assert prose(3000, "Second ")[len(cut) - 1] == " "  # … ending where a word ended
    assert cut in prompt.text


def test_a_passage_too_big_for_what_is_left_is_dropped_and_a_smaller_one_still_fits() -> None:
    big = passage(1, prose(2000, "Big "), "/d/big.txt", "Big")
    small = passage(7, "A short answer that fits.", "/d/small.txt", "Small")
    # Room for about 250 characters after the instruction: less than the shortest cut.
    prompt = build_docs_prompt("q", [big, small], budget_chars=len(INSTRUCTION) + 250)
    assert [(s.number, s.title) for s in prompt.sources] == [(1, "Small")]
    assert "[1] Small" in prompt.text and "Big" not in prompt.text


def test_nothing_fits_or_nothing_found_gives_an_empty_prompt() -> None:
    assert build_docs_prompt("q", [], budget_chars=5000) == DocsPrompt("")
    assert build_docs_prompt("q", [passage(1, prose(5000))], budget_chars=200).text == ""
    assert build_docs_prompt("   ", [passage(1, "text")], budget_chars=5000).sources == []


def test_max_passages_caps_the_numbers() -> None:
    found = [passage(i * 10, f"passage {i}", f"/d/{i}.txt") for i in range(8)]
    prompt = build_docs_prompt("q", found, budget_chars=10_000, max_passages=3)
    assert [s.path.name for s in prompt.sources] == ["0.txt", "1.txt", "2.txt"]
    assert "[4]" not in prompt.text


def test_neighbouring_chunks_of_one_file_are_joined_without_repeating_the_overlap() -> None:
    whole = " ".join(f"word{i}" for i in range(150))
    first, second = whole[:500], whole[350:]  # 150 characters repeated, like the chunker
    found = [passage(21, second, score=3.0, line=30), passage(5, "elsewhere", "/d/b.md"),
             passage(20, first, score=2.0, line=1), passage(22, "x" * 50, "/d/other.md")]
    merged = merge_adjacent(found)
    assert [p.path.name for p in merged] == ["a.md", "b.md", "other.md"]
    assert merged[0].text == whole and merged[0].chunk_id == 20 and merged[0].line == 1
    assert merged[0].score == 3.0
    prompt = build_docs_prompt("q", found, budget_chars=10_000)
    assert [s.number for s in prompt.sources] == [1, 2, 3]
    assert prompt.text.count(whole[350:500]) == 1


def test_join_without_a_common_overlap_keeps_both_texts() -> None:
    assert join_overlapping("alpha beta", "gamma delta") == "alpha beta\ngamma delta"
    assert join_overlapping("x" * 10 + "shared tail of twenty+", "shared tail of twenty+ then") \
        == "x" * 10 + "shared tail of twenty+ then"


def test_cut_at_word() -> None:
    assert cut_at_word("short", 100) == "short"
    assert cut_at_word("one two three four", 12) == "one two"
    assert cut_at_word("https://example.org/" + "a" * 50, 30) == ("https://example.org/" +
                                                                   "a" * 50)[:30]


def test_budget_follows_the_context_with_a_floor() -> None:
    assert docs_budget_chars(8192, 0.35) == int(8192 * 0.35 * 3)
    assert docs_budget_chars(32768, 0.6) > docs_budget_chars(32768, 0.1)
    assert docs_budget_chars(256, 0.1) == MIN_BUDGET_CHARS


def test_with_docs_fills_only_the_last_user_message_and_leaves_the_history() -> None:
    history = [ChatMessage("system", "Be brief."), ChatMessage("user", "first question"),
               ChatMessage("assistant", "first answer"), ChatMessage("user", "second question")]
    prompt = build_docs_prompt("second question", [passage(1, "The fact.")], budget_chars=2000)
    sent = with_docs(history, prompt)
    assert sent[:3] == history[:3] and history[3].content == "second question"
    assert sent[3].role == "user" and sent[3].content.startswith(INSTRUCTION)
    assert sent[3].content.endswith("Question: second question")
    assert "[1] Guide\nThe fact." in sent[3].content


def test_with_docs_takes_openai_dicts_and_content_parts() -> None:
    prompt = build_docs_prompt("q", [passage(1, "The fact.")], budget_chars=2000)
    plain = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    sent = with_docs(plain, prompt)
    assert sent[0]["content"].startswith(INSTRUCTION) and plain[0]["content"] == "q"
    assert sent[1] == plain[1]
    parts: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": "q"}]}]
    sent_parts = with_docs(parts, prompt)
    content = sent_parts[0]["content"]
    assert content[0]["text"].startswith(INSTRUCTION) and content[1] == {"type": "text",
                                                                        "text": "q"}
    assert with_docs(plain, DocsPrompt("")) == plain
    assert with_docs([{"role": "system", "content": "s"}], prompt) == [
        {"role": "system", "content": "s"}]


def test_source_lines_for_the_terminal() -> None:
    sources = [Source(1, Path("/d/manual.pdf"), "Manual", "p. 4", "t", page=4),
               Source(2, Path("/d/notes.txt"), "", "", "t")]
    assert source_lines(sources) == ["[1] Manual — p. 4 — /d/manual.pdf",
                                     "[2] notes.txt — /d/notes.txt"]


@given(texts=st.lists(st.text("abc xyz\n.,", min_size=1, max_size=1500), max_size=12),
       budget=st.integers(min_value=0, max_value=6000))
def test_the_prompt_never_exceeds_its_budget_and_numbers_match_sources(
        texts: list[str], budget: int) -> None:
    found = [passage(i * 3, text, f"/d/{i}.txt") for i, text in enumerate(texts)]
    prompt = build_docs_prompt("q", found, budget_chars=budget)
    assert len(prompt.text) <= budget
    assert [s.number for s in prompt.sources] == list(range(1, len(prompt.sources) + 1))
    numbered = re.findall(r"^\[(\d+)\] ", prompt.text, flags=re.MULTILINE)
    assert [int(n) for n in numbered] == [s.number for s in prompt.sources]


def test_a_heading_that_repeats_the_title_is_left_out_of_the_location() -> None:
    page = "functools — Higher-order functions — Python 3.11 documentation"
    found = [passage(1, "lru_cache wraps a function.", "/d/functools.html", page,
                     heading="functools — Higher-order functions › Caching"),
             passage(5, "Another.", "/d/functools.html", page,
                     heading="functools — Higher-order functions"),
             passage(9, "PDF text.", "/d/m.pdf", "Manual", page=3, heading="Manual")]
    prompt = build_docs_prompt("q", found, budget_chars=5000)
    assert [s.location for s in prompt.sources] == ["Caching", "", "p. 3"]
    assert f"[2] {page}\nAnother." in prompt.text
