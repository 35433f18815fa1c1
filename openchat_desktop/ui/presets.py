"""Named sampling presets: a few built in, the rest the user's own, in one JSON file.

A preset holds sampling values and optionally a system prompt, under the settings' own keys,
so applying one is just setting each key on the conversation.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY
from openchat_desktop.ui.i18n import N_

log = logging.getLogger(__name__)
PRESET_KEYS = (*(k for k in SETTINGS_BY_KEY if k.startswith("sampling.")),
               "chat.system_prompt")
BUILT_IN: dict[str, dict[str, Any]] = {
    N_("Precise"): {"sampling.temperature": 0.2, "sampling.top_p": 0.9, "sampling.top_k": 40,
                    "sampling.min_p": 0.05, "sampling.repeat_penalty": 1.1},
    N_("Balanced"): {"sampling.temperature": 0.8, "sampling.top_p": 0.95, "sampling.top_k": 40,
                     "sampling.min_p": 0.05, "sampling.repeat_penalty": 1.1},
    N_("Creative"): {"sampling.temperature": 1.1, "sampling.top_p": 0.98, "sampling.top_k": 100,
                     "sampling.min_p": 0.02, "sampling.repeat_penalty": 1.05},
}


class PresetStore:
    """Presets kept in ``path`` (JSON); built-in ones cannot be overwritten or deleted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._user = self._read()

    def names(self) -> list[str]:
        """Built-in presets first, then the user's, alphabetically."""
        return list(BUILT_IN) + sorted(self._user, key=str.casefold)

    def is_built_in(self, name: str) -> bool:
        return name in BUILT_IN

    def get(self, name: str) -> dict[str, Any]:
        return dict(BUILT_IN.get(name) or self._user.get(name) or {})

    def save(self, name: str, values: dict[str, Any]) -> None:
        """Store ``values`` (only preset keys) under ``name``; raises ValueError for a built-in
        name or a blank one."""
        name = " ".join(name.split())
        if not name or name in BUILT_IN:
            raise ValueError(f"cannot save a preset named {name!r}")
        self._user[name] = {k: v for k, v in values.items() if k in PRESET_KEYS}
        self._write()

    def delete(self, name: str) -> None:
        if self._user.pop(name, None) is not None:
            self._write()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("presets file ignored: %s", exc)
            return {}
        presets = raw.get("presets") if isinstance(raw, dict) else None
        if not isinstance(presets, dict):
            return {}
        return {str(name): {k: v for k, v in values.items() if k in PRESET_KEYS}
                for name, values in presets.items() if isinstance(values, dict)}

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".presets-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": 1, "presets": self._user}, handle, ensure_ascii=False,
                          indent=2, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
