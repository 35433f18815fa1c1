"""Every failure of a remote server is one human line, and what came before it is kept.

Against a small server of our own that misbehaves on purpose (see ``remote_fakes``)."""

from __future__ import annotations

import threading
import time

import pytest
from remote_fakes import Misbehaving, free_port

from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.remote.client import RemoteClient
from openchat_desktop.core.remote.connections import Connection
from openchat_desktop.core.remote.errors import RemoteError
from openchat_desktop.core.remote.opening import connection_models
from openchat_desktop.core.remote.transport import http_client

HELLO = [ChatMessage("user", "hi")]


def client(url: str, read_timeout: float = 5.0) -> RemoteClient:
    connection = Connection("fake", url)
    return RemoteClient(connection, "fake-model", "sk-hidden",
                        client=http_client(connection, "sk-hidden", read_timeout, 2.0))


def reply(url: str) -> tuple[str, object]:
    remote = client(url)
    try:
        stream = remote.stream(HELLO, SamplingSettings(max_tokens=8))
        return "".join(stream), stream.stats
    finally:
        remote.close()


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "sk-hidden" not in text and "Traceback" not in text
    return text


def test_a_good_stream_and_the_request_body(bad_server: Misbehaving) -> None:
    text, stats = reply(bad_server.url("ok"))
    assert text == "Hello, world" and stats.stop_reason == "eos"  # type: ignore[attr-defined]
    body = bad_server.requests[-1]
    assert body["messages"] == [{"role": "user", "content": "hi"}] and body["stream"]
    assert body["max_tokens"] == 8 and "prompt" not in body and "top_k" in body


def test_reasoning_is_kept_apart_from_the_answer(bad_server: Misbehaving) -> None:
    remote = client(bad_server.url("reasoning"))
    stream = remote.stream(HELLO, SamplingSettings())
    assert "".join(stream) == "Answer" and stream.reasoning == "thinking..."
    remote.close()


@pytest.mark.parametrize(("mode", "kept", "words"), [
    ("cut", "Partial reply", "ended early"),
    ("badjson", "Fine", "not valid server-sent events"),
    ("midfail", "Half", "model crashed"),
])
def test_a_stream_that_goes_wrong_keeps_the_partial_reply(
        bad_server: Misbehaving, mode: str, kept: str, words: str) -> None:
    text, stats = reply(bad_server.url(mode))
    assert text == kept and stats.stop_reason == "error"  # type: ignore[attr-defined]
    assert words in one_line(RemoteError(stats.error, "x"))  # type: ignore[attr-defined]


@pytest.mark.parametrize(("mode", "kind", "words"), [
    ("ratelimit", "rate_limited", "try again in 7 s"),
    ("error500", "server", "CUDA out of memory"),
    ("auth", "auth", "refused the API key"),
    ("html", "incompatible", "OpenAI-compatible"),
])
def test_a_refused_request_is_one_line(bad_server: Misbehaving, mode: str, kind: str,
                                        words: str) -> None:
    with pytest.raises(RemoteError) as caught:
        reply(bad_server.url(mode))
    assert caught.value.kind == kind and words in one_line(caught.value)
    if mode == "ratelimit":
        assert caught.value.retry_after == 7


def test_model_list_errors(bad_server: Misbehaving) -> None:
    with pytest.raises(RemoteError, match="not look like an OpenAI") as caught:
        connection_models(Connection("f", bad_server.url("html")), "")
    one_line(caught.value)
    assert [m.id for m in connection_models(Connection("f", bad_server.url("ok")), "")] == \
        ["fake-model"]


def test_timeout_refused_and_dns(bad_server: Misbehaving) -> None:
    with pytest.raises(RemoteError, match="Timed out") as caught:
        connection_models(Connection("f", bad_server.url("slow")), "", timeout=0.5)
    one_line(caught.value)
    with pytest.raises(RemoteError, match="refused") as caught:
        reply(f"http://127.0.0.1:{free_port()}/v1")
    one_line(caught.value)
    with pytest.raises(RemoteError, match=r"does not resolve|Cannot find") as caught:
        reply("http://no-such-host.invalid/v1")
    one_line(caught.value)


def test_tls_to_a_plain_http_port(bad_server: Misbehaving) -> None:
    with pytest.raises(RemoteError) as caught:
        reply(f"https://127.0.0.1:{bad_server.port}/ok/v1")
    assert caught.value.kind == "tls", one_line(caught.value)


def test_stop_closes_the_stream_within_100_ms(bad_server: Misbehaving) -> None:
    remote = client(bad_server.url("endless"))
    stop = threading.Event()
    stream = remote.stream(HELLO, SamplingSettings(), stop)
    before = len(bad_server.disconnects)
    stopped_at = 0.0
    for count, _delta in enumerate(stream):
        if count == 3:
            stopped_at = time.perf_counter()
            stop.set()
    ended = time.perf_counter()
    assert stream.stats.stop_reason == "stopped" and not stream.stats.error
    assert ended - stopped_at < 0.1
    deadline = time.perf_counter() + 1
    while len(bad_server.disconnects) == before and time.perf_counter() < deadline:
        time.sleep(0.005)
    assert bad_server.disconnects[-1] - stopped_at < 0.1
    remote.close()
