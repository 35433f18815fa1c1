"""ConversationStore: conversations, the message tree (versions, branches), state, timing."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.conversations import ConversationStore, Message


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "conversations.sqlite3") as opened:
        yield opened


def ids(path: list[Message]) -> list[int]:
    return [message.id for message in path]


def chat(store: ConversationStore, conv: int, *turns: str) -> list[Message]:
    """Append alternating user/assistant messages to the active path."""
    path = store.active_path(conv)
    parent = path[-1].id if path else None
    added = []
    for index, text in enumerate(turns):
        role = "user" if index % 2 == 0 else "assistant"
        message = store.add_message(conv, parent, role, text)
        added.append(message)
        parent = message.id
    return added


# -- conversations ---------------------------------------------------------------------------


def test_create_get_rename_and_settings(store: ConversationStore) -> None:
    conv = store.create_conversation(settings={"model_path": Path("m.gguf"), "temp": 0.7})
    summary = store.get_conversation(conv)
    assert (summary.title, summary.pinned, summary.message_count) == ("New chat", False, 0)
    store.rename(conv, "  Trip\nplans  ")
    assert store.get_conversation(conv).title == "Trip plans"
    store.rename(conv, "   ")
    assert store.get_conversation(conv).title == "New chat"
    assert store.conversation_settings(conv) == {"model_path": "m.gguf", "temp": 0.7}
    store.set_conversation_settings(conv, {"system_prompt": "Be brief.", "sampling": {"k": 1}})
    assert store.conversation_settings(conv)["sampling"] == {"k": 1}


def test_missing_things_raise_store_error(store: ConversationStore) -> None:
    for call in (lambda: store.get_conversation(99), lambda: store.rename(99, "x"),
                 lambda: store.active_path(99), lambda: store.update_message(99, "x"),
                 lambda: store.select_message(99), lambda: store.delete_message(99),
                 lambda: store.add_message(99, None, "user", "x"),
                 lambda: store.export_json(99), lambda: store.conversation_settings(99)):
        with pytest.raises(StoreError):
            call()


def test_bad_arguments_raise_store_error(store: ConversationStore) -> None:
    conv = store.create_conversation()
    other = store.create_conversation()
    first = store.add_message(other, None, "user", "hi")
    with pytest.raises(StoreError, match="role"):
        store.add_message(conv, None, "bot", "x")
    with pytest.raises(StoreError, match="status"):
        store.add_message(conv, None, "user", "x", status="done")
    with pytest.raises(StoreError):
        store.add_message(conv, first.id, "assistant", "wrong conversation")
    with pytest.raises(StoreError):
        store.set_conversation_settings(conv, {"loop": {(1, 2): 3}})
    assert store.active_path(conv) == []


def test_pinned_first_then_newest(store: ConversationStore) -> None:
    a, b, c = (store.create_conversation(name) for name in "abc")
    assert [s.id for s in store.list_conversations()] == [c, b, a]
    store.set_pinned(a, True)
    assert [s.id for s in store.list_conversations()] == [a, c, b]
    store.add_message(b, None, "user", "bump")
    listed = store.list_conversations()
    assert [s.id for s in listed] == [a, b, c]
    assert listed[0].pinned and listed[1].message_count == 1
    store.set_pinned(a, False)
    assert [s.id for s in store.list_conversations()] == [b, c, a]


def test_delete_restore_and_purge(store: ConversationStore) -> None:
    keep, gone = store.create_conversation("keep"), store.create_conversation("gone")
    chat(store, gone, "hello", "hi there")
    store.delete(gone)
    assert [s.id for s in store.list_conversations()] == [keep]
    assert {s.id for s in store.list_conversations(include_deleted=True)} == {keep, gone}
    assert store.get_conversation(gone).deleted_at is not None
    store.restore(gone)
    assert {s.id for s in store.list_conversations()} == {keep, gone}
    assert len(store.active_path(gone)) == 2
    store.delete(gone)
    assert store.purge_deleted() == 0  # deleted just now: still in the bin
    assert store.purge_deleted(older_than_s=0) == 1
    assert [s.id for s in store.list_conversations(include_deleted=True)] == [keep]
    with pytest.raises(StoreError):
        store.restore(gone)


# -- the message tree ------------------------------------------------------------------------


def test_add_and_update_streaming_message(store: ConversationStore) -> None:
    conv = store.create_conversation()
    user, reply = chat(store, conv, "What is 2+2?", "")
    assert user.parent_id is None and reply.parent_id == user.id
    store.update_message(reply.id, "It is", status="streaming")
    store.update_message(reply.id, "It is 4.", status="complete",
                         meta={"ttft": 0.12, "tokens_per_s": 40.5, "model": "smol"})
    last = store.active_path(conv)[-1]
    assert (last.content, last.status, last.meta["model"]) == ("It is 4.", "complete", "smol")
    store.update_message(reply.id, "It is 4!")  # status and meta kept when not given
    last = store.active_path(conv)[-1]
    assert (last.content, last.status, last.meta["ttft"]) == ("It is 4!", "complete", 0.12)


def test_regenerate_versions_keep_their_own_descendants(store: ConversationStore) -> None:
    conv = store.create_conversation()
    user, first = chat(store, conv, "Tell a joke", "joke one")
    follow_up, answer = chat(store, conv, "another", "joke two")
    second = store.add_message(conv, user.id, "assistant", "joke one, take 2")
    third = store.add_message(conv, user.id, "assistant", "joke one, take 3")
    path = store.active_path(conv)
    assert ids(path) == [user.id, third.id]
    assert (path[-1].version_index, path[-1].version_count) == (3, 3)
    assert (third.version_index, third.version_count) == (3, 3)

    store.select_message(first.id)
    path = store.active_path(conv)
    assert ids(path) == [user.id, first.id, follow_up.id, answer.id]
    assert (path[1].version_index, path[1].version_count) == (1, 3)

    store.select_message(second.id)
    later = chat(store, conv, "more please", "joke three")
    store.select_message(first.id)
    assert ids(store.active_path(conv))[-1] == answer.id
    store.select_message(second.id)
    assert ids(store.active_path(conv)) == [user.id, second.id, *ids(later)]
    assert [m.version_index for m in store.siblings(first.id)] == [1, 2, 3]


def test_edit_creates_branch_old_branch_reachable(store: ConversationStore) -> None:
    conv = store.create_conversation()
    u1, a1, u2, a2 = chat(store, conv, "hi", "hello", "capital of France?", "Paris")
    edited = store.add_message(conv, a1.id, "user", "capital of Italy?")
    a2b = store.add_message(conv, edited.id, "assistant", "Rome")
    path = store.active_path(conv)
    assert ids(path) == [u1.id, a1.id, edited.id, a2b.id]
    assert (path[2].version_index, path[2].version_count) == (2, 2)
    assert ids(store.siblings(edited.id)) == [u2.id, edited.id]
    store.select_message(u2.id)
    assert ids(store.active_path(conv)) == [u1.id, a1.id, u2.id, a2.id]
    # Selecting a message deep in a hidden branch brings its whole branch into view.
    store.select_message(a2b.id)
    assert ids(store.active_path(conv)) == [u1.id, a1.id, edited.id, a2b.id]


def test_edit_first_message_and_system_root(store: ConversationStore) -> None:
    conv = store.create_conversation()
    system = store.add_message(conv, None, "system", "You are terse.")
    u1, _ = chat(store, conv, "hi", "yo")
    u1b = store.add_message(conv, system.id, "user", "hello")
    assert ids(store.active_path(conv)) == [system.id, u1b.id]
    assert ids(store.siblings(u1.id)) == [u1.id, u1b.id]
    root_edit = store.add_message(conv, None, "system", "You are verbose.")
    assert ids(store.active_path(conv)) == [root_edit.id]
    store.select_message(u1.id)
    assert len(store.active_path(conv)) == 3


def test_delete_message_selects_a_neighbour(store: ConversationStore) -> None:
    conv = store.create_conversation()
    user, v1 = chat(store, conv, "q", "v1")
    v2 = store.add_message(conv, user.id, "assistant", "v2")
    v3 = store.add_message(conv, user.id, "assistant", "v3")
    store.select_message(v2.id)
    chat(store, conv, "under v2", "reply under v2")
    assert store.delete_message(v2.id) == v3.id  # the next version takes its place
    path = store.active_path(conv)
    assert ids(path) == [user.id, v3.id]
    assert (path[-1].version_index, path[-1].version_count) == (2, 2)
    assert store.get_conversation(conv).message_count == 3  # v2's subtree went with it
    assert store.delete_message(v3.id) == v1.id  # past the end: the previous one
    assert store.delete_message(v1.id) is None
    assert ids(store.active_path(conv)) == [user.id]
    assert store.delete_message(user.id) is None
    assert store.active_path(conv) == []


def test_delete_hidden_version_keeps_selection(store: ConversationStore) -> None:
    conv = store.create_conversation()
    user, v1 = chat(store, conv, "q", "v1")
    v2 = store.add_message(conv, user.id, "assistant", "v2")
    assert store.delete_message(v1.id) == v2.id
    assert ids(store.active_path(conv)) == [user.id, v2.id]


def test_mark_interrupted_streams(store: ConversationStore) -> None:
    conv = store.create_conversation()
    user = store.add_message(conv, None, "user", "write a poem")
    reply = store.add_message(conv, user.id, "assistant", "Roses are", status="streaming")
    assert store.mark_interrupted_streams() == 1
    assert store.mark_interrupted_streams() == 0
    (message,) = store.siblings(reply.id)
    assert (message.status, message.content) == ("interrupted", "Roses are")


def test_app_state(store: ConversationStore) -> None:
    assert store.get_state("selected", 7) == 7
    store.set_state("selected", {"conversation": 3, "scroll": [1.5, None]})
    assert store.get_state("selected") == {"conversation": 3, "scroll": [1.5, None]}
    store.set_state("selected", None)
    assert store.get_state("selected", 7) is None


def test_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    with ConversationStore(path) as store:
        conv = store.create_conversation("kept", {"model_path": "a.gguf"})
        _user, reply = chat(store, conv, "hi", "")
        store.update_message(reply.id, "partial answer", status="streaming")
        store.set_pinned(conv, True)
        store.set_state("last", conv)
        assert path.with_name(path.name + "-wal").exists()  # WAL mode
    with ConversationStore(path) as store:
        assert store.recovery_notice is None
        assert store.mark_interrupted_streams() == 1
        summary = store.get_conversation(conv)
        assert (summary.title, summary.pinned) == ("kept", True)
        assert [m.content for m in store.active_path(conv)] == ["hi", "partial answer"]
        assert store.get_state("last") == conv
    with pytest.raises(StoreError, match="closed"):
        store.list_conversations()


def test_shared_between_threads(store: ConversationStore) -> None:
    conv = store.create_conversation()
    _user, reply = chat(store, conv, "go", "")
    errors: list[BaseException] = []

    def stream() -> None:
        try:
            for count in range(50):
                store.update_message(reply.id, "x" * count, status="streaming")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=stream)
    worker.start()
    for _ in range(50):
        assert len(store.active_path(conv)) == 2
    worker.join()
    assert not errors
    assert store.active_path(conv)[-1].content == "x" * 49


def test_2000_message_conversation_is_fast(store: ConversationStore,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    conv = store.create_conversation("long")
    parent: int | None = None
    for index in range(2000):
        role = "user" if index % 2 == 0 else "assistant"
        parent = store.add_message(conv, parent, role, f"message {index} " + "lorem " * 60).id
    assert parent is not None
    opens, updates = [], []
    for _ in range(5):
        start = time.perf_counter()
        path = store.active_path(conv)
        opens.append(time.perf_counter() - start)
    assert len(path) == 2000 and path[-1].id == parent
    for count in range(20):
        start = time.perf_counter()
        store.update_message(parent, "streamed words " * (count + 1) * 10, status="streaming")
        updates.append(time.perf_counter() - start)
    store.close()
    start = time.perf_counter()
    with ConversationStore(store.path) as reopened:  # includes the integrity check
        reopen_ms = (time.perf_counter() - start) * 1000
        assert len(reopened.active_path(conv)) == 2000
    open_ms, update_ms = statistics.median(opens) * 1000, statistics.median(updates) * 1000
    with capsys.disabled():
        print(f"\n2000-message conversation: active_path {open_ms:.1f} ms, "
              f"update_message {update_ms:.2f} ms (medians); reopening the file "
              f"{reopen_ms:.1f} ms")
    assert open_ms < 1000
