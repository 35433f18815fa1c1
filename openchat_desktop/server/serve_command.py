"""``openchat serve``: the API server without the window.

Loads the model on the usual worker thread (a ``QCoreApplication`` runs the Qt side), starts
the server, prints one line with the URL, logs one line per request, and stops cleanly on
Ctrl-C or SIGTERM (exit 0). Only argparse and the settings are imported until it runs, so
``openchat --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from openchat_desktop.core import settings_flags
from openchat_desktop.core.errors import SettingsError
from openchat_desktop.server.config import DEFAULT_HOST, DEFAULT_PORT

log = logging.getLogger(__name__)
LOAD_TIMEOUT_MS = 10 * 60 * 1000


def add_parser(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve", help="serve a model over the OpenAI API (no window)",
        description="Serve the model over an OpenAI-compatible HTTP API: point any OpenAI "
                    f"client at http://{DEFAULT_HOST}:{DEFAULT_PORT}/v1. Listens on this "
                    "computer only unless --host says otherwise (which needs an API key). "
                    "A flag left out follows the saved settings.")
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default: {DEFAULT_HOST}; 0.0.0.0 lets "
                            "other computers in and needs an API key)")
    serve.add_argument("--port", type=int, default=None, metavar="N",
                       help=f"port (default: the saved setting, else {DEFAULT_PORT}; 0 picks "
                            "a free one)")
    key = serve.add_mutually_exclusive_group()
    key.add_argument("--api-key", metavar="KEY", help="require 'Authorization: Bearer KEY' "
                     "(visible to other users of this computer: prefer --api-key-env)")
    key.add_argument("--api-key-env", metavar="VAR", help="read the API key from the "
                     "environment variable VAR")
    serve.add_argument("--cors-origin", action="append", default=None, metavar="ORIGIN",
                       help="let web pages from ORIGIN (e.g. http://localhost:5173) call the "
                            "server; repeat for more")
    group = serve.add_argument_group("model loading")
    group.add_argument("--model", help="GGUF file or installed model name (default: the "
                       "configured default model, else the starter model)")
    settings_flags.add_setting_flags(group, settings_flags.MODEL)
    sampling = serve.add_argument_group("default sampling (a request may override each)")
    settings_flags.add_setting_flags(sampling, settings_flags.SAMPLING)
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from openchat_desktop.core.paths import app_paths
    from openchat_desktop.core.settings import Settings
    from openchat_desktop.server.headless import serve_headless
    from openchat_desktop.server.settings_link import config_from_settings

    paths = app_paths().ensure()
    settings = Settings(paths.settings_file)
    for warning in settings.warnings:
        print(f"openchat: warning: {warning}", file=sys.stderr)
    settings_flags.apply_setting_flags(args, settings, settings_flags.SAMPLING)
    settings_flags.apply_setting_flags(args, settings, settings_flags.MODEL)
    config = config_from_settings(settings, host=args.host, port=args.port,
                                  api_key=_api_key(args), cors_origins=args.cors_origin)
    return serve_headless(paths, settings, config, getattr(args, "model", None))


def _api_key(args: argparse.Namespace) -> str | None:
    if args.api_key_env:
        value = os.environ.get(args.api_key_env, "")
        if not value:
            raise SettingsError(f"the environment variable {args.api_key_env} is not set")
        return value
    return args.api_key or None
