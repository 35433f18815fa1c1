"""Entry point of the packaged app: the same commands as ``openchat``.

``OpenChat`` with no command opens the window; ``OpenChat chat``, ``OpenChat models …`` and
``OpenChat --version`` work as in a checkout. On Windows the window's executable has no
console, so the terminal commands are also in ``openchat-cli.exe`` (same bundle, console).
"""

from __future__ import annotations

import multiprocessing
import sys

_TERMINAL_ONLY = {"chat", "models", "--version", "-h", "--help"}


def _tell_windows_user_about_cli(argv: list[str]) -> None:
    """A windowed Windows executable has no stdout: say where the terminal commands are."""
    if sys.platform != "win32" or sys.stdout is not None or not argv:
        return
    if argv[0] not in _TERMINAL_ONLY:
        return
    import ctypes

    ctypes.windll.user32.MessageBoxW(  # type: ignore[attr-defined]
        None, "OpenChat.exe is the desktop window. For terminal commands "
        f"('{argv[0]}') use openchat-cli.exe from the same folder.", "OpenChat", 0x40)
    raise SystemExit(2)


def run() -> int:
    multiprocessing.freeze_support()
    _tell_windows_user_about_cli(sys.argv[1:])
    from openchat_desktop.launcher import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
