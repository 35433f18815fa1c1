"""The models installed on this computer, wherever they live.

Sources, listed in this order: the starter model shipped with the app; downloads in the app's
models folder (``models/<owner>/<repo>/<file>.gguf``) and copies imported there; files
imported in place (recorded in ``models/imported.json``); the Hugging Face cache, used where
it is and never copied; and extra folders the user added. Listing only stats files: it never
opens them, so it stays fast with big collections.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from openchat_desktop.core.errors import HubError, ModelFileError
from openchat_desktop.core.models import library_state as state
from openchat_desktop.core.paths import app_paths, starter_model_path

Source = Literal["starter", "downloaded", "imported", "hf-cache", "folder"]
GGUF_SUFFIX = ".gguf"
_FOLDER_DEPTH = 3  # how deep extra folders are searched: enough for owner/repo/file layouts


@dataclass(frozen=True)
class InstalledModel:
    """A GGUF file the app can load."""

    name: str
    path: Path
    size_bytes: int
    source: Source
    repo: str | None = None

    @property
    def stem(self) -> str:
        """The file name without ``.gguf``."""
        return self.name[: -len(GGUF_SUFFIX)] if self.name.lower().endswith(GGUF_SUFFIX) \
            else self.name

    @property
    def spec(self) -> str | None:
        """``owner/repo:file`` for models that came from the Hub."""
        return f"{self.repo}:{self.name}" if self.repo else None


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, found the way huggingface_hub finds it."""
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "huggingface" / "hub"


def download_target(repo: str, filename: str, models_dir: Path | None = None) -> Path:
    """Where a download of ``repo``/``filename`` goes: ``models/<owner>/<repo>/<file>``."""
    parts = [*PurePosixPath(repo).parts, *PurePosixPath(filename).parts]
    if len(PurePosixPath(repo).parts) != 2 or any(p in ("", ".", "..", "/") for p in parts) \
            or "\\" in repo + filename or ":" in repo + filename:
        raise HubError(f"Not a valid Hub file name: {repo}/{filename}")
    return (models_dir or app_paths().models_dir).joinpath(*parts)


def list_installed(extra_dirs: Sequence[str | os.PathLike[str]] = ()) -> list[InstalledModel]:
    """Every installed model, de-duplicated (the first source of a file wins)."""
    models_dir = app_paths().models_dir
    hidden = set(state.hidden(models_dir))
    found: dict[str, InstalledModel] = {}
    for model in _all_sources(models_dir, extra_dirs):
        key = os.path.realpath(model.path)
        if key not in found and str(model.path) not in hidden and key not in hidden:
            found[key] = model
    return list(found.values())


def _all_sources(models_dir: Path, extra_dirs: Sequence[str | os.PathLike[str]]
                 ) -> Iterator[InstalledModel]:
    starter = starter_model_path()
    if starter is not None:
        yield from _entries([starter], "starter")
    yield from _scan_models_dir(models_dir)
    yield from _entries((Path(p) for p in state.imported(models_dir)), "imported")
    yield from _scan_hf_cache(hf_cache_dir())
    for folder in extra_dirs:
        yield from _entries(_walk_gguf(Path(folder).expanduser(), _FOLDER_DEPTH), "folder")


def _entries(paths: Iterable[Path], source: Source, repo: str | None = None
             ) -> Iterator[InstalledModel]:
    for path in paths:
        try:
            size = path.stat().st_size  # follows symlinks: HF cache snapshots are links
        except OSError:
            continue  # removed, or a dangling link of an unfinished HF download
        if path.is_file():
            yield InstalledModel(path.name, path, size, source, repo)


def _walk_gguf(root: Path, max_depth: int) -> Iterator[Path]:
    """``*.gguf`` files under ``root`` (not partial downloads), hidden folders skipped."""
    if not root.is_dir():
        return
    base_depth = len(root.parts)
    for folder, subdirs, files in os.walk(root):
        depth = len(Path(folder).parts) - base_depth
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and depth < max_depth)
        for name in sorted(files):
            if name.lower().endswith(GGUF_SUFFIX):
                yield Path(folder) / name


def _scan_models_dir(models_dir: Path) -> Iterator[InstalledModel]:
    for path in _walk_gguf(models_dir, 8):
        parts = path.relative_to(models_dir).parts
        if len(parts) >= 3:
            yield from _entries([path], "downloaded", f"{parts[0]}/{parts[1]}")
        else:
            yield from _entries([path], "imported")


def _scan_hf_cache(cache: Path) -> Iterator[InstalledModel]:
    """GGUF files in ``models--owner--name/snapshots/<revision>/``, used in place."""
    if not cache.is_dir():
        return
    for repo_dir in sorted(cache.glob("models--*")):
        repo = repo_dir.name[len("models--"):].replace("--", "/")
        snapshots = repo_dir / "snapshots"
        yield from _entries(_walk_gguf(snapshots, 6), "hf-cache", repo)


def find_model(name_or_path: str, extra_dirs: Sequence[str | os.PathLike[str]] = ()
               ) -> InstalledModel | None:
    """The installed model named by an exact path, file name, file stem or ``repo:file``."""
    models = list_installed(extra_dirs)
    key = name_or_path.strip()
    real = os.path.realpath(Path(key).expanduser())
    repo, _, file = key.rpartition(":") if ":" in key and "/" in key.split(":")[0] else ("", "", "")
    tests = (
        lambda m: os.path.realpath(m.path) == real,
        lambda m: m.name == key,
        lambda m: m.name.lower() == key.lower() or m.stem.lower() == key.lower(),
        lambda m: bool(repo) and (m.repo or "").lower() == repo.lower()
        and m.name.lower() == PurePosixPath(file).name.lower(),
    )
    for test in tests:
        match = next((model for model in models if test(model)), None)
        if match is not None:
            return match
    return None


def import_model(path: str | os.PathLike[str], copy: bool = False) -> InstalledModel:
    """Add a GGUF file to the library, after checking it is a valid model.

    By default it is used where it is (recorded in ``imported.json``); with ``copy`` it is
    copied into the models folder, which is safe to delete later.
    """
    from openchat_desktop.core.gguf.info import read_gguf_info

    source = Path(path).expanduser().resolve()
    info = read_gguf_info(source)  # raises ModelFileError with one clear line
    models_dir = app_paths().models_dir
    if copy:
        return _copy_in(source, models_dir, info.file_size)
    if not _inside(source, models_dir):
        state.add_imported(models_dir, source)
    return InstalledModel(source.name, source, info.file_size, "imported")


def _copy_in(source: Path, models_dir: Path, size: int) -> InstalledModel:
    destination = models_dir / source.name
    if destination.exists():
        raise ModelFileError(f"A model named {source.name} is already in the models folder")
    models_dir.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(destination.name + ".part")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, destination)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ModelFileError(f"Could not copy {source.name}: {exc.strerror or exc}") from exc
    return InstalledModel(destination.name, destination, size, "imported")


def delete_model(model: InstalledModel) -> None:
    """Delete a model file the app owns; for any other file, only forget it.

    Files inside the models folder (downloads, imported copies) are deleted. Files imported
    in place, in the Hugging Face cache or in extra folders are never touched: they are just
    no longer listed. The starter model cannot be removed.
    """
    if model.source == "starter":
        raise ModelFileError("The starter model ships with the app and cannot be deleted")
    models_dir = app_paths().models_dir
    state.remove_imported(models_dir, model.path)
    if _inside(model.path, models_dir) and not model.path.is_symlink():
        model.path.unlink(missing_ok=True)
        _prune_empty(model.path.parent, models_dir)
    elif model.source in ("hf-cache", "folder"):
        state.hide(models_dir, model.path)


def total_disk_used() -> int:
    """Bytes used by the models folder, partial downloads included (not the HF cache)."""
    total = 0
    for folder, _dirs, files in os.walk(app_paths().models_dir):
        for name in files:
            try:
                total += (Path(folder) / name).stat().st_size
            except OSError:
                continue
    return total


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
        return True
    except ValueError:
        return False


def _prune_empty(folder: Path, stop: Path) -> None:
    """Remove now-empty owner/repo folders left by a deleted download."""
    while _inside(folder, stop) and folder.resolve() != stop.resolve():
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
