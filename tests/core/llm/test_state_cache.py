"""Kept conversation states: a switch or a restart resumes without reading the history again,
with the very reply the engine gives had it never left; a state that does not provably belong
is never used and the reply equals a fresh read's (a wrong answer from a stale state is the
one failure that must not happen)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from openchat_desktop.core.llm import state_files
from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.state_cache import StateCache
from openchat_desktop.core.llm.templates import ChatMessage

GREEDY = SamplingSettings(temperature=0.0, seed=11, max_tokens=12)
STORY = " ".join(f"Fact {n}: the lighthouse keeper counted {n * 7} gulls at dawn."
                 for n in range(1, 26))
FIRST = [ChatMessage("user", f"Read these notes. {STORY} Which fact mentions 21 gulls?")]
OTHER = [ChatMessage("user", "Name three colours of the rainbow, please. " * 8)]
Replies = tuple[list[ChatMessage], str, str]


def load(model: Path, ctx: int = 2048) -> Engine:
    return Engine(LoadSettings(model, ctx_size=ctx, threads=2))


def answer(engine: Engine, messages: list[ChatMessage]) -> tuple[str, int]:
    """The reply and how many prompt tokens were read for it."""
    generation = engine.stream(messages, GREEDY)
    text = "".join(generation)
    return text, generation.stats.prompt_evaluated


@pytest.fixture(scope="module")
def replies(starter_model: Path) -> tuple[list[ChatMessage], str, str]:
    """The second turn; its reply by an engine that never left the conversation (the live
    cache reused: what a restore must give, bit for bit); and its reply read from scratch
    (what a refused state must give). The two may differ: on a CPU, tokens read one by one
    and in a batch give slightly different numbers."""
    engine = load(starter_model)
    try:
        first = answer(engine, FIRST)[0]
        second = [*FIRST, ChatMessage("assistant", first),
                  ChatMessage("user", "And which one mentions 35?")]
        stayed = answer(engine, second)[0]
    finally:
        engine.close()
    engine = load(starter_model)
    try:
        return second, stayed, answer(engine, second)[0]
    finally:
        engine.close()


@pytest.fixture(scope="module")
def saved_state(starter_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state file an engine left after answering the first turn and unloading."""
    folder = tmp_path_factory.mktemp("saved")
    cache = StateCache(folder)
    engine = load(starter_model)
    engine.use_state_cache(cache)
    engine.set_conversation(1)
    answer(engine, FIRST)
    engine.close()
    assert cache.flush()
    files = list(folder.glob("*" + state_files.SUFFIX))
    assert len(files) == 1
    return files[0]


def copy_state(saved: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / saved.name
    shutil.copyfile(saved, target)
    return target


@pytest.fixture
def engine(starter_model: Path) -> Iterator[Engine]:
    engine = load(starter_model)
    yield engine
    engine.close()


def test_switch_away_and_back_restores_the_state(engine: Engine, replies: Replies) -> None:
    engine.use_state_cache(StateCache(None))
    engine.set_conversation(1)
    answer(engine, FIRST)
    engine.set_conversation(2)
    answer(engine, OTHER)
    engine.set_conversation(1)
    second, stayed, _ = replies
    text, read = answer(engine, second)
    assert read < 40  # only the new turn, not the ~400 tokens before it
    assert text == stayed


def test_restart_restores_from_disk(starter_model: Path, tmp_path: Path, saved_state: Path,
                                    replies: Replies) -> None:
    copy_state(saved_state, tmp_path)
    engine = load(starter_model)
    engine.use_state_cache(StateCache(tmp_path))
    engine.set_conversation(1)
    second, stayed, _ = replies
    text, read = answer(engine, second)
    engine.close()
    assert read < 40
    assert text == stayed


def flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x40
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 1000)


def garbage_payload(path: Path) -> None:
    """Well-formed file, right hashes, but bytes llama.cpp cannot read as a state."""
    header = state_files.read_header(path)
    state_files.write_state(path, header.fingerprint, header.conversation_id, header.tokens,
                            b"\xff" * 4096)


@pytest.mark.parametrize("damage", [flip_last_byte, truncate, garbage_payload])
def test_a_damaged_state_is_removed_and_the_prompt_read(
        starter_model: Path, tmp_path: Path, saved_state: Path, replies: Replies,
        damage: Callable[[Path], None]) -> None:
    damaged = copy_state(saved_state, tmp_path)
    damage(damaged)
    engine = load(starter_model)
    engine.use_state_cache(StateCache(tmp_path))
    engine.set_conversation(1)
    second, _, fresh = replies
    text, read = answer(engine, second)
    engine.close()
    assert read > 300
    assert text == fresh
    assert not damaged.exists()


def test_a_state_of_other_load_settings_is_not_used(starter_model: Path, tmp_path: Path,
                                                    saved_state: Path, replies: Replies) -> None:
    copy_state(saved_state, tmp_path)
    engine = load(starter_model, ctx=1024)  # another context: another fingerprint
    engine.use_state_cache(StateCache(tmp_path))
    engine.set_conversation(1)
    second, _, fresh = replies
    text, read = answer(engine, second)
    engine.close()
    assert read > 300
    assert text == fresh


def test_a_state_of_another_model_file_is_not_used(starter_model: Path, tmp_path: Path,
                                                   saved_state: Path, replies: Replies) -> None:
    copy_state(saved_state, tmp_path / "states")
    copy = tmp_path / "copy.gguf"
    copy.write_bytes(starter_model.read_bytes())  # same weights, another file: not proven
    engine = Engine(LoadSettings(copy, ctx_size=2048, threads=2))
    engine.use_state_cache(StateCache(tmp_path / "states"))
    engine.set_conversation(1)
    second, _, fresh = replies
    text, read = answer(engine, second)
    engine.close()
    assert read > 300
    assert text == fresh


def test_an_api_prompt_is_kept_in_memory_only(engine: Engine, tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    engine.use_state_cache(cache)
    engine.set_conversation(None)
    answer(engine, FIRST)
    answer(engine, OTHER)  # shares nothing: the first state is parked
    assert cache.flush()
    assert cache.names()
    assert not list(tmp_path.iterdir())


def test_forgetting_a_conversation_removes_its_state(tmp_path: Path, saved_state: Path) -> None:
    copy_state(saved_state, tmp_path)
    cache = StateCache(tmp_path)
    assert cache.names(1)
    cache.forget_conversation(1)
    assert not cache.names(1)
    assert not list(tmp_path.glob("*" + state_files.SUFFIX))
    cache.park("fp", list(range(300)), b"x" * 10, 1)  # deleted: never kept again
    assert not cache.names(1)


def test_the_disk_cap_evicts_the_least_recently_used(tmp_path: Path) -> None:
    cache = StateCache(tmp_path, disk_cap_bytes=6000, memory_budget_bytes=0)  # ~2.6 kB each
    for conversation in (1, 2, 3):
        cache.park("fp", [conversation] * 300, bytes([conversation]) * 1000, conversation)
        assert cache.flush()
    assert cache.names(1) == []  # the oldest went when the third arrived
    assert cache.names(2) and cache.names(3)
    assert cache.disk_usage() <= 6000
    assert len(list(tmp_path.glob("*" + state_files.SUFFIX))) == 2


def test_a_new_state_of_a_conversation_replaces_its_old_one(tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    cache.park("fp", [5] * 300, b"a" * 100, 1)
    cache.park("fp", [5] * 400, b"b" * 100, 1)
    assert cache.flush()
    assert len(cache.names(1)) == 1
    match = cache.best_match("fp", [5] * 500)
    assert match is not None and match.n_tokens == 400
    assert len(list(tmp_path.glob("*" + state_files.SUFFIX))) == 1


def test_clear_removes_everything(tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    cache.park("fp", [1] * 300, b"x" * 100, 1)
    cache.park("fp", [2] * 300, b"y" * 100, None)
    assert cache.flush()
    cache.clear()
    assert cache.names() == []
    assert not list(tmp_path.iterdir())
    assert StateCache(tmp_path).best_match("fp", [1] * 300) is None


def test_a_restarted_cache_finds_states_by_their_tokens(tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    cache.park("fp", [1, 2, 3] * 100, b"z" * 100, 7)
    assert cache.flush()
    again = StateCache(tmp_path)
    assert again.best_match("other", [1, 2, 3] * 100) is None
    match = again.best_match("fp", [1, 2, 3] * 90 + [9])
    assert match is not None and match.length == 270
    assert again.take(match, "fp") == (tuple([1, 2, 3] * 100), bytearray(b"z" * 100))


def test_a_full_disk_keeps_the_state_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    cache = StateCache(blocker)  # writing fails like a full disk does
    cache.park("fp", [4] * 300, b"w" * 100, 1)
    assert cache.flush()
    match = cache.best_match("fp", [4] * 301)
    assert match is not None
    assert cache.take(match, "fp") == (tuple([4] * 300), b"w" * 100)
