"""PyInstaller hook for llama-cpp-python.

llama-cpp-python does not import its native code: it loads ``llama_cpp/lib/libllama.so``
(``llama.dll``, ``libllama.dylib``) and friends with ctypes, by path, from the ``lib`` folder
beside its own modules. So that whole folder is collected to the same place in the bundle:
shared libraries as binaries (their own dependencies, such as libgomp or the CUDA runtime, are
then found by PyInstaller's dependency analysis), anything else (e.g. a Metal shader library
when it is not embedded) as data.
"""

from __future__ import annotations

from pathlib import Path

from PyInstaller.utils.hooks import get_package_paths

_LIB_SUFFIXES = (".so", ".dll", ".dylib", ".pyd")


def _is_shared_library(name: str) -> bool:
    # libggml.so, libggml.so.0, libggml.so.0.9.4, ggml.dll, libggml.0.dylib
    return name.endswith(_LIB_SUFFIXES) or ".so." in name


_, _package_dir = get_package_paths("llama_cpp")
_lib_dir = Path(_package_dir) / "lib"

binaries: list[tuple[str, str]] = []
datas: list[tuple[str, str]] = []
if _lib_dir.is_dir():
    for path in sorted(_lib_dir.rglob("*")):
        if not path.is_file():
            continue
        dest = str(Path("llama_cpp", "lib", path.parent.relative_to(_lib_dir)))
        (binaries if _is_shared_library(path.name) else datas).append((str(path), dest))

# The OpenAI-compatible server (FastAPI, uvicorn) is not part of the app.
excludedimports = ["llama_cpp.server"]
