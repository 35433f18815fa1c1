"""The model library's small state file, ``models/imported.json``.

It records files imported in place (used where they are) and files the user removed from the
list without deleting them (in the Hugging Face cache or an extra folder), as absolute paths.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STATE_FILE = "imported.json"


def _load(models_dir: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((models_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"imported": [], "hidden": []}
    if not isinstance(data, dict):
        return {"imported": [], "hidden": []}
    return {key: [str(item) for item in data.get(key, []) if isinstance(item, str)]
            for key in ("imported", "hidden")}


def _save(models_dir: Path, data: dict[str, list[str]]) -> None:
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / STATE_FILE
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def imported(models_dir: Path) -> list[str]:
    """Paths of the files imported in place."""
    return _load(models_dir)["imported"]


def hidden(models_dir: Path) -> list[str]:
    """Paths the user removed from the list (the files themselves were kept)."""
    return _load(models_dir)["hidden"]


def add_imported(models_dir: Path, path: Path) -> None:
    """Record ``path`` as imported; importing it again also un-hides it."""
    data = _load(models_dir)
    text = str(path)
    data["hidden"] = [item for item in data["hidden"] if item != text]
    if text not in data["imported"]:
        data["imported"].append(text)
    _save(models_dir, data)


def remove_imported(models_dir: Path, path: Path) -> None:
    """Forget an imported path (the file is left alone)."""
    data = _load(models_dir)
    text = str(path)
    if text in data["imported"]:
        data["imported"].remove(text)
        _save(models_dir, data)


def hide(models_dir: Path, path: Path) -> None:
    """Stop listing ``path`` (a file in the HF cache or an extra folder)."""
    data = _load(models_dir)
    text = str(path)
    if text not in data["hidden"]:
        data["hidden"].append(text)
        _save(models_dir, data)
