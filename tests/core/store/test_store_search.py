"""Full-text search: prefixes, case, Chinese, hostile query strings, deleted conversations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.core.store.search import snippet


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "conversations.sqlite3") as opened:
        conv = opened.create_conversation("Trip to Paris")
        user = opened.add_message(conv, None, "user", "What should I see in PARIS?")
        opened.add_message(conv, user.id, "assistant", "The Louvre and the Eiffel Tower.")
        other = opened.create_conversation("学习中文")
        opened.add_message(other, None, "user", "我想去巴黎看埃菲尔铁塔。")
        odd = opened.create_conversation("Symbols")
        opened.add_message(odd, None, "user", 'Discount 50% off "today" (AND more) a_b')
        yield opened


def found(store: ConversationStore, query: str) -> set[tuple[str, str]]:
    return {(hit.title, "title" if hit.message_id is None else "message")
            for hit in store.search(query)}


def test_prefix_and_case_insensitive(store: ConversationStore) -> None:
    assert found(store, "par") == {("Trip to Paris", "title"), ("Trip to Paris", "message")}
    assert found(store, "PAR") == found(store, "par")
    assert found(store, "eiffel tow") == {("Trip to Paris", "message")}
    assert found(store, "eiffel nowhere") == set()


def test_hit_fields(store: ConversationStore) -> None:
    hits = store.search("louvre")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.message_id is not None and "Louvre" in hit.snippet
    assert store.get_conversation(hit.conversation_id).title == hit.title == "Trip to Paris"


def test_chinese_short_and_long(store: ConversationStore) -> None:
    assert found(store, "巴黎") == {("学习中文", "message")}
    assert found(store, "埃菲尔铁塔") == {("学习中文", "message")}
    assert found(store, "中文") == {("学习中文", "title")}


@pytest.mark.parametrize("query", [
    '"', '""', "'", "AND", "OR", "NOT", "*", "(", ")", "a AND (b OR", "NEAR(a b)",
    "title:paris", "^par", "-x", "\\", "{a b}", "par*", "'; DROP TABLE messages; --",
    "\x00", "\ud800", "   ", "",
])
def test_hostile_queries_never_raise(store: ConversationStore, query: str) -> None:
    assert isinstance(store.search(query), list)
    assert found(store, "louvre")  # and nothing was damaged


def test_special_characters_are_literal(store: ConversationStore) -> None:
    assert found(store, "%") == {("Symbols", "message")}
    assert found(store, "50%") == {("Symbols", "message")}
    assert found(store, "_") == {("Symbols", "message")}
    assert found(store, '"today"') == {("Symbols", "message")}
    assert found(store, "(AND") == {("Symbols", "message")}
    assert found(store, "%%") == set()


def test_deleted_conversations_are_not_found(store: ConversationStore) -> None:
    conv = store.list_conversations()[-1].id
    assert store.get_conversation(conv).title == "Trip to Paris"
    store.delete(conv)
    assert found(store, "paris") == set()
    store.restore(conv)
    assert found(store, "paris")


def test_index_follows_updates_renames_and_deletes(store: ConversationStore) -> None:
    conv = store.create_conversation("Draft")
    user = store.add_message(conv, None, "user", "hello")
    reply = store.add_message(conv, user.id, "assistant", "", status="streaming")
    store.update_message(reply.id, "Quantum chromodynamics")
    assert found(store, "chromo") == {("Draft", "message")}
    store.update_message(reply.id, "Something else")
    assert found(store, "chromo") == set()
    store.rename(conv, "Physics")
    assert found(store, "physic") == {("Physics", "title")}
    assert found(store, "draft") == set()
    store.delete_message(user.id)
    assert found(store, "something") == set()


def test_limit(store: ConversationStore) -> None:
    conv = store.create_conversation()
    for index in range(10):
        store.add_message(conv, None, "user", f"banana number {index}")
    assert len(store.search("banana", limit=3)) == 3
    assert store.search("banana", limit=0) == []


def test_snippet_is_one_line_around_the_match() -> None:
    text = "start " + "filler " * 40 + "the\nNEEDLE here " + "tail " * 40
    excerpt = snippet(text, ["needle"])
    assert "NEEDLE" in excerpt and "\n" not in excerpt
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert snippet("short text", ["absent"]) == "short text"
