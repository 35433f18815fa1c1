"""Damaged and newer databases: recovery, the kept copy, the notice, refusing to downgrade."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.conversations import ConversationStore
from openchat_desktop.core.store.salvage import RECOVERED_TITLE, write_salvage
from openchat_desktop.core.store.schema import connect, migrate

PAGE = 4096
CONVERSATIONS = 40


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a database with 40 conversations of 10 messages each."""
    path = tmp_path_factory.mktemp("healthy") / "conversations.sqlite3"
    with ConversationStore(path) as store:
        for number in range(CONVERSATIONS):
            conv = store.create_conversation(f"Conversation {number}")
            parent = None
            for index in range(10):
                role = "user" if index % 2 == 0 else "assistant"
                text = f"text {number}.{index} " + "words " * 50
                parent = store.add_message(conv, parent, role, text).id
    return path.read_bytes()


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


def check_recovered(path: Path, damaged: bytes) -> ConversationStore:
    """Open a damaged file: a notice, a byte-exact copy, and a working database."""
    store = ConversationStore(path)
    notice = store.recovery_notice
    assert notice is not None and "\n" not in notice and "damaged" in notice
    (backup,) = backups(path)
    assert backup.read_bytes() == damaged and str(backup) in notice
    conv = store.create_conversation("after recovery")
    store.add_message(conv, None, "user", "still works")
    assert store.search("still")[0].conversation_id == conv
    return store


def test_random_bytes(tmp_path: Path, healthy: bytes) -> None:
    path = tmp_path / "conversations.sqlite3"
    damaged = random.Random(1).randbytes(len(healthy))
    path.write_bytes(damaged)
    store = check_recovered(path, damaged)
    assert "nothing could be recovered" in (store.recovery_notice or "")
    store.close()
    with ConversationStore(path) as reopened:  # the fresh file is healthy from now on
        assert reopened.recovery_notice is None
        assert [s.title for s in reopened.list_conversations()] == ["after recovery"]


def test_truncated_at_half(tmp_path: Path, healthy: bytes) -> None:
    path = tmp_path / "conversations.sqlite3"
    damaged = healthy[: len(healthy) // 2]
    path.write_bytes(damaged)
    with check_recovered(path, damaged) as store:
        assert f"recovered {CONVERSATIONS} conversations" in (store.recovery_notice or "")
        listed = store.list_conversations()
        assert len(listed) == CONVERSATIONS + 1
        assert sum(s.message_count for s in listed) > 10
        longest = max(listed, key=lambda s: s.message_count)
        assert store.active_path(longest.id)[0].content.startswith("text ")


def garble(healthy: bytes, where: float) -> bytes:
    """Overwrite the page at fraction ``where`` of the file with random bytes."""
    page = int(len(healthy) // PAGE * where)
    damaged = bytearray(healthy)
    damaged[page * PAGE:(page + 1) * PAGE] = random.Random(page).randbytes(PAGE)
    return bytes(damaged)


def test_garbage_page_in_the_middle(tmp_path: Path, healthy: bytes) -> None:
    path = tmp_path / "conversations.sqlite3"
    damaged = garble(healthy, 0.5)
    path.write_bytes(damaged)
    with check_recovered(path, damaged) as store:
        assert "; recovered" in (store.recovery_notice or "")
        assert len(store.list_conversations()) > CONVERSATIONS // 2


@pytest.mark.parametrize("where", [0.0, 0.2, 0.4, 0.6, 0.8, 0.99])
def test_garbage_page_anywhere_never_crashes(tmp_path: Path, healthy: bytes,
                                             where: float) -> None:
    path = tmp_path / "conversations.sqlite3"
    path.write_bytes(garble(healthy, where))
    with ConversationStore(path) as store:
        if store.recovery_notice is None:
            # Only a page no table uses (free space) can be garbage without being noticed.
            assert len(store.list_conversations()) == CONVERSATIONS
        else:
            assert len(backups(path)) == 1
        store.create_conversation("still works")


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    with ConversationStore(path) as store:
        store.create_conversation("from the future")
    data = bytearray(path.read_bytes())
    data[60:64] = (99).to_bytes(4, "big")  # PRAGMA user_version lives at offset 60
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"newer version of OpenChat.*update") as caught:
        ConversationStore(path)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == bytes(data)
    assert backups(path) == []


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        ConversationStore(tmp_path)  # a folder, not a file
    assert backups(tmp_path) == []


def test_salvage_keeps_orphans_and_skips_garbage(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    conn = connect(path)
    migrate(conn)
    rows: dict[str, list[dict[str, Any]]] = {
        "conversations": [{"id": 1, "title": "Kept", "created_at": 1.0, "pinned": 1},
                          {"id": "garbage"}],
        "messages": [
            {"id": 1, "conversation_id": 1, "role": "user", "content": "root",
             "status": "complete", "meta_json": "{}", "created_at": 2.0},
            {"id": 3, "conversation_id": 1, "parent_id": 2, "role": "assistant",
             "content": b"orphan \xff reply", "status": "streaming", "meta_json": "not json"},
            {"id": 4, "conversation_id": 7, "role": "user", "content": "lost chat"},
            {"id": 5, "conversation_id": 1, "role": "robot", "content": "bad role"},
            {"id": 6, "conversation_id": 1, "role": "user", "content": None},
        ],
        "app_state": [{"key": "selected", "value_json": "4"}, {"key": None}],
    }
    assert write_salvage(conn, rows) == (2, 3)
    conn.close()
    with ConversationStore(path) as store:
        titles = {s.title: s for s in store.list_conversations()}
        assert set(titles) == {"Kept", RECOVERED_TITLE} and titles["Kept"].pinned
        versions = store.siblings(1) + store.siblings(3)
        assert [(m.content, m.status) for m in versions] == [
            ("root", "complete"), ("orphan \ufffd reply", "interrupted")]
        assert store.active_path(titles[RECOVERED_TITLE].id)[0].content == "lost chat"
        assert store.get_state("selected") == 4
