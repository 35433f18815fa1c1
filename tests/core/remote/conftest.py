"""Fixtures of the remote-engine tests: a memory keychain for every test, the real
``llama_cpp.server`` (one per session, with an API key) and the misbehaving server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from remote_fakes import (
    LlamaServer,
    MemoryKeyring,
    Misbehaving,
    misbehaving_server,
    start_llama_server,
)

SERVER_KEY = "test-key-123"


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def llama_server(starter_model: Path) -> Iterator[LlamaServer]:
    server = start_llama_server(starter_model, key=SERVER_KEY)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bad_server() -> Iterator[Misbehaving]:
    with misbehaving_server() as state:
        yield state
