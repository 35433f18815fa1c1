"""HubClient (search, file lists, metadata, errors, endpoint choice) against the fake Hub."""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from fakehub import FILE, GATED, REPO, FakeHub, closed_port_url

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models.hub import DEFAULT_ENDPOINT, HubClient, resolve_endpoint
from openchat_desktop.core.models.hub_errors import GATED_MESSAGE, HubOfflineError, status_error


def test_search_finds_gguf_repos(client: HubClient) -> None:
    hits = client.search("tiny")
    assert [hit.repo_id for hit in hits] == [REPO]
    assert hits[0].downloads == 100 and hits[0].likes == 5
    assert hits[0].updated is not None and hits[0].updated.year == 2024
    assert client.search("no-such-thing") == []


def test_list_gguf_files_has_sizes_and_hashes(client: HubClient, model_bytes: bytes) -> None:
    files = client.list_gguf_files(REPO)
    assert [item.path for item in files] == ["tiny-chat.Q4_K_M.gguf", "tiny-chat.Q8_0.gguf"]
    assert files[0].size == len(model_bytes)
    assert files[0].sha256 == hashlib.sha256(model_bytes).hexdigest()


def test_file_metadata_pins_the_commit(fake_hub: FakeHub, client: HubClient,
                                       model_bytes: bytes) -> None:
    meta = client.file_metadata(REPO, FILE)
    commit = fake_hub.repos[REPO].commit
    assert (meta.size, meta.commit) == (len(model_bytes), commit)
    assert meta.sha256 == hashlib.sha256(model_bytes).hexdigest()
    assert meta.url == f"{fake_hub.url}/{REPO}/resolve/{commit}/{FILE}"


@pytest.mark.usefixtures("gated_repo")
def test_clear_errors(client: HubClient) -> None:
    with pytest.raises(HubError, match=f"^{re.escape(GATED_MESSAGE)}$"):
        client.file_metadata(GATED, "secret.Q4_K_M.gguf")
    with pytest.raises(HubError, match=r"^Not found on the Hub: nobody/nothing"):
        client.list_gguf_files("nobody/nothing")
    with pytest.raises(HubError, match=f"^Not found on the Hub: {REPO}/gone.gguf$"):
        client.file_metadata(REPO, "gone.gguf")


def test_status_errors_read_hub_headers() -> None:
    assert "HTTP 503" in str(status_error(503, {"X-Error-Message": "down\nfor\nrepairs"}, "x"))
    assert str(status_error(503, {"X-Error-Message": "down\nfor\nrepairs"}, "x")).endswith(
        ": down for repairs")
    assert str(status_error(403, {}, "a/b")) == GATED_MESSAGE
    assert "HTTP 400" in str(status_error(400, {}, "a/b"))


def test_offline_fails_fast() -> None:
    endpoint = closed_port_url()
    client = HubClient(endpoint=endpoint, timeout=5.0)
    started = time.monotonic()
    with pytest.raises(HubOfflineError, match=f"^No connection to {endpoint}"):
        client.search("anything")
    with pytest.raises(HubOfflineError):
        client.file_metadata(REPO, FILE)
    assert time.monotonic() - started < 5
    client.close()


def test_endpoint_choice(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_endpoint(None) == DEFAULT_ENDPOINT
    assert resolve_endpoint("https://hf-mirror.com/") == "https://hf-mirror.com"
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    from_env = HubClient()
    assert from_env.endpoint == fake_hub.url
    assert from_env.search("tiny")[0].repo_id == REPO
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    explicit = HubClient(endpoint=fake_hub.url)  # the setting beats the environment
    assert explicit.search("tiny")[0].repo_id == REPO
    from_env.close()
    explicit.close()


def test_saved_token_is_not_sent_to_a_mirror(fake_hub: FakeHub, client: HubClient,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_private_token_of_the_user")
    client.file_metadata(REPO, FILE)
    assert all("Authorization" not in headers and "authorization" not in headers
               for _, _, headers in fake_hub.requests)


def test_proxy_is_used(fake_hub: FakeHub) -> None:
    proxy = closed_port_url()
    client = HubClient(endpoint=fake_hub.url, proxy=proxy, timeout=5.0)
    try:
        with pytest.raises(HubOfflineError, match="proxy"):
            client.file_metadata(REPO, FILE)
        with pytest.raises(HubOfflineError, match="proxy"), \
                client.open_range(f"{fake_hub.url}/{REPO}/resolve/main/{FILE}", 0, FILE):
            pass
    finally:
        client.close()
    assert fake_hub.requests == []  # nothing went around the proxy
    direct = HubClient(endpoint=fake_hub.url)  # no proxy again: huggingface_hub's session too
    assert direct.file_metadata(REPO, FILE).size
    direct.close()
