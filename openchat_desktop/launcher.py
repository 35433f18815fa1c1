"""The ``openchat`` entry point: ``openchat [gui]``, ``openchat chat``, ``openchat models …``,
``openchat docs …``.

Only the root parser and the dispatch live here. Each command module adds its own parser
with ``add_parser(subparsers)`` and sets ``run`` on the parsed arguments; the window is the
default. Every failure a user can cause ends with one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from openchat_desktop import __version__
from openchat_desktop.cli import chat, connections, docs
from openchat_desktop.cli.common import EXIT_INTERRUPTED, PROG, fail
from openchat_desktop.core.errors import OpenChatError

log = logging.getLogger(__name__)


def _add_gui_parser(subparsers: Any) -> None:
    gui = subparsers.add_parser("gui", help="open the desktop window (the default)")
    gui.add_argument("--smoke-test", action="store_true",
                     help="open the window, chat one message, close; exit 0 when it worked")
    gui.add_argument("--screenshot", metavar="FILE", help="with --smoke-test: save the window")
    gui.set_defaults(run=_run_gui)


def _run_gui(args: argparse.Namespace) -> int:
    from openchat_desktop.ui.qt_preflight import check_qt_can_start

    # Before the first PySide6 import: a missing system library would otherwise fail that
    # import (or abort inside Qt) without saying which package to install.
    check_qt_can_start()
    from openchat_desktop.app import run_gui  # Qt loads only when the window is wanted

    return run_gui(smoke_test=getattr(args, "smoke_test", False),
                   screenshot=getattr(args, "screenshot", None))


def build_parser() -> argparse.ArgumentParser:
    """The root parser with every command's sub-parser."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="OpenChat Desktop: chat with local language models.")
    parser.add_argument("--version", action="version", version=f"OpenChat {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_gui_parser(subparsers)
    chat.add_parser(subparsers)
    connections.add_parser(subparsers)
    docs.add_parser(subparsers)
    try:
        from openchat_desktop.cli import models
    except ImportError:  # the model manager is optional in a stripped build
        pass
    else:
        models.add_parser(subparsers)
    # The parser only: the ASGI stack is imported when `openchat serve` runs.
    from openchat_desktop.server import serve_command

    serve_command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's arguments), run the command, return its code."""
    args = build_parser().parse_args(argv)
    run = getattr(args, "run", None) or _run_gui
    try:
        return int(run(args))
    except OpenChatError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.exception("unexpected error")
        return fail(f"unexpected error: {exc.__class__.__name__}: {exc}")


def gui_main() -> int:
    """Entry point of the windowed launcher (no console on Windows)."""
    return main(["gui", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
