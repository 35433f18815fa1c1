"""Model ids the API offers: installed files by name, a remote model by CONNECTION/MODEL."""

from __future__ import annotations

from pathlib import Path

import pytest

from openchat_desktop.server.errors import ApiError
from openchat_desktop.server.model_ids import ModelDirectory


def test_a_fronted_remote_model_is_offered_and_found_by_its_label() -> None:
    directory = ModelDirectory()
    loaded = Path("remote:gpu-box/Qwen/Qwen3-32B")
    first = directory.offered(loaded)[0]
    assert (first.id, first.owned_by) == ("gpu-box/Qwen/Qwen3-32B", "gpu-box")
    assert directory.resolve("gpu-box/Qwen/Qwen3-32B", loaded) is None  # already loaded


def test_an_unknown_id_lists_what_is_offered() -> None:
    directory = ModelDirectory()
    with pytest.raises(ApiError) as caught:
        directory.resolve("no-such-model", Path("remote:box/starter"))
    assert caught.value.status == 404 and "box/starter" in caught.value.message
