"""The remote client against ``openchat serve`` (another OpenChat's API server): the same
chat, stream, stop, model list and key as against ``llama_cpp.server``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_fakes import LlamaServer, start_openchat_serve

from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.remote.connections import Connection, ConnectionStore
from openchat_desktop.core.remote.errors import RemoteError
from openchat_desktop.core.remote.keys import KeyStore
from openchat_desktop.core.remote.model_ref import RemoteRef
from openchat_desktop.core.remote.opening import open_remote

KEY = "sk-serve-test"


@pytest.fixture(scope="module")
def serve(starter_model: Path) -> Iterator[LlamaServer]:
    server = start_openchat_serve(starter_model, key=KEY)
    yield server
    server.stop()


def connect(server: LlamaServer, key: str = KEY) -> RemoteRef:
    config = app_paths().config_dir
    ConnectionStore(config).put(Connection("peer", server.base_url))
    KeyStore(config).set("peer", key)
    return RemoteRef("peer", server.model)


def test_chat_stream_and_stop_through_openchat_serve(serve: LlamaServer) -> None:
    remote = open_remote(connect(serve))
    try:
        stream = remote.stream([ChatMessage("user", "Name three colours.")],
                               SamplingSettings(max_tokens=10, seed=5))
        assert "".join(stream).strip() and stream.stats.generated_tokens > 0
        assert stream.stats.stop_reason in ("eos", "length")
        stop = threading.Event()
        long = remote.stream([ChatMessage("user", "Write a long story.")],
                             SamplingSettings(max_tokens=400, temperature=1.0), stop)
        stopped_at = 0.0
        for count, _delta in enumerate(long):
            if count == 2:
                stopped_at = time.perf_counter()
                stop.set()
        assert time.perf_counter() - stopped_at < 0.1 and long.stats.stop_reason == "stopped"
        began = time.perf_counter()
        next(iter(remote.stream([ChatMessage("user", "Hi")], SamplingSettings(max_tokens=2))),
             None)
        assert time.perf_counter() - began < 3.0  # the abandoned reply no longer runs
    finally:
        remote.close()


def test_openchat_serve_refuses_a_wrong_key(serve: LlamaServer) -> None:
    with pytest.raises(RemoteError, match="refused the API key"):
        open_remote(connect(serve, key="wrong"))
