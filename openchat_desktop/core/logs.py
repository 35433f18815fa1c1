"""The app's log file, in the platform's log folder (the error dialog points to it)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from openchat_desktop.core.paths import AppPaths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(paths: AppPaths, level: int = logging.INFO) -> Path | None:
    """Log to a rotating file (1 MB x 3); returns its path, or None if it can't be written."""
    root = logging.getLogger()
    if any(getattr(h, "_openchat", False) for h in root.handlers):
        return paths.log_file
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            paths.log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._openchat = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return paths.log_file
