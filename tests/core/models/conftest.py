"""The model library and the Hub tests never see the real Hugging Face cache or token."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_hf_cache(empty_hf_cache: Path) -> Path:
    """``empty_hf_cache`` (fixtures/hub.py) for every test in this folder."""
    return empty_hf_cache
