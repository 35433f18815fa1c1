"""Servers for the tests: on 127.0.0.1, a free port, always stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeOptions
from server_fakes import FakeServer, ScriptedEngine, ServerMaker, ThreadOwner

from openchat_desktop.core.llm.sampling import LoadSettings
from openchat_desktop.server.config import ServerConfig
from openchat_desktop.server.model_ids import ModelDirectory
from openchat_desktop.server.runner import ServerThread
from openchat_desktop.server.state import ServerState


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[ServerMaker]:
    """``make_server(options=FakeOptions(...), max_waiting=2, **config)``: a server over a
    scripted engine and a model thread of its own (no Qt)."""
    made: list[FakeServer] = []
    model = tmp_path / "fake-model.gguf"
    model.write_bytes(b"GGUF")

    def make(options: FakeOptions | None = None, max_waiting: int = 16, can_embed: bool = False,
             **config: Any) -> FakeServer:
        engine = ScriptedEngine(LoadSettings(model), options, can_embed=can_embed)
        owner = ThreadOwner(engine, max_waiting)
        server_config = replace(ServerConfig(port=0, max_waiting=max_waiting), **config).check()
        server = ServerThread(ServerState(server_config, owner, ModelDirectory()))
        server.start()
        made.append(FakeServer(server, owner, engine))
        return made[-1]

    yield make
    for fake in made:
        fake.server.stop()
        fake.owner.close()


@pytest.fixture
def fake_server(make_server: ServerMaker) -> FakeServer:
    return make_server(FakeOptions(tokens_per_second=500))

