"""Partial downloads on disk: ``<target>.part`` plus a ``<target>.part.json`` sidecar.

The sidecar records where the bytes come from (repo, file, commit, size, SHA-256, ETag), so a
restarted app can resume the download, or notice that the file changed on the Hub and start
over instead of splicing two different files together.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

PART_SUFFIX = ".part"
SIDECAR_SUFFIX = ".part.json"


@dataclass(frozen=True)
class PartInfo:
    """What a ``.part`` file is a piece of."""

    repo: str
    filename: str
    revision: str
    url: str
    size: int | None
    sha256: str | None
    etag: str | None
    commit: str | None

    def same_remote(self, other: PartInfo) -> bool:
        """Whether both describe the same bytes (so a part of one is a part of the other)."""
        if self.size != other.size or self.repo != other.repo or \
                self.filename != other.filename:
            return False
        if self.sha256 or other.sha256:
            return self.sha256 == other.sha256
        return self.etag == other.etag and self.commit == other.commit


@dataclass(frozen=True)
class PendingDownload:
    """A download that was interrupted (app closed, machine restarted) and can resume."""

    target: Path
    info: PartInfo
    bytes_done: int


def part_path(target: Path) -> Path:
    """Where the bytes of ``target`` accumulate until it is verified."""
    return target.with_name(target.name + PART_SUFFIX)


def sidecar_path(target: Path) -> Path:
    """The JSON file describing ``part_path(target)``."""
    return target.with_name(target.name + SIDECAR_SUFFIX)


def read_part_info(target: Path) -> PartInfo | None:
    """The sidecar of ``target``'s partial download; None when absent or unreadable."""
    try:
        data = json.loads(sidecar_path(target).read_text(encoding="utf-8"))
        return PartInfo(**{name: data.get(name) for name in PartInfo.__dataclass_fields__})
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def write_part_info(target: Path, info: PartInfo) -> None:
    """Write the sidecar atomically (a crash never leaves half a JSON file)."""
    path = sidecar_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
    os.replace(temporary, path)


def discard_partial(target: Path) -> None:
    """Delete the partial download of ``target`` and its sidecar, if any."""
    for path in (part_path(target), sidecar_path(target)):
        path.unlink(missing_ok=True)


def resume_pending(models_dir: Path | None = None) -> list[PendingDownload]:
    """Partial downloads under ``models_dir`` (default: the app's) that can be resumed."""
    if models_dir is None:
        from openchat_desktop.core.paths import app_paths

        models_dir = app_paths().models_dir
    pending = []
    for sidecar in sorted(Path(models_dir).rglob("*" + SIDECAR_SUFFIX)):
        target = sidecar.with_name(sidecar.name[: -len(SIDECAR_SUFFIX)])
        info = read_part_info(target)
        if info is None:
            continue
        try:
            done = part_path(target).stat().st_size
        except OSError:
            done = 0
        pending.append(PendingDownload(target, info, done))
    return pending
