"""The server's safety rules, one test each: Host, API key, CORS, body size, bad JSON, unknown
model, a full queue, a client that hangs up, and a request that runs out of time."""

from __future__ import annotations

import json
import logging
import socket
import time

import httpx
import pytest
from fakes import FakeOptions
from server_fakes import CHAT, FakeServer, ServerMaker, words

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.server.config import ServerConfig

pytestmark = pytest.mark.timeout(60)


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:31415", "192.168.1.5:80",
                                  "localhost.evil.example"])
def test_foreign_host_header_is_refused(fake_server: FakeServer, host: str) -> None:
    with fake_server.client() as client:
        response = client.get("/v1/models", headers={"Host": host})
    assert response.status_code == 403
    assert "not this computer" in error_of(response)["message"]


@pytest.mark.parametrize("host", ["localhost", "localhost:9", "127.0.0.1:31415", "[::1]:8"])
def test_loopback_host_headers_pass(fake_server: FakeServer, host: str) -> None:
    with fake_server.client() as client:
        assert client.get("/health", headers={"Host": host}).status_code == 200


def test_api_key_is_required_and_compared(make_server: ServerMaker,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = make_server(api_key="s3cret-key")
    with server.client() as client:
        missing = client.post("/v1/chat/completions", json=CHAT)
        wrong = client.post("/v1/chat/completions", json=CHAT,
                            headers={"Authorization": "Bearer s3cret-kez"})
        right = client.post("/v1/chat/completions", json=CHAT,
                            headers={"Authorization": "Bearer s3cret-key"})
        health = client.get("/health")
    assert missing.status_code == wrong.status_code == 401
    assert "Missing API key" in error_of(missing)["message"]
    assert error_of(wrong)["code"] == "invalid_api_key"
    assert right.status_code == 200 and health.status_code == 200
    assert "s3cret" not in caplog.text and "s3cret" not in repr(server.server.state.config)


def test_network_without_key_and_star_origin_with_key_are_refused() -> None:
    with pytest.raises(SettingsError, match="API key"):
        ServerConfig(host="0.0.0.0").check()
    with pytest.raises(SettingsError, match="exact origins"):
        ServerConfig(api_key="k", cors_origins=("*",)).check()
    assert ServerConfig(host="0.0.0.0", api_key="k").check().loopback_only is False


def test_cors_is_off_by_default(fake_server: FakeServer) -> None:
    with fake_server.client() as client:
        response = client.get("/v1/models", headers={"Origin": "http://localhost:5173"})
        preflight = client.options("/v1/chat/completions", headers={
            "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"})
        plain = client.get("/v1/models")
    assert response.status_code == preflight.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in plain.headers


def test_cors_listed_origin_gets_exactly_itself(make_server: ServerMaker) -> None:
    origin = "http://localhost:5173"
    server = make_server(cors_origins=(origin,), api_key="k")
    auth = {"Authorization": "Bearer k"}
    with server.client() as client:
        preflight = client.options("/v1/chat/completions", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os"})
        response = client.post("/v1/chat/completions", json=CHAT,
                               headers={"Origin": origin, **auth})
        other = client.get("/v1/models", headers={"Origin": "http://localhost:5174", **auth})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "x-stainless-os" in preflight.headers["access-control-allow-headers"]
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert other.status_code == 403


def test_body_over_the_limit_is_413(make_server: ServerMaker) -> None:
    server = make_server(max_body_bytes=64 * 1024)
    big = b'{"messages": [{"role": "user", "content": "' + b"x" * 70_000 + b'"}]}'

    def chunked():
        for start in range(0, len(big), 8192):
            yield big[start:start + 8192]

    with server.client() as client:
        declared = client.post("/v1/chat/completions", content=big,
                               headers={"Content-Type": "application/json"})
        streamed = client.post("/v1/chat/completions", content=chunked(),
                               headers={"Content-Type": "application/json"})
    assert declared.status_code == streamed.status_code == 413
    assert "64 KB" in error_of(declared)["message"]


@pytest.mark.parametrize(("body", "param"), [
    (b"{not json", None), (b"[]", None), (b"", None),
    (b'{"messages": []}', "messages"),
    (b'{"messages": [{"role": "user", "content": 5}]}', "messages.0.content"),
    (b'{"messages": [{"role": "wizard", "content": "x"}]}', "messages.0.role"),
    (b'{"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}', "temperature"),
    (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', "max_tokens"),
    (b'{"messages": [{"role": "user", "content": "x"}], "n": 2}', "n"),
])
def test_malformed_or_mistyped_body_is_400(fake_server: FakeServer, body: bytes,
                                           param: str | None) -> None:
    with fake_server.client() as client:
        response = client.post("/v1/chat/completions", content=body,
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["param"] == param


def test_unknown_model_is_404_listing_the_ids(fake_server: FakeServer) -> None:
    with fake_server.client() as client:
        response = client.post("/v1/chat/completions", json={**CHAT, "model": "gpt-4o"})
        models = client.get("/v1/models").json()["data"]
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "model_not_found" and "fake-model" in error["message"]
    assert models[0]["id"] == "fake-model"


def test_unknown_route_and_method_use_the_error_object(fake_server: FakeServer) -> None:
    with fake_server.client() as client:
        assert error_of(client.get("/v1/nothing"))["type"] == "not_found_error"
        assert client.get("/v1/chat/completions").status_code == 405


def test_full_queue_is_429_with_retry_after(make_server: ServerMaker) -> None:
    # A model that never finishes on its own: one request runs, one waits, the third is refused.
    server = make_server(FakeOptions(prompt_seconds=30), max_waiting=1)
    blockers = [_raw_post(server.server.port, CHAT)]
    _wait_for(lambda: server.owner.running is not None)
    blockers.append(_raw_post(server.server.port, CHAT))
    _wait_for(lambda: server.owner.queue.waiting() == 1)
    with server.client() as client:
        response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert error_of(response)["type"] == "rate_limit_error"
    for sock in blockers:
        sock.close()  # hanging up, even on a request not streamed, frees the model and queue
    _wait_for(lambda: server.owner.running is None and server.owner.queue.waiting() == 0)


def test_hang_up_stops_generation_at_once(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=list(words(5000)), tokens_per_second=200))
    with server.client() as client, client.stream(
            "POST", "/v1/chat/completions", json={**CHAT, "stream": True}) as response:
        lines = response.iter_lines()
        for _ in range(4):
            next(lines)
        hung_up = time.perf_counter()
    _wait_for(lambda: server.owner.running is None)
    stopped_after = server.owner.idle_at - hung_up
    # The goal is 100 ms (the benchmark measures it); a loaded CI machine gets slack.
    assert stopped_after < 1.0, stopped_after
    started = time.perf_counter()
    with server.client() as client:
        assert client.post("/v1/chat/completions", json={**CHAT, "max_tokens": 3}
                           ).status_code == 200
    assert time.perf_counter() - started < 30


def test_request_timeout_ends_the_reply_with_length(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=list(words(5000)), tokens_per_second=100),
                         request_timeout_s=0.3)
    with server.client() as client:
        response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    assert response.json()["choices"][0]["finish_reason"] == "length"


def _raw_post(port: int, body: dict) -> socket.socket:
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                 b"Content-Type: application/json\r\nContent-Length: " +
                 str(len(data)).encode() + b"\r\n\r\n" + data)
    return sock


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)
