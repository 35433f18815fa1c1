"""What the llama.cpp build can do, and where its log lines go.

Part of the engine: together with ``engine.py`` and ``kv_cache_growth.py`` the only code that
touches ``llama_cpp``.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Protocol

import llama_cpp

from openchat_desktop.core.settings_schema import AUTO

native_log = logging.getLogger("openchat.llama_cpp")
# ggml_log_level: NONE=0, DEBUG=1, INFO=2, WARN=3, ERROR=4, CONT=5 (continues the last line).
_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING,
           4: logging.ERROR}
_CONTINUATION = 5
_last_level = [logging.DEBUG]
_recent_errors: collections.deque[str] = collections.deque(maxlen=8)
_GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL", "OpenCL", "MUSA", "CANN")


@llama_cpp.llama_log_callback
def _route_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    # Routes llama.cpp's native log through Python logging: a windowed app has no usable
    # stderr, and the user's log file is where "Copy details" points.
    message = text.decode("utf-8", errors="replace").rstrip()
    if not message:
        return
    py_level = _last_level[0] if level == _CONTINUATION else _LEVELS.get(level, logging.DEBUG)
    _last_level[0] = py_level
    if py_level >= logging.WARNING:
        _recent_errors.append(message)
    native_log.log(py_level if py_level >= logging.WARNING else logging.DEBUG, "%s", message)


def install_log_router() -> None:
    """Send every llama.cpp log line to the ``openchat.llama_cpp`` logger, none to stderr."""
    llama_cpp.llama_log_set(_route_log, ctypes.c_void_p(0))
    if sys.stdout is None or sys.stderr is None:
        _disable_stdio_redirect()


def _disable_stdio_redirect() -> None:
    """llama-cpp-python redirects the stdout/stderr file descriptors while loading a model;
    a windowed (no console) app has none and that redirect would fail. The native log goes
    through ``_route_log`` anyway, so the redirect has nothing left to hide."""
    import contextlib

    import llama_cpp.llama as llama_module

    def no_redirect(disable: bool = True) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    llama_module.suppress_stdout_stderr = no_redirect  # type: ignore[assignment, misc]


def take_recent_native_errors() -> list[str]:
    """The last warning/error lines llama.cpp logged (and forget them)."""
    lines = list(_recent_errors)
    _recent_errors.clear()
    return lines


class StopFlag(Protocol):
    """What ``DecodeAbort`` asks: a ``threading.Event``, or anything with ``is_set``."""

    def is_set(self) -> bool: ...


class DecodeAbort:
    """Lets a stop request interrupt a ``llama_decode`` that is running.

    While ``armed``, llama.cpp's CPU backend asks ``should_abort`` after each graph node
    (about 500 calls per decode of the starter model; no measurable cost), and the decode
    returns 2, which llama-cpp-python raises as ``RuntimeError``; llama.cpp then drops the
    unfinished batch from the KV cache. A whole 512-token prompt batch can so be read at
    once and still be stopped within milliseconds: smaller batches read a prompt up to 40%
    slower on a CPU. Not armed while tokens are generated, where stop is checked between two
    tokens anyway."""

    _NONE = llama_cpp.ggml_abort_callback()  # a NULL function pointer: no callback

    def __init__(self) -> None:
        self._event: StopFlag | None = None
        self._callback = llama_cpp.ggml_abort_callback(self._should_abort)

    def _should_abort(self, _data: ctypes.c_void_p) -> bool:
        event = self._event
        return event is not None and event.is_set()

    @contextmanager
    def armed(self, ctx: llama_cpp.llama_context_p, event: StopFlag) -> Iterator[None]:
        self._event = event
        llama_cpp.llama_set_abort_callback(ctx, self._callback, None)
        try:
            yield
        finally:
            llama_cpp.llama_set_abort_callback(ctx, self._NONE, None)
            self._event = None


@lru_cache(maxsize=1)
def system_info() -> str:
    install_log_router()  # enumerating the backends initialises them, and they log
    return str(llama_cpp.llama_print_system_info().decode("utf-8", errors="replace"))


def gpu_offload_supported() -> bool:
    # The first call initialises the GPU backends, which log ("ggml_cuda_init: found 1 CUDA
    # devices ..."): route that to the log, not to the terminal before the start-up line.
    install_log_router()
    return bool(llama_cpp.llama_supports_gpu_offload())


_GPU_DEVICE_TYPES = (1, 2)  # ggml_backend_dev_type: GGML_BACKEND_DEVICE_TYPE_GPU, _IGPU


def gpu_free_memory() -> int | None:
    """Free memory, in bytes, of the GPUs llama.cpp can use; None when unknown (no GPU, or a
    build without these functions). A GPU so full that CUDA cannot even answer reports 0."""
    lib = llama_cpp.llama_cpp._lib
    try:
        count, get = lib.ggml_backend_dev_count, lib.ggml_backend_dev_get
        kind, memory = lib.ggml_backend_dev_type, lib.ggml_backend_dev_memory
    except AttributeError:
        return None
    count.restype = ctypes.c_size_t
    get.argtypes, get.restype = [ctypes.c_size_t], ctypes.c_void_p
    kind.argtypes, kind.restype = [ctypes.c_void_p], ctypes.c_int
    memory.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t),
                       ctypes.POINTER(ctypes.c_size_t)]
    memory.restype = None
    free_total, found = 0, False
    for index in range(count()):
        device = get(index)
        if kind(device) in _GPU_DEVICE_TYPES:
            free, total = ctypes.c_size_t(), ctypes.c_size_t()
            memory(device, ctypes.byref(free), ctypes.byref(total))
            free_total, found = free_total + free.value, True
    return free_total if found else None


def gpu_backend_name() -> str | None:
    """The GPU backend this build was made with, or None for a CPU-only build."""
    if not gpu_offload_supported():
        return None
    info = system_info()
    return next((name for name in _GPU_BACKENDS if name.lower() in info.lower()), "GPU")


def resolve_gpu_layers(requested: int) -> int:
    """-1 (auto) means every layer when the build can offload, else 0."""
    if requested == AUTO:
        return -1 if gpu_offload_supported() else 0
    return requested if gpu_offload_supported() else 0


def features_line() -> str:
    """The seed's start-up line (``avx: …, neon: …, simd128: …, f16c: …``) plus more."""
    flags = dict(re.findall(r"([A-Z0-9_]+) = (\d+)", system_info()))

    def has(name: str) -> str:
        return "true" if flags.get(name) == "1" else "false"

    simd128 = "true" if flags.get("WASM_SIMD") == "1" else "false"
    gpu = gpu_backend_name() or "CPU only"
    return (f"avx: {has('AVX')}, avx2: {has('AVX2')}, avx512: {has('AVX512')}, "
            f"neon: {has('NEON')}, simd128: {simd128}, f16c: {has('F16C')}, "
            f"fma: {has('FMA')}, gpu: {gpu}")


def llama_cpp_version() -> str:
    return str(getattr(llama_cpp, "__version__", "unknown"))
