"""Every remote-engine test runs on a memory keychain; the servers come from
``tests/fixtures/remote.py``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _memory_keyring_for_every_test(memory_keyring: object) -> object:
    return memory_keyring
