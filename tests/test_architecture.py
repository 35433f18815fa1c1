"""The layering of ../DESIGN: core without Qt, services without widgets, one owner per library."""

from __future__ import annotations

import ast
import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "openchat_desktop"
OWNERS = {
    "llama_cpp": {"core/engine.py", "core/llama_runtime.py", "core/context_growth.py"},
    "huggingface_hub": {"core/hub.py"},
    # The conversation store is one component split over core/store*.py modules.
    "sqlite3": {"core/store*.py"},
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules() -> dict[str, set[str]]:
    return {path.relative_to(PACKAGE).as_posix(): imported_modules(path)
            for path in PACKAGE.rglob("*.py")}


def test_import_linter_contracts_hold() -> None:
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert linter, "import-linter is a dev dependency"
    result = subprocess.run([linter], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_core_never_imports_qt_and_services_no_widgets() -> None:
    for name, imports in modules().items():
        if name.startswith("core/"):
            assert not any(m.startswith("PySide6") for m in imports), name
        if name.startswith("services/"):
            assert not any(m.startswith("PySide6.QtWidgets") for m in imports), name


def test_each_library_has_one_owner() -> None:
    for name, imports in modules().items():
        for library, owners in OWNERS.items():
            if any(m == library or m.startswith(library + ".") for m in imports):
                assert any(fnmatch.fnmatch(name, owner) for owner in owners), \
                    f"{name} imports {library}"
