"""Command-line flags derived from the settings schema: each flag is declared once, on its
setting (``Setting.cli``), and both the argparse argument and the override come from there.

``add_setting_flags`` puts the flags of the settings under some prefixes on a parser (or an
argument group); ``flag_values`` reads back those the user gave, keyed by setting;
``apply_setting_flags`` stores them in a ``Settings`` object, validated like any other change.
Every command that takes settings on its command line (``openchat chat``, a server command)
uses these, so a flag never needs writing twice.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from openchat_desktop.core.settings import Settings
from openchat_desktop.core.settings_schema import SETTINGS, Setting

SAMPLING = ("sampling.",)
MODEL = ("model.",)
CHAT = ("chat.",)


def flag_settings(prefixes: Sequence[str]) -> tuple[Setting, ...]:
    """The settings under ``prefixes`` that have a command-line flag, in schema order."""
    return tuple(s for s in SETTINGS if s.cli is not None and s.key.startswith(tuple(prefixes)))


def flag_dest(setting: Setting) -> str:
    """The attribute of the parsed arguments that holds ``setting``'s flag."""
    assert setting.cli is not None
    if setting.cli.dest:
        return setting.cli.dest
    long_name = max(setting.cli.names, key=len)
    return long_name.lstrip("-").replace("-", "_")


def flag_help(setting: Setting) -> str:
    """The flag's help line: its own text, else the setting's help and its default."""
    assert setting.cli is not None
    if setting.cli.help is None:
        return f"{setting.help} (default: {setting.default})"
    return setting.cli.help.format(default=setting.default)


def add_setting_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup,
                      prefixes: Sequence[str]) -> None:
    """Add the flag of every setting under ``prefixes``. A flag left out parses as None,
    so the saved setting stays in force."""
    for setting in flag_settings(prefixes):
        flag = setting.cli
        assert flag is not None
        options: dict[str, Any] = {"dest": flag_dest(setting), "help": flag_help(setting)}
        if flag.off_switch or flag.on_switch:
            action = "store_false" if flag.off_switch else "store_true"
            parser.add_argument(*flag.names, action=action, default=None, **options)
            continue
        if setting.kind is bool and flag.parse is None:
            # bool("false") is True: a true/false setting takes an off switch, never a value.
            raise TypeError(f"{setting.key}: a true/false flag must be an off switch")
        if setting.choices:
            options["choices"] = setting.choices
        parser.add_argument(*flag.names, type=flag.parse or setting.kind, metavar=flag.metavar,
                            **options)


def flag_values(args: argparse.Namespace, prefixes: Sequence[str]) -> dict[str, Any]:
    """``{setting key: value}`` for each flag under ``prefixes`` the user gave."""
    values = {s.key: getattr(args, flag_dest(s), None) for s in flag_settings(prefixes)}
    return {key: value for key, value in values.items() if value is not None}


def apply_setting_flags(args: argparse.Namespace, settings: Settings,
                        prefixes: Sequence[str]) -> None:
    """Store the given flags in ``settings`` (not saved); a bad value raises SettingsError
    with a one-line reason naming the setting."""
    for key, value in flag_values(args, prefixes).items():
        settings.set(key, value)
