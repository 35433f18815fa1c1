"""The layering of ARCHITECTURE.md: core without Qt, services without widgets, one owner per
library, and no import cycles anywhere (deferred imports included)."""

from __future__ import annotations

import ast
import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "openchat_desktop"
OWNERS = {
    "llama_cpp": {"core/llm/*.py"},
    "huggingface_hub": {"core/models/hub.py"},
    "sqlite3": {"core/store/*.py", "core/docs/index_db.py", "core/docs/vectors.py"},
    "httpx": {"core/remote/*.py", "core/models/hub.py"},
    "keyring": {"core/remote/*.py"},
    "pypdf": {"core/docs/read_pdf.py"},
    # The ASGI stack belongs to the API server.
    "fastapi": {"server/*.py"},
    "starlette": {"server/*.py"},
    "uvicorn": {"server/*.py"},
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
        if name.startswith(("services/", "server/")):
            assert not any(m.startswith("PySide6.QtWidgets") for m in imports), name


def test_each_library_has_one_owner() -> None:
    for name, imports in modules().items():
        for library, owners in OWNERS.items():
            if any(m == library or m.startswith(library + ".") for m in imports):
                assert any(fnmatch.fnmatch(name, owner) for owner in owners), \
                    f"{name} imports {library}"


def _import_cycle() -> list[str] | None:
    """One cycle in the module import graph, or None. Every import counts, deferred ones too,
    and a package's ``__init__`` is a module like any other."""
    import grimp

    graph = grimp.build_graph("openchat_desktop", cache_dir=None)
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    state: dict[str, int] = {}  # 1: on the DFS path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target, path)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (cycle := visit(module, [])):
            return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = _import_cycle()
    assert cycle is None, " -> ".join(cycle or [])


def test_core_keeps_its_components_in_packages() -> None:
    loose = sorted(p.name for p in (PACKAGE / "core").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 12, loose
