"""The SSE parser, the connections file, the key store and the privacy rule."""

from __future__ import annotations

import json
import stat
import sys

import pytest
from keyring.backends import fail

from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.remote.connections import Connection, ConnectionStore, is_private_host
from openchat_desktop.core.remote.errors import RemoteError
from openchat_desktop.core.remote.keys import KeyStore
from openchat_desktop.core.remote.model_ref import parse_remote, split_label
from openchat_desktop.core.remote.opening import needs_confirmation
from openchat_desktop.core.remote.sse import SSEParser


def test_sse_parser_joins_data_lines_and_skips_comments() -> None:
    parser = SSEParser()
    events = [parser.feed(line) for line in
              (": keep-alive", "event: delta", "data: a", "data:b", "", "data: [DONE]", "")]
    found = [e for e in events if e is not None]
    assert [(e.event, e.data) for e in found] == [("delta", "a\nb"), ("message", "[DONE]")]
    parser.feed("data: tail")
    assert parser.pending and parser.flush().data == "tail"  # type: ignore[union-attr]


def test_model_refs_round_trip_with_slashes_in_the_model() -> None:
    ref = split_label("gpu-box/Qwen/Qwen3-32B")
    assert ref is not None and ref.model == "Qwen/Qwen3-32B"
    assert parse_remote(ref.path) == ref and parse_remote(ref.stored) == ref
    assert parse_remote("/models/a.gguf") is None and split_label("nomodel") is None


def test_store_writes_its_own_file_and_validates() -> None:
    config = app_paths().config_dir
    store = ConnectionStore(config)
    store.put(Connection("gpu-box", "http://gpu-box:8000/v1/", {"X-Tenant": "a"}))
    again = ConnectionStore(config)
    assert again.require("gpu-box").base_url == "http://gpu-box:8000/v1"
    assert not (config / "settings.json").exists()
    for bad in (Connection("a/b", "http://x/v1"), Connection("ok", "ftp://x"),
                Connection("ok", "http://u:p@x/v1"),
                Connection("ok", "http://x/v1", {"Authorization": "Bearer k"})):
        with pytest.raises(RemoteError):
            store.put(bad)
    with pytest.raises(RemoteError, match="known: gpu-box"):
        again.require("nope")
    assert again.remove("gpu-box") and ConnectionStore(config).all() == []


def test_a_damaged_file_is_a_warning_and_kept_aside() -> None:
    config = app_paths().config_dir
    config.mkdir(parents=True)
    (config / "connections.json").write_text("{oops", encoding="utf-8")
    store = ConnectionStore(config)
    assert store.all() == [] and "could not be read" in store.warnings[0]
    store.put(Connection("a", "http://127.0.0.1:1/v1"))
    assert (config / "connections.json.bak").read_text(encoding="utf-8") == "{oops"


def test_keys_go_to_the_keychain_and_never_to_the_files(memory_keyring: object) -> None:
    config = app_paths().config_dir
    keys = KeyStore(config)
    assert keys.uses_keychain and "system keychain" in keys.where()
    keys.set("gpu-box", "sk-secret")
    assert keys.get("gpu-box") == "sk-secret" and not (config / "connection-keys.json").exists()
    keys.delete("gpu-box")
    assert keys.get("gpu-box") == ""


def test_without_a_keychain_keys_go_to_a_private_file() -> None:
    config = app_paths().config_dir
    keys = KeyStore(config, backend=fail.Keyring())
    assert not keys.uses_keychain and "readable only by you" in keys.where()
    keys.set("gpu-box", "sk-secret")
    assert KeyStore(config, backend=fail.Keyring()).get("gpu-box") == "sk-secret"
    if sys.platform != "win32":
        assert stat.S_IMODE(keys.file.stat().st_mode) == 0o600
    data = json.loads(keys.file.read_text(encoding="utf-8"))
    assert data["keys"] == {"gpu-box": "sk-secret"}


@pytest.mark.parametrize(("host", "private"), [
    ("127.0.0.1", True), ("localhost", True), ("192.168.1.20", True), ("10.0.0.5", True),
    ("100.101.102.103", True), ("::1", True), ("fd00::1", True), ("8.8.8.8", False),
    ("2001:4860:4860::8888", False), ("no-such-host.invalid", False)])
def test_private_hosts(host: str, private: bool) -> None:
    assert is_private_host(host) is private


def test_a_public_host_needs_a_yes_once() -> None:
    public = Connection("cloud", "https://8.8.8.8/v1")
    assert needs_confirmation(public)
    assert not needs_confirmation(Connection("cloud", "https://8.8.8.8/v1", public_ok=True))
    assert not needs_confirmation(Connection("lan", "http://192.168.0.2:8000/v1"))

