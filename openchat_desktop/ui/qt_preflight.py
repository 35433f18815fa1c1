"""Before Qt starts: can it open a window here? If not, say why in one line.

Qt aborts the whole process (SIGABRT, exit 134, a core dump) when its platform plugin cannot
start: no display, an X server that does not answer, a missing system library. This module
imports no Qt, so ``app.run_gui`` and ``make run`` call it first and turn each of those into
one line naming the cause and the fix. It checks only what it can be sure of: an address it
cannot parse, or a platform it does not know, passes. Linux only; macOS and Windows always
have their platform.

``python -m openchat_desktop.ui.qt_preflight`` prints the line on stderr and exits 1.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.ui.qt_system_libs import (
    install_command,
    library_loads,
    missing_libraries,
    read_os_release,
)

# Platforms that need no display: nothing to check.
HEADLESS = {"offscreen", "minimal"}
X_DISPLAY = re.compile(r"^(?P<host>[^:/]*):(?P<number>\d+)(?:\.\d+)?$")
CONNECT_TIMEOUT_S = 1.0
TERMINAL_HINT = "or chat in the terminal with `openchat chat`"
# Ranks of the problems: the most useful one is reported when every platform fails.
MISSING_LIBRARIES, NO_SERVER, NO_DISPLAY = 0, 1, 2

Address = tuple[int, Any]  # (AF_UNIX, path) or (AF_INET, (host, port))
Connects = Callable[[Address], bool]
Loads = Callable[[str], bool]


class QtStartError(OpenChatError):
    """Qt could not open a window here; the message says why and what to do."""


@dataclass(frozen=True)
class Problem:
    """Why one platform cannot start: a rank (lower is more useful to report) and a line."""

    rank: int
    message: str = ""
    unset: str = ""  # NO_DISPLAY: the variable that is not set


def platform_candidates(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt tries, in order, as QGuiApplication picks them (Qt 6)."""
    requested = env.get("QT_QPA_PLATFORM", "")
    if requested:
        names = [name.split(":", 1)[0].strip().lower() for name in requested.split(";")]
        return [name for name in names if name]
    # Qt tries wayland first in a Wayland session, and falls back to xcb.
    wayland = "WAYLAND_DISPLAY" in env or env.get("XDG_SESSION_TYPE") == "wayland"
    return ["wayland", "xcb"] if wayland else ["xcb"]


def x_server_addresses(display: str) -> list[Address] | None:
    """Where the X server of ``display`` listens, or None for a form this does not parse."""
    match = X_DISPLAY.match(display)
    if match is None:
        return None
    host, number = match["host"], int(match["number"])
    if host in ("", "unix"):
        # X servers on Linux listen on an abstract socket and on the file; either will do.
        path = f"/tmp/.X11-unix/X{number}"
        return [(socket.AF_UNIX, "\0" + path), (socket.AF_UNIX, path)]
    return [(socket.AF_INET, (host, 6000 + number))]


def wayland_socket(env: Mapping[str, str]) -> str | None:
    """The compositor's socket path, as libwayland-client resolves it, or None."""
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    if name.startswith("/"):
        return name
    runtime_dir = env.get("XDG_RUNTIME_DIR")
    return str(Path(runtime_dir) / name) if runtime_dir else None


def connects(address: Address) -> bool:
    """Whether something accepts a connection at ``address`` within a second."""
    family, target = address
    try:
        if family == socket.AF_UNIX:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(CONNECT_TIMEOUT_S)
                sock.connect(target)
        else:
            socket.create_connection(target, timeout=CONNECT_TIMEOUT_S).close()
    except (OSError, ValueError):
        return False
    return True


def platform_plugin_dir(env: Mapping[str, str]) -> Path | None:
    """PySide6's ``Qt/plugins/platforms`` folder, found without importing Qt."""
    if env.get("QT_PLUGIN_PATH") or env.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        return None  # plugins may come from elsewhere: don't guess
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "Qt" / "plugins" / "platforms"
    return folder if folder.is_dir() else None


def _x11_problem(env: Mapping[str, str], reach: Connects) -> Problem | None:
    display = env.get("DISPLAY", "")
    if not display:
        return Problem(NO_DISPLAY, unset="DISPLAY")
    addresses = x_server_addresses(display)
    if addresses is None or any(reach(address) for address in addresses):
        return None
    return Problem(NO_SERVER, f"cannot connect to the X display '{display}' (DISPLAY): no X "
                              f"server answers there. Run OpenChat in a desktop session, "
                              f"{TERMINAL_HINT}.")


def _wayland_problem(env: Mapping[str, str], reach: Connects) -> Problem | None:
    path = wayland_socket(env)
    if path is not None and reach((socket.AF_UNIX, path)):
        return None
    if not env.get("WAYLAND_DISPLAY"):
        return Problem(NO_DISPLAY, unset="WAYLAND_DISPLAY")
    name = env["WAYLAND_DISPLAY"]
    return Problem(NO_SERVER, f"cannot connect to the Wayland display '{name}' "
                              f"(WAYLAND_DISPLAY): no compositor answers there. Run OpenChat "
                              f"in a desktop session, {TERMINAL_HINT}.")


def _libraries_problem(platform: str, loads: Loads, os_release: str | None) -> Problem | None:
    missing = missing_libraries(platform, loads)
    if not missing:
        return None
    command = install_command(missing, read_os_release() if os_release is None else os_release)
    fix = (f"Install them with: {command}" if command else
           f"Install your distribution's packages that provide them, {TERMINAL_HINT}.")
    return Problem(MISSING_LIBRARIES, f"the window needs system libraries that are missing "
                                      f"({', '.join(missing)}). {fix}")


def _platform_problem(platform: str, env: Mapping[str, str], reach: Connects,
                      loads: Loads, os_release: str | None,
                      plugins: Path | None) -> Problem | None:
    family = "wayland" if platform.startswith("wayland") else platform
    if family in HEADLESS:
        return None
    if family not in ("xcb", "wayland"):
        if plugins is None or (plugins / f"libq{platform}.so").is_file():
            return None
        available = sorted(path.name[4:-3] for path in plugins.glob("libq*.so"))
        return Problem(MISSING_LIBRARIES, f"Qt has no platform plugin '{platform}' "
                                          f"(QT_QPA_PLATFORM); it has {', '.join(available)}."
                                          f" Unset QT_QPA_PLATFORM or pick one of those.")
    display = (_x11_problem if family == "xcb" else _wayland_problem)(env, reach)
    return display or _libraries_problem(family, loads, os_release)


def _no_display_message(env: Mapping[str, str], unset: list[str]) -> str:
    requested = env.get("QT_QPA_PLATFORM")
    other = {"DISPLAY": "WAYLAND_DISPLAY", "WAYLAND_DISPLAY": "DISPLAY"}
    if requested and len(unset) == 1 and env.get(other[unset[0]]):
        return (f"QT_QPA_PLATFORM={requested} needs {unset[0]}, which is not set, while "
                f"this session has {other[unset[0]]}: unset QT_QPA_PLATFORM and start "
                f"OpenChat again.")
    return ("no display to open the window on: DISPLAY and WAYLAND_DISPLAY are not set. Run "
            f"OpenChat in a desktop session, {TERMINAL_HINT}.")


def qt_start_problem(env: Mapping[str, str] | None = None, *, system: str | None = None,
                     reach: Connects = connects, loads: Loads = library_loads,
                     os_release: str | None = None,
                     plugins: Path | None = None) -> str | None:
    """One line saying why Qt cannot open a window here, or None when it can.

    Every argument defaults to this machine; tests pass fakes (``loads`` decides whether a
    library loads, ``reach`` whether a display socket answers, ``os_release`` is the text of
    /etc/os-release).
    """
    env = os.environ if env is None else env
    if not (system or sys.platform).startswith("linux"):
        return None
    if plugins is None:
        plugins = platform_plugin_dir(env)
    problems = []
    for platform in platform_candidates(env):
        problem = _platform_problem(platform, env, reach, loads, os_release, plugins)
        if problem is None:
            return None  # Qt takes the first platform that starts
        problems.append(problem)
    if not problems:
        return None
    best = min(problems, key=lambda problem: problem.rank)
    if best.rank == NO_DISPLAY:
        return _no_display_message(env, [problem.unset for problem in problems])
    return best.message


def check_qt_can_start() -> None:
    """Raise :class:`QtStartError` with the one-line reason when Qt cannot open a window."""
    problem = qt_start_problem()
    if problem:
        raise QtStartError(problem)


def main() -> int:
    """Print the reason on stderr and return 1, or return 0 when the window can open."""
    problem = qt_start_problem()
    if problem:
        print(f"openchat: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
