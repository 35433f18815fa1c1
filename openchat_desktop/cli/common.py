"""What the commands share: exit codes, one-line messages, the saved settings, and the
model and sampling flags.

The flags themselves are declared on the settings schema (``Setting.cli``) and turned into
argparse arguments by ``core.settings_flags``; this module groups them the way the terminal
commands show them. Another command that loads a model (a server command, say) takes the
same flags with ``add_load_flags`` and builds its ``LoadSettings`` with
``load_settings_from_args``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import Any

from openchat_desktop.core import settings_flags
from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.sampling import LoadSettings
from openchat_desktop.core.models.choice import resolve_model
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 130
PROG = "openchat"
# For a command's description: the flags below override the saved settings for one run.
FLAGS_OVERRIDE_SETTINGS = ("A flag left out follows the saved settings; the defaults shown are "
                           "the built-in ones.")


def fail(message: str) -> int:
    """Print one error line (whitespace folded) and return the error exit code."""
    print(f"{PROG}: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_ERROR


def run_subcommand(args: argparse.Namespace, command: str,
                   handlers: Mapping[str, Callable[[argparse.Namespace], int]]) -> int:
    """Run the handler of ``COMMAND ACTION`` (``args.<command>_command``); without an action,
    the command's help (``args.<command>_parser``) and exit 1. A user's mistake, an interrupt
    or a file error ends with one line, never a traceback."""
    action = str(getattr(args, f"{command}_command", None))
    if action not in handlers:
        parser = getattr(args, f"{command}_parser", None)
        if parser is not None:
            parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return handlers[action](args)
    except OpenChatError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:
        return fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))


def warn(message: str) -> None:
    """Print one warning line on stderr."""
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def load_settings() -> Settings:
    """The saved settings; each problem with the file is printed as a warning line."""
    settings = Settings(app_paths().settings_file)
    for warning in settings.warnings:
        warn(warning)
    return settings


def settings_value(key: str, default: Any = None) -> Any:
    """A saved setting, or ``default`` when settings cannot be read (quietly: the commands
    that use this only look up a fallback)."""
    try:
        return Settings(app_paths().settings_file).get(key)
    except (OpenChatError, OSError):
        return default


def add_sampling_flags(parser: argparse.ArgumentParser) -> None:
    """``-n/--sample-len``, ``--temperature``, ``--seed`` and the other sampling flags."""
    group = parser.add_argument_group("sampling")
    settings_flags.add_setting_flags(group, settings_flags.SAMPLING)


def add_load_flags(parser: argparse.ArgumentParser) -> None:
    """``--model`` and the model loading flags (``--ctx-size``, ``--n-gpu-layers`` …)."""
    group = parser.add_argument_group("model loading")
    group.add_argument("--model", help="GGUF file or installed model name (default: the "
                       "configured default model, else the starter model)")
    settings_flags.add_setting_flags(group, settings_flags.MODEL)


def load_settings_from_args(args: argparse.Namespace, settings: Settings) -> LoadSettings:
    """Apply the loading flags to ``settings`` (not saved) and say how to load the model
    chosen by ``--model``, else the saved default, else the starter model. Raises
    OpenChatError (SettingsError, NoModelError) with a one-line reason."""
    settings_flags.apply_setting_flags(args, settings, settings_flags.MODEL)
    model = resolve_model(getattr(args, "model", None), settings.get("model.default"),
                          settings.get("models.extra_dirs"))
    return LoadSettings.from_values(model, settings.snapshot())
