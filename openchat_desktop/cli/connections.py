"""``openchat connections add|list|rm|test``: the remote servers OpenChat can chat through.

A connection is a name, an OpenAI-compatible base URL, an optional API key (read from stdin
or an environment variable, never from the command line, where ``ps`` and the shell history
would keep it) and optional extra headers. A host outside the user's network needs a yes
once (``--yes``, or a prompt on a terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from openchat_desktop.cli.common import EXIT_ERROR, EXIT_OK, fail, warn
from openchat_desktop.core.paths import app_paths

if TYPE_CHECKING:  # the HTTP and keychain libraries load only when a connection action runs
    from openchat_desktop.core.remote.connections import Connection, ConnectionStore
    from openchat_desktop.core.remote.keys import KeyStore


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``connections`` and its actions on an argparse ``subparsers`` object."""
    parser = subparsers.add_parser(
        "connections", help="remote OpenAI-compatible servers (vLLM, llama-server, Ollama…)",
        description="Chat with models on other machines: each connection's models can be "
                    "used as --model CONNECTION/MODEL.")
    actions = parser.add_subparsers(dest="connections_command", metavar="ACTION")
    add = actions.add_parser("add", help="add or change a connection")
    add.add_argument("name")
    add.add_argument("--base-url", required=True, metavar="URL",
                     help="where /chat/completions lives, e.g. http://gpu-box:8000/v1")
    key = add.add_mutually_exclusive_group()
    key.add_argument("--api-key-stdin", action="store_true",
                     help="read the API key from standard input")
    key.add_argument("--api-key-env", metavar="VAR", help="take the API key from $VAR")
    add.add_argument("--header", action="append", default=[], metavar="NAME=VALUE",
                     help="send this header with every request (repeatable)")
    add.add_argument("--proxy", default="", metavar="URL",
                     help="HTTP(S) proxy (default: the environment's)")
    add.add_argument("--ca-file", default="", metavar="FILE",
                     help="trust this certificate bundle too (a self-signed server)")
    add.add_argument("--no-sampling-extras", action="store_true",
                     help="send only OpenAI's own sampling fields (no top-k, min-p, repeat "
                          "penalty): for servers that refuse unknown fields")
    add.add_argument("-y", "--yes", action="store_true",
                     help="agree that conversations go to a host outside your network")
    actions.add_parser("list", help="the connections and where their keys are kept")
    remove = actions.add_parser("rm", help="remove a connection and its key")
    remove.add_argument("name")
    test = actions.add_parser("test", help="list the server's models and time a tiny request")
    test.add_argument("name")
    test.add_argument("--model", default="", help="the model to time (default: the first)")
    parser.set_defaults(connections_parser=parser, run=run_connections)
    return parser


def run_connections(args: argparse.Namespace) -> int:
    """Run the parsed ``connections`` action; returns the exit code."""
    handlers = {"add": _add, "list": _list, "rm": _rm, "test": _test}
    action = getattr(args, "connections_command", None)
    if action not in handlers:
        args.connections_parser.print_help(sys.stderr)
        return EXIT_ERROR
    from openchat_desktop.core.remote.errors import RemoteError

    try:
        return handlers[action](args)
    except RemoteError as exc:
        return fail(str(exc))


def _stores() -> tuple[ConnectionStore, KeyStore]:
    from openchat_desktop.core.remote.connections import ConnectionStore
    from openchat_desktop.core.remote.keys import KeyStore

    config = app_paths().config_dir
    store = ConnectionStore(config)
    for line in store.warnings:
        warn(line)
    return store, KeyStore(config)


def _headers(pairs: list[str]) -> dict[str, str]:
    from openchat_desktop.core.remote import errors

    headers: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise errors.RemoteError(f"--header {pair!r}: give NAME=VALUE.", "config")
        headers[name.strip()] = value.strip()
    return headers


def _read_key(args: argparse.Namespace) -> str | None:
    """The key the flags give; None when they give none (keep the stored one)."""
    from openchat_desktop.core.remote import errors

    if args.api_key_stdin:
        return sys.stdin.readline().strip()
    if args.api_key_env:
        value = os.environ.get(args.api_key_env)
        if value is None:
            raise errors.RemoteError(f"${args.api_key_env} is not set.", "config")
        return value.strip()
    return None


def _add(args: argparse.Namespace) -> int:
    from openchat_desktop.core.remote import errors
    from openchat_desktop.core.remote.connections import Connection, validated
    from openchat_desktop.core.remote.opening import needs_confirmation

    key = _read_key(args)  # a missing variable is reported before any question is asked
    store, keys = _stores()
    previous = store.get(args.name)
    connection = validated(Connection(
        args.name, args.base_url, _headers(args.header),
        sampling_extras=not args.no_sampling_extras, proxy=args.proxy, ca_file=args.ca_file))
    same_url = previous is not None and previous.base_url == connection.base_url
    connection = replace(connection, public_ok=bool(same_url and previous and previous.public_ok))
    if needs_confirmation(connection):
        if not _confirm_public(connection, args.yes):
            return fail(f"not added: {errors.host_of(connection.base_url)} is outside your "
                        "network; add --yes to send conversations there")
        connection = replace(connection, public_ok=True)
    connection = store.put(connection)
    if key is not None:
        keys.set(connection.name, key)
    verb = "Changed" if previous else "Added"
    print(f"{verb} {connection.name} ({connection.base_url}); use its models as "
          f"--model {connection.name}/MODEL (see `openchat connections test {connection.name}`)")
    return EXIT_OK


def _confirm_public(connection: Connection, yes: bool) -> bool:
    from openchat_desktop.core.remote.errors import host_of

    if yes:
        return True
    if not sys.stdin.isatty():
        return False
    host = host_of(connection.base_url)
    answer = input(f"{host} is outside your network: your conversations will be sent "
                   "there. Continue? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _list(args: argparse.Namespace) -> int:
    store, keys = _stores()
    connections = store.all()
    if not connections:
        print("No connections. Add one with `openchat connections add NAME --base-url URL`.")
        return EXIT_OK
    rows = [("NAME", "BASE URL", "KEY", "HEADERS")]
    rows += [(c.name, c.base_url, "set" if keys.get(c.name) else "none",
              ", ".join(sorted(c.headers)) or "-") for c in connections]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                         row[3]]).rstrip())
    print(keys.where())
    return EXIT_OK


def _rm(args: argparse.Namespace) -> int:
    store, keys = _stores()
    if not store.remove(args.name):
        return fail(f"no connection named {args.name} (see `openchat connections list`)")
    keys.delete(args.name)
    print(f"Removed {args.name} and its key.")
    return EXIT_OK


def _test(args: argparse.Namespace) -> int:
    from openchat_desktop.core.remote.opening import needs_confirmation, probe

    store, keys = _stores()
    connection = store.require(args.name)
    result = probe(connection, keys.get(connection.name), args.model)
    print(f"{connection.name}: {len(result.models)} models in {result.list_seconds:.2f}s")
    for model in result.models:
        context = f"  (context {model.n_ctx})" if model.n_ctx else ""
        print(f"  {connection.name}/{model.id}{context}")
    if result.reply_seconds:
        print(f"tiny request: first token after {result.ttft_seconds:.2f}s, done in "
              f"{result.reply_seconds:.2f}s")
    if needs_confirmation(connection):
        warn("this host is outside your network and was not confirmed: add the connection "
             "again with --yes to chat through it")
    return EXIT_OK


def model_rows(timeout: float = 3.0) -> list[tuple[str, str, str, str]]:
    """``openchat models list`` rows for every connection's models (NAME, SIZE, SOURCE, FROM);
    a server that cannot be asked gets a warning line instead."""
    from openchat_desktop.core.remote.errors import RemoteError
    from openchat_desktop.core.remote.opening import connection_models

    store, keys = _stores()
    rows: list[tuple[str, str, str, str]] = []
    for connection in store.all():
        try:
            models = connection_models(connection, keys.get(connection.name), timeout)
        except RemoteError as exc:
            warn(f"{connection.name}: {exc}")
            continue
        rows += [(f"{connection.name}/{m.id}", "-", "remote", connection.base_url)
                 for m in models]
    return rows
