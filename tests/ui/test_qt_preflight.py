"""The check before Qt starts: no display, no X server, missing libraries -> one line, no abort."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from openchat_desktop.ui import qt_system_libs
from openchat_desktop.ui.qt_preflight import (
    QtStartError,
    check_qt_can_start,
    connects,
    platform_candidates,
    qt_start_problem,
    x_server_addresses,
)
from openchat_desktop.ui.qt_system_libs import install_command, missing_libraries, package_manager

ROOT = Path(__file__).resolve().parents[2]
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'
ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
ARCH = 'NAME="Arch Linux"\nID=arch\n'
MANJARO = 'NAME="Manjaro Linux"\nID="manjaro"\nID_LIKE="arch"\n'
TUMBLEWEED = 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n'
GENTOO = 'NAME=Gentoo\nID=gentoo\n'
X_ENV = {"DISPLAY": ":3", "QT_QPA_PLATFORM": "xcb"}


def loads_all_but(*missing: str) -> Callable[[str], bool]:
    return lambda soname: soname not in missing


def reach_all(_address: object) -> bool:
    return True


def reach_none(_address: object) -> bool:
    return False


def problem(env: dict[str, str], **fakes: Any) -> str | None:
    options: dict[str, Any] = {"system": "linux", "reach": reach_all,
                                  "loads": loads_all_but(), "os_release": DEBIAN,
                                  "plugins": None}
    options.update(fakes)
    return qt_start_problem(env, **options)


@pytest.mark.parametrize(("os_release", "manager"), [
    (DEBIAN, "apt"), (UBUNTU, "apt"), (MINT, "apt"), (FEDORA, "dnf"), (ROCKY, "dnf"),
    (ARCH, "pacman"), (MANJARO, "pacman"), (TUMBLEWEED, "zypper"), (GENTOO, None), ("", None),
])
def test_the_package_manager_comes_from_os_release(os_release: str,
                                                   manager: str | None) -> None:
    assert package_manager(os_release) == manager


@pytest.mark.parametrize(("os_release", "command"), [
    (UBUNTU, "sudo apt-get install libxcb-cursor0 libxcb-shape0 libxcb-randr0"),
    (FEDORA, "sudo dnf install xcb-util-cursor libxcb"),
    (ARCH, "sudo pacman -S --needed xcb-util-cursor libxcb"),
    (TUMBLEWEED, "sudo zypper install libxcb-cursor0 libxcb-shape0 libxcb-randr0"),
    (GENTOO, None),
])
def test_one_install_command_per_distribution(os_release: str, command: str | None) -> None:
    missing = ["libxcb-cursor.so.0", "libxcb-shape.so.0", "libxcb-randr.so.0"]
    assert install_command(missing, os_release) == command


def test_every_checked_library_has_its_packages() -> None:
    checked = set(qt_system_libs.GUI_LIBRARIES)
    for sonames in qt_system_libs.PLATFORM_LIBRARIES.values():
        checked.update(sonames)
    assert checked == set(qt_system_libs.PACKAGES)
    assert all(len(packages) == len(qt_system_libs.MANAGERS) and all(packages)
               for packages in qt_system_libs.PACKAGES.values())


def test_missing_libraries_are_those_that_do_not_load() -> None:
    missing = missing_libraries("xcb", loads_all_but("libGL.so.1", "libxcb-cursor.so.0"))
    assert missing == ["libGL.so.1", "libxcb-cursor.so.0"]
    assert missing_libraries("wayland", loads_all_but("libxcb-cursor.so.0")) == []
    assert qt_system_libs.library_loads("libc.so.6") == sys.platform.startswith("linux")
    assert not qt_system_libs.library_loads("libopenchat-no-such-library.so.7")


@pytest.mark.parametrize(("env", "platforms"), [
    ({}, ["xcb"]),
    ({"DISPLAY": ":0"}, ["xcb"]),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, ["wayland", "xcb"]),
    ({"XDG_SESSION_TYPE": "wayland"}, ["wayland", "xcb"]),
    ({"QT_QPA_PLATFORM": "xcb:nograb", "WAYLAND_DISPLAY": "wayland-0"}, ["xcb"]),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, ["wayland", "xcb"]),
])
def test_platforms_are_tried_as_qt_picks_them(env: dict[str, str],
                                              platforms: list[str]) -> None:
    assert platform_candidates(env) == platforms


def test_x_display_addresses() -> None:
    local = [(socket.AF_UNIX, "\0/tmp/.X11-unix/X1"), (socket.AF_UNIX, "/tmp/.X11-unix/X1")]
    assert x_server_addresses(":1") == local
    assert x_server_addresses("unix:1.0") == local
    assert x_server_addresses("localhost:10.0") == [(socket.AF_INET, ("localhost", 6010))]
    assert x_server_addresses("/private/tmp/launchd/org.xquartz:0") is None
    assert x_server_addresses("nonsense") is None


def test_no_display_at_all_says_so_in_one_line() -> None:
    for env in ({}, {"QT_QPA_PLATFORM": "xcb"}, {"XDG_SESSION_TYPE": "wayland"}):
        message = problem(env, reach=reach_none)
        assert message is not None
        assert "DISPLAY and WAYLAND_DISPLAY are not set" in message
        assert "`openchat chat`" in message and "\n" not in message


def test_an_x_server_that_does_not_answer() -> None:
    message = problem(X_ENV, reach=reach_none)
    assert message is not None and "cannot connect to the X display ':3'" in message
    assert problem({"DISPLAY": "odd/form:0"}, reach=reach_none) is None  # unknown: passes


def test_missing_libraries_name_the_install_command() -> None:
    loads = loads_all_but("libxcb-cursor.so.0", "libxkbcommon-x11.so.0")
    message = problem(X_ENV, loads=loads)
    assert message == ("the window needs system libraries that are missing "
                       "(libxkbcommon-x11.so.0, libxcb-cursor.so.0). Install them with: "
                       "sudo apt-get install libxkbcommon-x11-0 libxcb-cursor0")
    fedora = problem(X_ENV, loads=loads, os_release=FEDORA)
    assert fedora is not None and fedora.endswith("sudo dnf install libxkbcommon-x11 "
                                                  "xcb-util-cursor")
    unknown = problem(X_ENV, loads=loads, os_release=GENTOO)
    assert unknown is not None and "your distribution's packages" in unknown


def test_a_working_platform_passes() -> None:
    assert problem(X_ENV) is None
    for headless in ("offscreen", "minimal"):
        assert problem({"QT_QPA_PLATFORM": headless}, reach=reach_none,
                       loads=loads_all_but("libGL.so.1")) is None
    for system in ("darwin", "win32"):
        assert problem({}, system=system, reach=reach_none) is None


def test_wayland_first_then_xcb() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": "/run/user/1000",
           "DISPLAY": ":0"}

    def wayland_only(address: tuple[int, object]) -> bool:
        return address == (socket.AF_UNIX, "/run/user/1000/wayland-1")

    # Wayland answers: the xcb libraries don't matter.
    assert problem(env, reach=wayland_only, loads=loads_all_but("libxcb-cursor.so.0")) is None
    # Wayland does not answer: Qt falls back to X11, whose libraries are then needed.
    message = problem(env, reach=lambda a: not wayland_only(a),
                      loads=loads_all_but("libxcb-cursor.so.0"))
    assert message is not None and "libxcb-cursor.so.0" in message


def test_forcing_the_platform_of_the_wrong_session_is_explained() -> None:
    message = problem({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"},
                      reach=reach_none)
    assert message is not None
    assert "needs DISPLAY" in message and "unset QT_QPA_PLATFORM" in message


def test_an_unknown_platform_plugin(tmp_path: Path) -> None:
    for name in ("libqxcb.so", "libqoffscreen.so", "libqeglfs.so"):
        (tmp_path / name).write_bytes(b"")
    message = problem({"QT_QPA_PLATFORM": "foo"}, plugins=tmp_path)
    assert message == ("Qt has no platform plugin 'foo' (QT_QPA_PLATFORM); it has eglfs, "
                       "offscreen, xcb. Unset QT_QPA_PLATFORM or pick one of those.")
    assert problem({"QT_QPA_PLATFORM": "eglfs"}, plugins=tmp_path) is None


@pytest.fixture
def listening_unix_socket(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "display.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        yield path


def test_connects_to_real_sockets(listening_unix_socket: str, tmp_path: Path) -> None:
    assert connects((socket.AF_UNIX, listening_unix_socket))
    assert not connects((socket.AF_UNIX, str(tmp_path / "nobody.sock")))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        accepter = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
        accepter.start()
        assert connects((socket.AF_INET, ("127.0.0.1", port)))
        accepter.join(5)
    assert not connects((socket.AF_INET, ("127.0.0.1", port)))


def test_check_raises_the_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    with pytest.raises(QtStartError, match="no display"):
        check_qt_can_start()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    check_qt_can_start()


def _headless_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env.update(extra)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_the_gui_without_a_display_exits_with_one_line() -> None:
    result = subprocess.run([sys.executable, "-m", "openchat_desktop", "gui"], cwd=ROOT,
                            env=_headless_env(QT_QPA_PLATFORM="xcb"), capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr  # not 134 / -6: Qt never aborted
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("openchat: no display") and "`openchat chat`" in lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_the_preflight_module_needs_only_the_standard_library() -> None:
    # `make run` runs it before the set-up, with a bare Python: -S leaves out site-packages.
    command = [sys.executable, "-S", "-m", "openchat_desktop.ui.qt_preflight"]
    failed = subprocess.run(command, cwd=ROOT, env=_headless_env(QT_QPA_PLATFORM="xcb"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("openchat: no display")
    passed = subprocess.run(command, cwd=ROOT, env=_headless_env(QT_QPA_PLATFORM="offscreen"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert (passed.returncode, passed.stdout, passed.stderr) == (0, "", "")


def test_make_run_checks_before_the_set_up() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nrun: qt-preflight setup\n" in makefile
    assert "-m openchat_desktop.ui.qt_preflight" in makefile


def test_the_readme_lists_what_the_check_asks_for() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### System prerequisites", 1)[1].split("\n### ", 1)[0]
    words = set(section.replace("\\", " ").split())
    every = [*qt_system_libs.GUI_LIBRARIES,
             *(soname for sonames in qt_system_libs.PLATFORM_LIBRARIES.values()
               for soname in sonames)]
    for os_release in (DEBIAN, FEDORA, ARCH, TUMBLEWEED):
        command = install_command(every, os_release)
        assert command is not None
        assert set(command.split()[4 if "pacman" in command else 3:]) <= words, os_release
