"""Clients we did not write talk to ``openchat serve`` running the real starter model: the
official ``openai`` package (streamed and not), ``curl`` and LangChain's ``ChatOpenAI``.

SmolLM2-135M is a weak model: these tests check the protocol, never the wisdom of a reply.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.timeout(240)]
READY = re.compile(r"OpenChat API server: (http://127\.0\.0\.1:\d+/v1)")
KEY = "test-key-123"


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    model_id: str
    stderr: list[str]
    reader: threading.Thread


@pytest.fixture(scope="module")
def served(starter_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("serve-home")
    env = {**os.environ, "OPENCHAT_HOME": str(home), "OPENCHAT_API_KEY": KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "openchat_desktop", "serve", "--port", "0", "--threads", "1",
         "--ctx-size", "2048", "--api-key-env", "OPENCHAT_API_KEY", "--model",
         str(starter_model)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    assert process.stdout is not None and process.stderr is not None
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr or ()), daemon=True)
    reader.start()
    line = process.stdout.readline()  # blocks until ready (the fixture has its timeout)
    match = READY.search(line)
    if match is None:
        process.kill()
        pytest.fail(f"serve did not start: {line!r} {''.join(errors)[-2000:]}")
    try:
        yield Served(match.group(1), process, starter_model.stem, errors, reader)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def openai_client(served: Served):
    import openai

    return openai.OpenAI(base_url=served.url, api_key=KEY, max_retries=0, timeout=120)


def test_openai_client_chat(served: Served) -> None:
    client = openai_client(served)
    models = client.models.list()
    assert models.data[0].id == served.model_id
    reply = client.chat.completions.create(
        model=served.model_id, messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=16, temperature=0.2, seed=7)
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert isinstance(reply.choices[0].message.content, str)
    assert reply.usage is not None and reply.usage.prompt_tokens > 0
    assert 0 < reply.usage.completion_tokens <= 16
    again = client.chat.completions.create(
        model=served.model_id, messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=16, temperature=0.2, seed=7)
    assert again.choices[0].message.content == reply.choices[0].message.content  # same seed


def test_openai_client_stream_with_usage(served: Served) -> None:
    client = openai_client(served)
    stream = client.chat.completions.create(
        model=served.model_id, messages=[{"role": "user", "content": "Count to five."}],
        max_tokens=12, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in ("stop", "length") and all(f is None for f in finishes[:-1])
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens <= 12
    assert isinstance(text, str)


def test_concurrent_openai_streams_each_get_their_text_alone(served: Served) -> None:
    """Four clients at once are decoded together (``--parallel`` 4 by default); each seeded
    stream is exactly what the same request gives alone."""
    client = openai_client(served)
    questions = ["Tell me about Paris.", "Write a line about cats.", "What is the sea?",
                 "Name a colour."]

    def ask(index: int) -> str:
        stream = client.chat.completions.create(
            model=served.model_id, messages=[{"role": "user", "content": questions[index]}],
            max_tokens=24, temperature=0.8, seed=40 + index, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    alone = [ask(index) for index in range(4)]
    together: list[str] = [""] * 4

    def run(index: int) -> None:
        together[index] = ask(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert together == alone
    assert all(alone)


def test_openai_client_raw_completion_and_stop(served: Served) -> None:
    client = openai_client(served)
    reply = client.completions.create(model=served.model_id, prompt="1, 2, 3, 4,",
                                      max_tokens=20, temperature=0, stop=["8"])
    assert "8" not in reply.choices[0].text
    assert reply.usage is not None and reply.usage.completion_tokens <= 20


def test_json_schema_reply_always_parses(served: Served) -> None:
    client = openai_client(served)
    schema = {"type": "object", "additionalProperties": False, "required": ["city"],
              "properties": {"city": {"type": "string", "maxLength": 24}}}
    reply = client.chat.completions.create(
        model=served.model_id, max_tokens=60, temperature=0.7,
        messages=[{"role": "user", "content": "Name a city in JSON."}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "city", "schema": schema}})
    data = json.loads(reply.choices[0].message.content or "")
    assert set(data) == {"city"} and isinstance(data["city"], str)


def test_errors_reach_the_client_as_openai_errors(served: Served) -> None:
    import openai

    client = openai_client(served)
    with pytest.raises(openai.NotFoundError, match=served.model_id):
        client.chat.completions.create(model="gpt-4o", max_tokens=4,
                                       messages=[{"role": "user", "content": "Hi"}])
    with pytest.raises(openai.BadRequestError, match="chat model"):
        client.embeddings.create(model=served.model_id, input="hello")
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=served.url, api_key="wrong", max_retries=0).models.list()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_streams_server_sent_events(served: Served) -> None:
    body = json.dumps({"model": served.model_id, "stream": True, "max_tokens": 8,
                       "messages": [{"role": "user", "content": "Hi"}]})
    result = subprocess.run(
        ["curl", "-sS", "-N", "--max-time", "60", f"{served.url}/chat/completions",
         "-H", f"Authorization: Bearer {KEY}", "-H", "Content-Type: application/json",
         "-d", body], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    events = [line[6:] for line in result.stdout.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert json.loads(events[0])["object"] == "chat.completion.chunk"


def test_langchain_chat_openai(served: Served) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    chat = langchain_openai.ChatOpenAI(base_url=served.url, api_key=KEY,
                                       model=served.model_id, max_tokens=12, max_retries=0,
                                       timeout=120)
    message = chat.invoke("Say hi.")
    assert isinstance(message.content, str)
    streamed = list(chat.stream("Say hi."))
    assert all(isinstance(chunk.content, str) for chunk in streamed)


def test_sigterm_stops_cleanly(served: Served) -> None:
    # Runs last in this module: the server logged one line per request, then stops on SIGTERM.
    if sys.platform == "win32":
        pytest.skip("SIGTERM is a POSIX signal")
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(30) == 0
    served.reader.join(10)
    log = "".join(served.stderr)
    assert re.search(r"POST /v1/chat/completions 200 \d+ tokens \d+\.\d+ s", log), log[-2000:]
    assert "stopped" in log and "Traceback" not in log and KEY not in log
