"""The remote client against a server we did not write: llama-cpp-python's own
OpenAI-compatible ``llama_cpp.server`` with the starter model and an API key.

The starter model is tiny: nothing here judges what it says, only that it says something."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from remote_fakes import LlamaServer, start_llama_server

from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.remote.connections import Connection, ConnectionStore
from openchat_desktop.core.remote.errors import RemoteError
from openchat_desktop.core.remote.keys import KeyStore
from openchat_desktop.core.remote.model_ref import RemoteRef
from openchat_desktop.core.remote.opening import open_remote, probe

QUESTION = [ChatMessage("user", "Name three colours.")]
SHORT = SamplingSettings(max_tokens=12, seed=7, temperature=0.5)


def add_connection(server: LlamaServer, key: str | None = None) -> RemoteRef:
    config = app_paths().config_dir
    ConnectionStore(config).put(Connection("local", server.base_url))
    KeyStore(config).set("local", server.key if key is None else key)
    return RemoteRef("local", server.model)


def test_chat_streams_with_stats(llama_server: LlamaServer) -> None:
    remote = open_remote(add_connection(llama_server))
    try:
        assert remote.n_ctx == 1024 or remote.n_ctx > 0
        assert remote.device.describe() == f"Remote: {remote.host}"
        stream = remote.stream(QUESTION, SHORT)
        deltas = list(stream)
        stats = stream.stats
        assert len(deltas) > 1 and "".join(deltas).strip()
        assert stats.stop_reason in ("eos", "length") and 0 < stats.generated_tokens <= 12
        assert stats.ttft_seconds > 0 and stats.tokens_per_second > 0
        # A second turn on the same client: the conversation goes out as messages.
        history = [*QUESTION, ChatMessage("assistant", stream.text),
                   ChatMessage("user", "And one more?")]
        assert list(remote.stream(history, SHORT))
    finally:
        remote.close()


def test_model_list_and_probe(llama_server: LlamaServer) -> None:
    connection = Connection("local", llama_server.base_url)
    result = probe(connection, llama_server.key)
    assert [m.id for m in result.models] == ["starter"]
    assert result.reply_seconds > 0 and result.ttft_seconds > 0


def test_a_wrong_key_and_a_missing_model(llama_server: LlamaServer) -> None:
    with pytest.raises(RemoteError, match="refused the API key") as caught:
        open_remote(add_connection(llama_server, key="wrong"))
    assert "wrong" not in str(caught.value)
    with pytest.raises(RemoteError, match=r"does not serve a model named nope.*starter"):
        open_remote(RemoteRef(add_connection(llama_server).connection, "nope"))


def test_stop_mid_reply_frees_the_server(llama_server: LlamaServer) -> None:
    remote = open_remote(add_connection(llama_server))
    stop = threading.Event()
    long_reply = SamplingSettings(max_tokens=400, seed=1, temperature=1.0)
    stream = remote.stream([ChatMessage("user", "Write a long story.")], long_reply, stop)
    stopped_at = 0.0
    for count, _delta in enumerate(stream):
        if count == 2:
            stopped_at = time.perf_counter()
            stop.set()
    assert time.perf_counter() - stopped_at < 0.1
    assert stream.stats.stop_reason == "stopped" and stream.text
    # The slot is free: the next request gets its first token promptly instead of waiting
    # for the 400 tokens of the abandoned one.
    began = time.perf_counter()
    follow = remote.stream(QUESTION, SamplingSettings(max_tokens=2))
    next(iter(follow), None)
    assert time.perf_counter() - began < 3.0
    remote.close()


def test_server_killed_mid_stream_keeps_the_partial_reply(starter_model: Path) -> None:
    server = start_llama_server(starter_model)
    try:
        remote = open_remote(add_connection(server, key=""))
        stream = remote.stream([ChatMessage("user", "Write a long story.")],
                               SamplingSettings(max_tokens=400, temperature=1.0))
        for count, _delta in enumerate(stream):
            if count == 2:
                server.stop()
        assert stream.stats.stop_reason == "error" and stream.text
        assert "\n" not in stream.stats.error and "127.0.0.1" in stream.stats.error
        with pytest.raises(RemoteError, match="refused"):
            remote.stream(QUESTION, SHORT)
        remote.close()
    finally:
        server.stop()
