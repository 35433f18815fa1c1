"""Fixtures for the model manager tests: a fake Hub and an empty Hugging Face cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FILE, GATED, REPO, TOKEN, FakeHub, make_gguf

from openchat_desktop.core.models.hub import HubClient


@pytest.fixture(autouse=True)
def empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never look at (or write to) the real Hugging Face cache."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return cache


@pytest.fixture(scope="session")
def model_bytes() -> bytes:
    """A valid ~1 MB GGUF file."""
    return make_gguf(1024 * 1024, seed=1)


@pytest.fixture
def fake_hub(model_bytes: bytes) -> Iterator[FakeHub]:
    """A running fake Hub with a public GGUF repo and a gated one."""
    hub = FakeHub()
    hub.add_repo(REPO, {FILE: model_bytes, "tiny-chat.Q8_0.gguf": make_gguf(64 * 1024, seed=2),
                        "README.md": b"# Tiny chat\n"})
    hub.add_repo(GATED, {"secret.Q4_K_M.gguf": make_gguf(32 * 1024, seed=3)}, gated=True)
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture
def client(fake_hub: FakeHub) -> Iterator[HubClient]:
    """A HubClient pointed at the fake Hub."""
    hub_client = HubClient(endpoint=fake_hub.url, timeout=5.0)
    yield hub_client
    hub_client.close()


@pytest.fixture
def token_client(fake_hub: FakeHub) -> Iterator[HubClient]:
    """A HubClient that has the fake Hub's access token."""
    hub_client = HubClient(endpoint=fake_hub.url, token=TOKEN, timeout=5.0)
    yield hub_client
    hub_client.close()
