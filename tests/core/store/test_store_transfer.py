"""Export/import of conversations: JSON round trips, strict validation, Markdown."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.core.store.records import clean_title

FORMAT = "openchat-conversation"
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "conversations.sqlite3") as opened:
        yield opened


def build_tree(store: ConversationStore) -> int:
    """A conversation with three versions of a reply and an edited branch."""
    conv = store.create_conversation("Tree", {"system_prompt": "Be kind.", "sampling": {"t": 1}})
    user = store.add_message(conv, None, "user", "Hi **there**\n\n```py\nx = 1\n```")
    first = store.add_message(conv, user.id, "assistant", "v1", meta={"tokens": 3})
    store.add_message(conv, first.id, "user", "follow up")
    store.add_message(conv, user.id, "assistant", "v2", status="error")
    store.add_message(conv, user.id, "assistant", "v3", status="interrupted")
    store.select_message(first.id)
    return conv


def count(store: ConversationStore) -> int:
    return len(store.list_conversations(include_deleted=True))


def test_export_format(store: ConversationStore) -> None:
    data = store.export_json(build_tree(store))
    assert (data["format"], data["version"], data["title"]) == (FORMAT, 1, "Tree")
    assert data["settings"]["sampling"] == {"t": 1}
    assert [m["id"] for m in data["messages"]] == [1, 2, 3, 4, 5]
    assert [m["parent_id"] for m in data["messages"]] == [None, 1, 2, 1, 1]
    assert [m["selected"] for m in data["messages"]] == [True, True, True, False, False]
    assert data["messages"][1]["meta"] == {"tokens": 3}
    json.dumps(data)  # plain JSON all the way down


def test_json_round_trip(store: ConversationStore) -> None:
    conv = build_tree(store)
    original = store.export_json(conv)
    copy_id = store.import_json(json.loads(json.dumps(original)))
    assert copy_id != conv
    assert store.export_json(copy_id) == original
    old = [(m.content, m.version_index, m.version_count, m.status)
           for m in store.active_path(conv)]
    assert [(m.content, m.version_index, m.version_count, m.status)
            for m in store.active_path(copy_id)] == old


def test_import_streaming_becomes_interrupted(store: ConversationStore) -> None:
    conv = store.create_conversation()
    store.add_message(conv, None, "user", "partial", status="streaming")
    copy_id = store.import_json(store.export_json(conv))
    assert store.active_path(copy_id)[0].status == "interrupted"


def test_import_without_selection_shows_newest(store: ConversationStore) -> None:
    data = store.export_json(build_tree(store))
    for message in data["messages"]:
        message["selected"] = False
    path = store.active_path(store.import_json(data))
    assert [m.content for m in path] == [data["messages"][0]["content"], "v3"]


def _broken(mutate: Any) -> Any:
    def apply(data: dict[str, Any]) -> dict[str, Any]:
        mutate(data)
        return data
    return apply


BAD_EDITS = {
    "not a dict": lambda data: ["list"],
    "wrong format": _broken(lambda d: d.update(format="other")),
    "newer version": _broken(lambda d: d.update(version=2)),
    "version missing": _broken(lambda d: d.pop("version")),
    "bool version": _broken(lambda d: d.update(version=True)),
    "title missing": _broken(lambda d: d.pop("title")),
    "settings not dict": _broken(lambda d: d.update(settings=[])),
    "messages missing": _broken(lambda d: d.pop("messages")),
    "bad created_at": _broken(lambda d: d.update(created_at="yesterday")),
    "huge created_at": _broken(lambda d: d.update(created_at=10**400)),
    "message not dict": _broken(lambda d: d["messages"].append(3)),
    "message key missing": _broken(lambda d: d["messages"][2].pop("content")),
    "bad role": _broken(lambda d: d["messages"][1].update(role="bot")),
    "bad status": _broken(lambda d: d["messages"][1].update(status="done")),
    "content not text": _broken(lambda d: d["messages"][1].update(content=None)),
    "meta not dict": _broken(lambda d: d["messages"][1].update(meta="x")),
    "selected not bool": _broken(lambda d: d["messages"][1].update(selected=1)),
    "duplicate id": _broken(lambda d: d["messages"][2].update(id=1)),
    "unknown parent": _broken(lambda d: d["messages"][2].update(parent_id=42)),
    "self parent": _broken(lambda d: d["messages"][2].update(parent_id=3)),
    "cycle": _broken(lambda d: d["messages"][0].update(parent_id=3)),
    "two selected": _broken(lambda d: d["messages"][3].update(selected=True)),
}


@pytest.mark.parametrize("name", sorted(BAD_EDITS))
def test_import_rejects_malformed_data(store: ConversationStore, name: str) -> None:
    data = BAD_EDITS[name](copy.deepcopy(store.export_json(build_tree(store))))
    before = count(store)
    with pytest.raises(StoreError) as caught:
        store.import_json(data)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("Cannot import")
    assert count(store) == before


def test_newer_version_asks_for_update(store: ConversationStore) -> None:
    data = store.export_json(build_tree(store))
    data["version"] = 7
    with pytest.raises(StoreError, match="update"):
        store.import_json(data)


def test_markdown(store: ConversationStore) -> None:
    conv = build_tree(store)
    text = store.export_markdown(conv)
    assert text.startswith("# Tree\n")
    assert "## System prompt\n\nBe kind." in text
    assert "## You\n\nHi **there**\n\n```py\nx = 1\n```" in text
    assert "## Assistant\n\nv1" in text and "v2" not in text
    assert text.index("v1") < text.index("follow up")
    store.select_message(store.siblings(store.active_path(conv)[1].id)[2].id)
    assert "v3\n\n_(reply interrupted)_" in store.export_markdown(conv)


# -- property tests ------------------------------------------------------------------------

JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.text(max_size=10)
                | st.floats(allow_nan=False, allow_infinity=False))
JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
ANY = st.recursive(JSON_SCALARS | st.floats(), lambda inner: st.lists(inner, max_size=3)
                   | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid value, sometimes anything at all."""
    return st.one_of(valid, valid, ANY)


MESSAGE = st.fixed_dictionaries({
    "id": maybe(st.integers(1, 6)), "parent_id": maybe(st.none() | st.integers(1, 6)),
    "role": maybe(st.sampled_from(["user", "assistant", "system"])), "content": maybe(TEXT),
    "created_at": maybe(st.floats(0, 2e9)), "status": maybe(st.just("complete")),
    "meta": maybe(st.just({})), "selected": maybe(st.booleans())})
DOCUMENT = st.fixed_dictionaries({
    "format": maybe(st.just(FORMAT)), "version": maybe(st.just(1)), "title": maybe(TEXT),
    "created_at": maybe(st.floats(0, 2e9)), "settings": maybe(st.just({})),
    "messages": maybe(st.lists(MESSAGE, max_size=6))})


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(0, 12))
    messages: list[dict[str, Any]] = []
    for key in range(1, size + 1):
        parent = draw(st.none() | st.integers(1, key - 1)) if key > 1 else None
        messages.append({
            "id": key, "parent_id": parent,
            "role": draw(st.sampled_from(["user", "assistant", "system"])),
            "content": draw(TEXT), "created_at": draw(st.floats(0, 2e9)),
            "status": draw(st.sampled_from(["complete", "interrupted", "error"])),
            "meta": draw(st.dictionaries(st.text(max_size=5), JSON, max_size=3)),
            "selected": False})
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for message in messages:
        groups.setdefault(message["parent_id"], []).append(message)
    for group in groups.values():
        group[draw(st.integers(0, len(group) - 1))]["selected"] = True
    return {"format": FORMAT, "version": 1, "title": draw(TEXT),
            "created_at": draw(st.floats(0, 2e9)),
            "settings": draw(st.dictionaries(st.text(max_size=5), JSON, max_size=3)),
            "messages": messages}


@FAST
@given(document=valid_documents())
def test_export_import_round_trips_random_trees(store: ConversationStore,
                                                document: dict[str, Any]) -> None:
    conv = store.import_json(document)
    exported = store.export_json(conv)
    assert exported == {**document, "title": clean_title(document["title"])}
    assert store.export_json(store.import_json(exported)) == exported


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """A valid document with one to three fields replaced by anything, or removed."""
    document: Any = draw(valid_documents())
    for _ in range(draw(st.integers(1, 3))):
        messages = document.get("messages")
        targets = [document] + [m for m in messages if isinstance(m, dict)] if isinstance(
            messages, list) else [document]
        target = draw(st.sampled_from(targets))
        key = draw(st.sampled_from(sorted(target)) if target else st.just("id"))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(st.integers(-1, 13) | st.none() | ANY)
    return document


@FAST
@given(data=st.one_of(mutated_documents(), DOCUMENT, ANY))
def test_import_random_data_only_raises_store_error(store: ConversationStore,
                                                     data: Any) -> None:
    before = count(store)
    try:
        conv = store.import_json(data)
    except StoreError as exc:
        assert "\n" not in str(exc)
        assert count(store) == before
    else:
        assert count(store) == before + 1
        store.active_path(conv)


