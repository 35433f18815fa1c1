"""Which models the API offers, by id: the installed ones (the model library), loaded first.

A model's id is its file name without ``.gguf`` (what the window shows); the file name and a
Hub model's ``owner/repo:file`` are accepted too. The library is scanned at most every few
seconds: a scan only stats files, but a busy client asks on every request.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openchat_desktop.core.models.library import GGUF_SUFFIX, list_installed
from openchat_desktop.core.remote.model_ref import parse_remote
from openchat_desktop.server.errors import ApiError

RESCAN_S = 3.0
MAX_IDS_IN_MESSAGE = 20


@dataclass(frozen=True)
class OfferedModel:
    id: str
    path: Path
    created: int
    owned_by: str
    aliases: tuple[str, ...] = ()


class ModelDirectory:
    """The offered models; ``extra_dirs`` are the library's extra folders setting."""

    def __init__(self, extra_dirs: Sequence[str] = ()) -> None:
        self._extra_dirs = list(extra_dirs)
        self._lock = threading.Lock()
        self._cache: tuple[float, list[OfferedModel]] = (0.0, [])

    def offered(self, loaded: Path | None) -> list[OfferedModel]:
        """Every installed model, the loaded one first (listed even when it lives outside
        the library, e.g. ``openchat serve --model some/file.gguf``)."""
        models = list(self._installed())
        if loaded is not None:
            real = os.path.realpath(loaded)
            current = [m for m in models if os.path.realpath(m.path) == real]
            if not current:
                current = [_offer_loaded(loaded)]
            models = current + [m for m in models if m not in current]
        return models

    def resolve(self, requested: str | None, loaded: Path | None) -> Path | None:
        """The model file a request names; None for "whatever is loaded" (no ``model``, or
        the loaded one's id). Raises ``ApiError`` 404 listing the ids for an unknown one."""
        models = self.offered(loaded)
        if not requested:
            return None
        key = requested.strip()
        match = next((m for m in models if key == m.id or key in m.aliases), None) or \
            next((m for m in models if key.lower() == m.id.lower()), None)
        if match is not None:
            if loaded is not None and os.path.realpath(match.path) == os.path.realpath(loaded):
                return None
            return match.path
        ids = [m.id for m in models]
        shown = ", ".join(ids[:MAX_IDS_IN_MESSAGE]) + (" …" if len(ids) > MAX_IDS_IN_MESSAGE
                                                        else "")
        raise ApiError(404, f"The model '{key[:100]}' is not installed. Installed: "
                       f"{shown or 'none'}", param="model", code="model_not_found")

    def _installed(self) -> list[OfferedModel]:
        with self._lock:
            stamp, models = self._cache
            if time.monotonic() - stamp > RESCAN_S:
                models = [_offer(m.path, m.repo or m.source, (m.name,) +
                                 ((m.spec,) if m.spec else ()))
                          for m in list_installed(self._extra_dirs)]
                self._cache = (time.monotonic(), models)
            return models


def _offer_loaded(loaded: Path) -> OfferedModel:
    """The loaded model when the library does not list it: a file elsewhere, or a remote
    model (``openchat serve --model CONNECTION/MODEL``), offered as ``CONNECTION/MODEL``."""
    remote = parse_remote(loaded)
    if remote is not None:
        return OfferedModel(remote.label, loaded, 0, remote.connection, (str(loaded),))
    return _offer(loaded, "local", (loaded.name,))


def _offer(path: Path, owner: str, aliases: tuple[str, ...]) -> OfferedModel:
    name = path.name
    model_id = name[: -len(GGUF_SUFFIX)] if name.lower().endswith(GGUF_SUFFIX) else name
    try:
        created = int(path.stat().st_mtime)
    except OSError:
        created = 0
    return OfferedModel(model_id, path, created, owner.split("/")[0] or "local", aliases)
