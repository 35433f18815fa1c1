"""Fixtures for the window tests: a Qt warning logged during a test fails it.

The apps themselves (``make_app``, ``fake_model``, ``App``) come from fixtures/apps.py; every
window and context is closed after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from qt_warnings import assert_no_qt_warnings


@pytest.fixture(autouse=True)
def no_qt_warnings(qtlog: Any) -> Iterator[None]:
    yield
    assert_no_qt_warnings(qtlog)
