"""How a remote model travels through code written for model files.

A remote model is named ``CONNECTION/MODEL`` by people (``gpu-box/qwen3-32b``) and stored as
``remote:CONNECTION/MODEL`` wherever a model path goes (``LoadSettings.model_path``, a
conversation's ``model.path``), so the worker's "is this the loaded model?" checks, the
conversation store and the status bar need no second field. The model part may itself hold
slashes (vLLM serves ``Qwen/Qwen3-32B``); the connection name never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

REMOTE_PREFIX = "remote:"
# How a remote backend's device describes itself ("Remote: gpu-box:8000"); the status bar
# reads the host back from it.
DEVICE_PREFIX = "Remote: "
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class RemoteRef:
    """One model on one connection."""

    connection: str
    model: str

    @property
    def label(self) -> str:
        """``CONNECTION/MODEL``, the way a person types it."""
        return f"{self.connection}/{self.model}"

    @property
    def path(self) -> Path:
        """The path-like form that travels in ``LoadSettings.model_path``."""
        return Path(self.stored)

    @property
    def stored(self) -> str:
        """The text form kept in a conversation's ``model.path``."""
        return f"{REMOTE_PREFIX}{self.label}"


def parse_remote(value: str | PathLike[str] | None) -> RemoteRef | None:
    """The remote model ``value`` names when it is ``remote:CONN/MODEL``; else None."""
    if value is None:
        return None
    # A Windows Path turns the slashes round; a model id never holds a backslash.
    text = str(value).replace("\\", "/")
    if not text.startswith(REMOTE_PREFIX):
        return None
    return split_label(text[len(REMOTE_PREFIX):])


def split_label(label: str) -> RemoteRef | None:
    """``CONN/MODEL`` as a RemoteRef, or None when it is not shaped like one."""
    connection, slash, model = label.partition("/")
    if not slash or not model or not NAME_PATTERN.match(connection):
        return None
    return RemoteRef(connection, model)


def is_remote(value: str | PathLike[str] | None) -> bool:
    return parse_remote(value) is not None


def remote_host(device: str) -> str:
    """The host of a device description made by a remote backend; "" for a local device."""
    return device[len(DEVICE_PREFIX):] if device.startswith(DEVICE_PREFIX) else ""
