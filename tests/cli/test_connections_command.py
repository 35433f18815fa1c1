"""`openchat connections …` and `openchat chat --model CONNECTION/MODEL` as a user runs them:
real processes against the real ``llama_cpp.server``. The keychain is forced to keyring's
"fail" backend, so keys go to the private file inside the test's own OPENCHAT_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_fakes import LlamaServer, free_port, start_llama_server

KEY = "sk-cli-secret"
NO_KEYCHAIN = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def openchat(*args: str, stdin: str = "", env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "openchat_desktop", *args], input=stdin,
                            capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **NO_KEYCHAIN, **(env or {})})
    assert "Traceback" not in result.stderr and KEY not in result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def server(starter_model: Path) -> Iterator[LlamaServer]:
    running = start_llama_server(starter_model, key=KEY, alias="tiny")
    yield running
    running.stop()


def test_add_list_chat_and_remove(server: LlamaServer, openchat_home: Path) -> None:
    added = openchat("connections", "add", "box", "--base-url", server.base_url,
                     "--api-key-stdin", "--header", "X-Team=blue", stdin=KEY + "\n")
    assert added.returncode == 0, added.stderr
    saved = (openchat_home / "config" / "connections.json").read_text(encoding="utf-8")
    assert KEY not in saved and json.loads(saved)["connections"][0]["headers"] == \
        {"X-Team": "blue"}
    listed = openchat("connections", "list")
    assert "box" in listed.stdout and "set" in listed.stdout
    assert "readable only by you" in listed.stdout

    tested = openchat("connections", "test", "box")
    assert tested.returncode == 0, tested.stderr
    assert "box/tiny" in tested.stdout and "first token after" in tested.stdout
    models = openchat("models", "list")
    assert models.returncode == 0 and "box/tiny" in models.stdout

    chat = openchat("chat", "--model", "box/tiny", "--prompt", "Say hello.", "-n", "8",
                    "--seed", "3")
    assert chat.returncode == 0, chat.stderr
    assert "Remote: 127.0.0.1" in chat.stdout and "bot: " in chat.stdout
    assert "tokens generated" in chat.stdout

    removed = openchat("connections", "rm", "box")
    assert removed.returncode == 0 and "box" not in openchat("connections", "list").stdout


def test_key_from_the_environment_and_a_wrong_one(server: LlamaServer) -> None:
    openchat("connections", "add", "box", "--base-url", server.base_url,
             "--api-key-env", "BOX_KEY", env={"BOX_KEY": "wrong"})
    result = openchat("chat", "--model", "box/tiny", "--prompt", "hi", "-n", "2")
    assert result.returncode == 1 and "refused the API key" in result.stderr
    assert result.stderr.count("\n") == 1


def test_errors_are_one_line() -> None:
    missing = openchat("connections", "add", "x", "--base-url", "http://h/v1",
                       "--api-key-env", "NOT_SET_ANYWHERE")
    assert missing.returncode == 1 and "$NOT_SET_ANYWHERE is not set" in missing.stderr
    bad = openchat("connections", "add", "a/b", "--base-url", "http://h/v1")
    assert bad.returncode == 1 and "not valid" in bad.stderr
    openchat("connections", "add", "down", "--base-url", f"http://127.0.0.1:{free_port()}/v1")
    down = openchat("connections", "test", "down")
    assert down.returncode == 1 and "refused" in down.stderr
    assert down.stderr.count("\n") == 1
    unknown = openchat("connections", "test", "nope")
    assert unknown.returncode == 1 and "No connection named 'nope'" in unknown.stderr


def test_a_public_host_needs_yes(openchat_home: Path) -> None:
    refused = openchat("connections", "add", "cloud", "--base-url", "https://8.8.8.8/v1")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert not (openchat_home / "config" / "connections.json").exists()
    agreed = openchat("connections", "add", "cloud", "--base-url", "https://8.8.8.8/v1",
                      "--yes")
    assert agreed.returncode == 0, agreed.stderr
    saved = json.loads((openchat_home / "config" / "connections.json").read_text("utf-8"))
    assert saved["connections"][0]["public_ok"] is True
