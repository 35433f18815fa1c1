"""Writing a small file so that a crash or a full disk never leaves half of it behind."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomically(path: Path, payload: Any, *, private: bool = False,
                          **dump_options: Any) -> None:
    """Write ``payload`` as JSON to ``path`` through a temporary file beside it, flushed to
    disk and then renamed over the old file, so readers see the old or the new whole file.

    ``private`` keeps the file readable by its owner only (secrets). Raises OSError; the
    temporary file is removed whatever happens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
    try:
        if private:  # mkstemp makes the file 0600 already; some filesystems differ
            os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, **dump_options)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
