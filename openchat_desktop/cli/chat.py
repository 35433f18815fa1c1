"""``openchat chat``: its flags, and turning them and the saved settings into a terminal chat."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from openchat_desktop.cli import common
from openchat_desktop.core import settings_flags
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.logs import setup_logging
from openchat_desktop.core.models.catalog import model_sampling_defaults
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.remote.model_ref import parse_remote
from openchat_desktop.core.settings import Settings
from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY

if TYPE_CHECKING:
    from openchat_desktop.cli.docs_lookup import DocsLookup

DOCS_FLAGS = ("docs.",)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``chat`` on an argparse ``subparsers`` object; parsing sets ``run``."""
    chat = subparsers.add_parser(
        "chat", help="chat in the terminal",
        description="Chat with a local model in the terminal. Input from a pipe works: each "
                    "line is one user turn. Commands: /reset, /exit. Ctrl-C stops a reply. "
                    + common.FLAGS_OVERRIDE_SETTINGS)
    settings_flags.add_setting_flags(chat, settings_flags.CHAT)  # --system
    chat.add_argument("--prompt", metavar="TEXT", help="ask one question, print the reply, exit")
    chat.add_argument("--no-stats", action="store_true",
                      help="don't print the features line and the tokens/s lines")
    chat.add_argument("--hide-thinking", action="store_true",
                      help="don't print a thinking model's thinking, only its answer")
    chat.add_argument("--tokenizer", metavar="FILE",
                      help="accepted for compatibility and ignored: a GGUF file carries its "
                           "own tokenizer")
    chat.add_argument("--gqa", type=int, metavar="N",
                      help="accepted for compatibility and ignored: a GGUF file records its "
                           "own attention head counts")
    common.add_sampling_flags(chat)
    common.add_load_flags(chat)
    _add_docs_flags(chat)
    chat.set_defaults(run=run_chat)
    return chat


def _add_docs_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("local documents")
    group.add_argument("--docs", action="append", metavar="NAME", default=[],
                       help="answer from this document collection (see 'openchat docs'), "
                            "citing its passages; repeat for several")
    settings_flags.add_setting_flags(group, DOCS_FLAGS)


def chat_settings(args: argparse.Namespace, settings: Settings) -> tuple[SamplingSettings,
                                                                         LoadSettings]:
    """Saved settings, overridden by whatever the command line gives (validated alike).

    As in the window, a model's recommended sampling (its catalog entry) stands in for every
    value the user has set neither in the settings nor on the command line."""
    given = settings_flags.flag_values(args, settings_flags.SAMPLING)
    settings_flags.apply_setting_flags(args, settings, settings_flags.SAMPLING)
    settings_flags.apply_setting_flags(args, settings, settings_flags.CHAT)
    load = common.load_settings_from_args(args, settings)
    values = dict(settings.section("sampling"))
    for key, value in model_sampling_defaults(load.model_path).items():
        if key not in given and settings.get(key) == SETTINGS_BY_KEY[key].default:
            values[key.split(".", 1)[1]] = value
    return SamplingSettings.from_dict(values, strict=True), load


def run_chat(args: argparse.Namespace) -> int:
    """Load the model and chat (or answer ``--prompt``); returns the exit code."""
    setup_logging(app_paths())
    settings = common.load_settings()
    sampling, load = chat_settings(args, settings)
    system = settings.get("chat.system_prompt")
    if parse_remote(load.model_path) is not None:  # CONNECTION/MODEL: no llama.cpp here
        if args.docs:
            return common.fail("--docs works with local models only: the passages of your "
                               "documents would be sent to the remote server.")
        from openchat_desktop.cli.remote_chat import run_remote_chat

        return run_remote_chat(load, sampling, system, args)
    docs = _open_docs(args, settings)  # an unknown collection ends here, before the model
    try:
        return _chat_locally(args, load, sampling, system, docs)
    finally:
        if docs is not None:
            docs.close()


def _open_docs(args: argparse.Namespace, settings: Settings) -> DocsLookup | None:
    if not args.docs:
        return None
    settings_flags.apply_setting_flags(args, settings, DOCS_FLAGS)
    from openchat_desktop.cli.docs_lookup import DocsLookup

    docs = DocsLookup.open(args.docs, settings)
    for name in docs.never_indexed():
        common.warn(f"the collection '{name}' has no passages yet; index it with "
                    f"`openchat docs reindex {name}`.")
    return docs


def _chat_locally(args: argparse.Namespace, load: LoadSettings, sampling: SamplingSettings,
                  system: str, docs: DocsLookup | None) -> int:
    from openchat_desktop.cli.terminal import ChatOptions, chat_until_done
    from openchat_desktop.core.llm import llama_runtime
    from openchat_desktop.core.llm.engine import Engine

    if not args.no_stats:
        print(llama_runtime.features_line(), flush=True)
    started = time.perf_counter()
    engine = Engine(load)
    try:
        if not args.no_stats:
            print(f"loaded {engine.model_name} ({engine.info.tensor_count} tensors, "
                  f"{engine.info.file_size} bytes) in {time.perf_counter() - started:.2f}s "
                  f"on {engine.device.describe()}, context {engine.n_ctx}", flush=True)
        if engine.template.warning:
            common.warn(engine.template.warning)
        options = ChatOptions(sampling, system, not args.no_stats, not args.hide_thinking,
                              docs)
        return chat_until_done(engine, options, args.prompt)
    finally:
        engine.close()
