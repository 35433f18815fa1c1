"""Tiny helpers for building widgets."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject

W = TypeVar("W", bound=QObject)


def named(widget: W, name: str) -> W:
    """``widget`` with its object name set (the style sheet styles widgets by name)."""
    widget.setObjectName(name)
    return widget
