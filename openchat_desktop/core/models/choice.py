"""Which model file to use when the user names one, or names none."""

from __future__ import annotations

from pathlib import Path

from openchat_desktop.core.errors import NoModelError
from openchat_desktop.core.paths import starter_model_path

HOW_TO_GET_A_MODEL = (
    "no model found: pass --model PATH.gguf, download one with "
    "`openchat models pull REPO:FILE`, or reinstall with `make run` to get the starter model"
)


def resolve_model(requested: str | None, default: str = "",
                  extra_dirs: list[str] | None = None) -> Path:
    """The model file for ``requested`` (a path or an installed model's name); without one,
    the configured ``default``, else the starter model. Raises NoModelError.

    A remote model (``CONNECTION/MODEL`` of a known connection, or ``remote:CONNECTION/MODEL``)
    comes back as the path-like ``remote:`` form; the backend factory opens it."""
    if requested:
        return (_find(requested, extra_dirs) or remote_model(requested)
                or Path(requested).expanduser())
    if default:
        found = _find(default, extra_dirs) or remote_model(default)
        if found is not None:
            return found
    starter = starter_model_path()
    if starter is None:
        raise NoModelError(HOW_TO_GET_A_MODEL)
    return starter


def _find(name: str, extra_dirs: list[str] | None) -> Path | None:
    path = Path(name).expanduser()
    if path.exists():
        return path
    from openchat_desktop.core.models.library import find_model

    model = find_model(name, extra_dirs or [])
    return model.path if model is not None else None


def remote_model(name: str) -> Path | None:
    """``name`` as a remote model's path-like form, when it names one; else None."""
    from openchat_desktop.core.paths import app_paths
    from openchat_desktop.core.remote.connections import ConnectionStore
    from openchat_desktop.core.remote.model_ref import parse_remote, split_label

    ref = parse_remote(name)
    if ref is not None:
        return ref.path
    ref = split_label(name)
    if ref is None or ConnectionStore(app_paths().config_dir).get(ref.connection) is None:
        return None
    return ref.path
