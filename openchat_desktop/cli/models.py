"""``openchat models …``: the model manager in the terminal.

list, search, pull, import, rm, info, catalog. Every failure ends with one line on stderr and
a non-zero exit code. ``add_parser`` registers the command; parsing sets ``run`` to
``run_models``, which the launcher calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openchat_desktop.cli.common import (
    EXIT_OK,
    fail,
    run_subcommand,
    settings_value,
)
from openchat_desktop.core.gguf.tables import kv_bytes_per_element
from openchat_desktop.core.sizes import format_size


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``models`` and its sub-commands on an argparse ``subparsers`` object."""
    hub = argparse.ArgumentParser(add_help=False)
    hub.add_argument("--endpoint", metavar="URL", help="Hugging Face endpoint or mirror "
                     "(default: the setting, else $HF_ENDPOINT, else huggingface.co)")
    hub.add_argument("--token", help="Hugging Face access token, for gated models")
    hub.add_argument("--proxy", metavar="URL", help="HTTP(S) proxy for Hub requests")
    dirs = argparse.ArgumentParser(add_help=False)
    dirs.add_argument("--dir", dest="dirs", action="append", default=[], metavar="FOLDER",
                      help="also look for GGUF files in this folder (repeatable)")

    models = subparsers.add_parser("models", help="list, download and manage models",
                                   description="Manage the GGUF models OpenChat can use.")
    commands = models.add_subparsers(dest="models_command", metavar="ACTION")
    commands.add_parser("list", parents=[dirs], help="installed models")
    search = commands.add_parser("search", parents=[hub], help="search the Hub for GGUF models")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=20)
    pull = commands.add_parser(
        "pull", parents=[hub], help="download a model (resumes an interrupted download)",
        description="Download REPO:FILE (or REPO, choosing its Q4_K_M file, or a catalog id). "
                    "Ctrl-C pauses; run the same command again to resume.")
    pull.add_argument("spec", metavar="REPO[:FILE]")
    pull.add_argument("--revision", default="main", help="branch, tag or commit (default: main)")
    imp = commands.add_parser("import", help="add a GGUF file you already have")
    imp.add_argument("path")
    imp.add_argument("--copy", action="store_true",
                     help="copy it into the models folder instead of using it in place")
    remove = commands.add_parser("rm", parents=[dirs], help="delete a downloaded model, or "
                                 "forget one that lives elsewhere")
    remove.add_argument("name")
    remove.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    info = commands.add_parser("info", parents=[dirs], help="details from a model's header")
    info.add_argument("name", metavar="NAME|PATH")
    commands.add_parser("catalog", help="curated models, and whether each fits this computer")
    models.set_defaults(models_parser=models, run=run_models)
    return models


def run_models(args: argparse.Namespace) -> int:
    """Run the parsed ``models`` command; returns the exit code (never raises)."""
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "list": _list, "search": _search, "pull": _pull, "import": _import, "rm": _rm,
        "info": _info, "catalog": _catalog}
    return run_subcommand(args, "models", handlers)


def extra_dirs(args: argparse.Namespace) -> list[str]:
    """Folders from ``--dir`` plus the ``models.extra_dirs`` setting."""
    return [*getattr(args, "dirs", []), *(settings_value("models.extra_dirs", []) or [])]


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Left-aligned columns; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())


def _list(args: argparse.Namespace) -> int:
    from openchat_desktop.cli import connections
    from openchat_desktop.core.models.library import list_installed, total_disk_used
    from openchat_desktop.core.models.partial import resume_pending
    from openchat_desktop.core.paths import app_paths

    models = list_installed(extra_dirs(args))
    rows = [("NAME", "SIZE", "SOURCE", "FROM")]
    rows += [(m.name, format_size(m.size_bytes), m.source, m.repo or str(m.path.parent))
             for m in models]
    rows += connections.model_rows()  # CONNECTION/MODEL of each remote server
    print_table(rows)
    for pending in resume_pending():
        print(f"unfinished: {pending.info.repo}:{pending.info.filename} "
              f"({format_size(pending.bytes_done)} so far; resume with `openchat models pull "
              f"{pending.info.repo}:{pending.info.filename}`)")
    print(f"{len(models)} models; {format_size(total_disk_used())} used in "
          f"{app_paths().models_dir}")
    return EXIT_OK


def _search(args: argparse.Namespace) -> int:
    from openchat_desktop.cli.pull import hub_client

    with hub_client(args) as client:
        hits = client.search(args.query, limit=args.limit)
    if not hits:
        print(f"No GGUF models found for {args.query!r}")
        return EXIT_OK
    rows = [("REPOSITORY", "DOWNLOADS", "LIKES", "UPDATED")]
    rows += [(hit.repo_id, str(hit.downloads), str(hit.likes),
              hit.updated.date().isoformat() if hit.updated else "") for hit in hits]
    print_table(rows)
    return EXIT_OK


def _pull(args: argparse.Namespace) -> int:
    from openchat_desktop.cli.pull import run_pull

    return run_pull(args)


def _import(args: argparse.Namespace) -> int:
    from openchat_desktop.core.models.library import import_model

    model = import_model(args.path, copy=args.copy)
    how = "copied to" if args.copy else "will be used from"
    print(f"Imported {model.name} ({format_size(model.size_bytes)}); it {how} {model.path}")
    return EXIT_OK


def _rm(args: argparse.Namespace) -> int:
    from openchat_desktop.core.models.library import delete_model, find_model
    from openchat_desktop.core.paths import app_paths

    model = find_model(args.name, extra_dirs(args))
    if model is None:
        return fail(f"no installed model named {args.name} (see `openchat models list`)")
    owned = model.path.resolve().is_relative_to(app_paths().models_dir.resolve())
    verb = "Delete" if owned and model.source != "starter" else "Forget"
    if not args.yes:
        if not sys.stdin.isatty():
            return fail(f"not deleting {model.name} without --yes")
        answer = input(f"{verb} {model.name} ({format_size(model.size_bytes)})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing removed.")
            return EXIT_OK
    delete_model(model)
    if verb == "Delete":
        print(f"Deleted {model.path}")
    else:
        print(f"Removed {model.name} from the list; the file was kept: {model.path}")
    return EXIT_OK


def _info(args: argparse.Namespace) -> int:
    from openchat_desktop.core.gguf.info import read_gguf_info
    from openchat_desktop.core.models.library import find_model

    model = find_model(args.name, extra_dirs(args))
    path = model.path if model is not None else Path(args.name).expanduser()
    if model is None and not path.exists():
        return fail(f"no installed model or file named {args.name} (see `openchat models "
                    "list`)")
    info = read_gguf_info(path)
    for line in info.summary_lines():
        print(line)
    f16, q8_0 = (info.kv_cache_bytes(4096, kv_bytes_per_element(kind)) for kind in ("f16", "q8_0"))
    print(f"KV cache at 4,096 tokens: {format_size(f16)} (f16, the default), "
          f"{format_size(q8_0)} (q8_0)")
    if model is not None:
        print(f"Source: {model.source}" + (f" ({model.repo})" if model.repo else ""))
    print(f"Path: {path}")
    return EXIT_OK


def _catalog(args: argparse.Namespace) -> int:
    import psutil

    from openchat_desktop.core.models.catalog import entry_fit, load_catalog
    from openchat_desktop.core.models.library import download_target

    ram = int(psutil.virtual_memory().total)
    rows = [("ID", "PARAMS", "QUANT", "SIZE", "CAN DO", "FIT", "", "DESCRIPTION")]
    for entry in load_catalog():
        installed = entry.starter or download_target(entry.repo, entry.file).exists()
        rows.append((entry.id, entry.parameters, entry.quantization,
                     format_size(entry.size_bytes), ", ".join(entry.capability_labels()),
                     entry_fit(entry, ram), "installed" if installed else "", entry.description))
    print_table(rows)
    print(f"Fit is for {format_size(ram)} of RAM. Download one with "
          "`openchat models pull ID`. A model's recommended sampling is its default "
          "wherever you have not changed the app's own.")
    return EXIT_OK
