"""The Linux system libraries Qt's window needs, and the one command that installs them.

Pure Python (no Qt): :mod:`openchat_desktop.ui.qt_preflight` runs it before Qt is loaded,
because a missing library makes Qt abort the whole process instead of raising an error.
The lists are the non-Qt ``DT_NEEDED`` entries of PySide6's ``libQt6Gui``, ``libQt6DBus``,
``libqxcb`` / ``libQt6XcbQpa`` and ``libqwayland`` (Qt 6.11), so a machine is never refused
for a library Qt does not load.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

# soname -> package per package manager: apt (Debian, Ubuntu), dnf (Fedora, RHEL),
# pacman (Arch), zypper (openSUSE).
PACKAGES: dict[str, tuple[str, str, str, str]] = {
    "libEGL.so.1": ("libegl1", "mesa-libEGL", "mesa", "Mesa-libEGL1"),
    "libGL.so.1": ("libgl1", "mesa-libGL", "mesa", "Mesa-libGL1"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig", "libfontconfig1"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2", "libfreetype6"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2", "libglib-2_0-0"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "glib2", "libgthread-2_0-0"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus", "libdbus-1-3"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11", "libX11-6"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon", "libxkbcommon0"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11", "libX11-xcb1"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb", "libxcb1"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11",
                              "libxkbcommon-x11-0"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor",
                           "libxcb-cursor0"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm", "libxcb-icccm4"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util", "libxcb-util1"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image", "libxcb-image0"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms",
                            "libxcb-keysyms1"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil",
                                "xcb-util-renderutil", "libxcb-render-util0"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb", "libxcb-randr0"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb", "libxcb-render0"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb", "libxcb-shape0"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb", "libxcb-shm0"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb", "libxcb-sync1"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb", "libxcb-xfixes0"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb", "libxcb-xkb1"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client", "wayland",
                               "libwayland-client0"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor", "wayland",
                               "libwayland-cursor0"),
}
MANAGERS = ("apt", "dnf", "pacman", "zypper")
INSTALL = {"apt": "sudo apt-get install", "dnf": "sudo dnf install",
           "pacman": "sudo pacman -S --needed", "zypper": "sudo zypper install"}
# os-release ID / ID_LIKE words -> package manager (derivatives name their parent in ID_LIKE).
FAMILIES = {"debian": "apt", "ubuntu": "apt", "fedora": "dnf", "rhel": "dnf", "centos": "dnf",
            "arch": "pacman", "suse": "zypper", "opensuse": "zypper", "sles": "zypper"}

GUI_LIBRARIES = ("libEGL.so.1", "libGL.so.1", "libfontconfig.so.1", "libfreetype.so.6",
                 "libglib-2.0.so.0", "libgthread-2.0.so.0", "libdbus-1.so.3", "libX11.so.6",
                 "libxkbcommon.so.0")
PLATFORM_LIBRARIES = {
    "xcb": ("libxcb.so.1", "libX11-xcb.so.1", "libxkbcommon-x11.so.0", "libxcb-cursor.so.0",
            "libxcb-icccm.so.4", "libxcb-util.so.1", "libxcb-image.so.0", "libxcb-keysyms.so.1",
            "libxcb-randr.so.0", "libxcb-render-util.so.0", "libxcb-render.so.0",
            "libxcb-shape.so.0", "libxcb-shm.so.0", "libxcb-sync.so.1", "libxcb-xfixes.so.0",
            "libxcb-xkb.so.1"),
    "wayland": ("libwayland-client.so.0", "libwayland-cursor.so.0"),
}
OS_RELEASE_FILES = (Path("/etc/os-release"), Path("/usr/lib/os-release"))


def bundled_library_dirs() -> list[Path]:
    """Folders whose libraries Qt finds without the system: PySide6's own, a frozen bundle."""
    dirs = []
    spec = importlib.util.find_spec("PySide6")  # finds the package without importing Qt
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent / "Qt" / "lib")
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle))
    return dirs


def library_loads(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (with its own dependencies)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return any((folder / soname).is_file() for folder in bundled_library_dirs())
    return True


def missing_libraries(platform: str,
                      loads: Callable[[str], bool] = library_loads) -> list[str]:
    """The libraries Qt's ``platform`` plugin needs that cannot be loaded here."""
    needed = GUI_LIBRARIES + PLATFORM_LIBRARIES.get(platform, ())
    return [soname for soname in needed if not loads(soname)]


def read_os_release() -> str:
    """The text of os-release(5), or "" where there is none."""
    for path in OS_RELEASE_FILES:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return ""


def package_manager(os_release: str) -> str | None:
    """apt, dnf, pacman or zypper for the distribution os-release describes, else None."""
    fields = {}
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        fields[key.strip()] = value.strip().strip("\"'").lower()
    for word in [fields.get("ID", ""), *fields.get("ID_LIKE", "").split()]:
        manager = FAMILIES.get(word) or ("zypper" if word.startswith("opensuse") else None)
        if manager:
            return manager
    return None


def install_command(missing: Iterable[str], os_release: str) -> str | None:
    """The one command that installs the packages holding ``missing``, or None if unknown."""
    manager = package_manager(os_release)
    if manager is None:
        return None
    column = MANAGERS.index(manager)
    packages = [PACKAGES[soname][column] for soname in missing if soname in PACKAGES]
    if not packages:
        return None
    return f"{INSTALL[manager]} {' '.join(dict.fromkeys(packages))}"
