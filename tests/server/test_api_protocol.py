"""What a request asks for reaches the model, and the answer has OpenAI's shape (scripted
model): options, roles and content parts, embeddings, errors half-way, counters."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from fakes import FakeOptions
from server_fakes import CHAT, FakeServer, ServerMaker

pytestmark = pytest.mark.timeout(60)


def test_request_options_reach_the_engine(fake_server: FakeServer) -> None:
    body = {"messages": [{"role": "developer", "content": "Be brief."},
                         {"role": "user", "content": [{"type": "text", "text": "Hel"},
                                                      {"type": "text", "text": "lo"}]}],
            "stop": ["END", "STOP"], "presence_penalty": 0.5, "frequency_penalty": -0.5,
            "temperature": 0.3, "top_k": 7, "min_p": 0.2, "repeat_penalty": 1.2, "seed": 5,
            "max_completion_tokens": 3, "response_format": {"type": "json_object"}}
    with fake_server.client() as client:
        reply = client.post("/v1/chat/completions", json=body).json()
    engine = fake_server.engine
    options, sampling, prompt = engine.options_seen[-1], engine.sampling[-1], engine.prompts[-1]
    assert options is not None and options.stop == ("END", "STOP")
    assert (options.presence_penalty, options.frequency_penalty) == (0.5, -0.5)
    assert "object" in options.grammar
    assert (sampling.temperature, sampling.top_k, sampling.min_p, sampling.seed,
            sampling.repeat_penalty, sampling.max_tokens) == (0.3, 7, 0.2, 5, 1.2, 3)
    assert [(m.role, m.content) for m in prompt] == [("system", "Be brief."), ("user", "Hello")]
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 3


def test_a_schema_that_cannot_be_a_grammar_is_400(fake_server: FakeServer) -> None:
    schema = {"type": "array", "minItems": 10**9, "items": {"type": "integer"}}
    with fake_server.client() as client:
        response = client.post("/v1/chat/completions", json={
            **CHAT, "response_format": {"type": "json_schema",
                                        "json_schema": {"name": "x", "schema": schema}}})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "response_format.json_schema"


def test_image_parts_are_refused(fake_server: FakeServer) -> None:
    part = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with fake_server.client() as client:
        response = client.post("/v1/chat/completions",
                               json={"messages": [{"role": "user", "content": [part]}]})
    assert response.status_code == 400


def test_raw_completion_streams_text_chunks(fake_server: FakeServer) -> None:
    with fake_server.client() as client:
        response = client.post("/v1/completions", json={"prompt": ["Once"], "stream": True})
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    chunks = [json.loads(e) for e in events[:-1]]
    assert events[-1] == "[DONE]"
    assert all(c["object"] == "text_completion" for c in chunks)
    assert "".join(c["choices"][0]["text"] for c in chunks) == "Hello, I am a fake model."
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_a_failure_half_way_ends_the_stream_with_an_error_event(
        make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(fail_after=2))
    with server.client() as client:
        streamed = client.post("/v1/chat/completions", json={**CHAT, "stream": True})
        whole = client.post("/v1/chat/completions", json=CHAT)
    events = [line[6:] for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert streamed.status_code == 200 and events[-1] == "[DONE]"
    assert "fake decode failed" in json.loads(events[-2])["error"]["message"]
    assert whole.status_code == 500
    assert whole.json()["error"]["message"] == "Generation failed: fake decode failed"


def test_a_conversation_too_long_is_400_not_trimmed(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(trimmed_messages=1))
    with server.client() as client:
        response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "context_length_exceeded"


def test_embeddings_when_the_model_embeds(make_server: ServerMaker) -> None:
    server = make_server(can_embed=True)
    with server.client() as client:
        floats = client.post("/v1/embeddings", json={"input": ["ab", "abcd"]}).json()
        packed = client.post("/v1/embeddings",
                             json={"input": "abc", "encoding_format": "base64"}).json()
    assert [d["embedding"] for d in floats["data"]] == [[2.0, 1.0, 0.0], [4.0, 1.0, 0.0]]
    assert floats["usage"]["prompt_tokens"] == 2
    vector = struct.unpack("<3f", base64.b64decode(packed["data"][0]["embedding"]))
    assert vector == (3.0, 1.0, 0.0)


def test_models_by_id_and_counters(fake_server: FakeServer) -> None:
    reports: list[tuple[int, int]] = []
    fake_server.server.state.on_activity = lambda served, active: reports.append(
        (served, active))
    with fake_server.client() as client:
        assert client.get("/v1/models/fake-model").json()["id"] == "fake-model"
        assert client.get("/v1/models/fake-model.gguf").json()["id"] == "fake-model"
        assert client.get("/v1/models/nope").status_code == 404
        client.post("/v1/chat/completions", json=CHAT)
        client.post("/v1/chat/completions", json={**CHAT, "stream": True})
    assert reports == [(0, 1), (1, 0), (1, 1), (2, 0)]
