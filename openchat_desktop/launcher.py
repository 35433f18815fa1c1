"""Command line: ``openchat [gui]``, ``openchat chat``, ``openchat models …``.

Every failure a user can cause ends with one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from openchat_desktop import __version__
from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.settings_schema import KV_CACHE_TYPES, SETTINGS_BY_KEY

log = logging.getLogger(__name__)


def _default(key: str) -> Any:
    return SETTINGS_BY_KEY[key].default


def _gpu_layers(value: str) -> int:
    if value == "auto":
        return -1
    try:
        layers = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be 'auto' or a number of layers") from None
    if layers < -1:
        raise argparse.ArgumentTypeError("must be 'auto', -1 (all) or a number of layers")
    return layers


def add_chat_parser(subparsers: Any) -> None:
    chat = subparsers.add_parser(
        "chat", help="chat in the terminal",
        description="Chat with a local model in the terminal. Input from a pipe works: each "
                    "line is one user turn. Commands: /reset, /exit. Ctrl-C stops a reply.")
    chat.add_argument("--model", help="GGUF file or installed model name (default: the "
                      "configured default model, else the starter model)")
    chat.add_argument("-n", "--sample-len", type=int, metavar="N",
                      help=f"longest reply in tokens (default: {_default('sampling.max_tokens')})")
    for flag, key, kind in (("--temperature", "temperature", float), ("--seed", "seed", int),
                            ("--repeat-penalty", "repeat_penalty", float),
                            ("--repeat-last-n", "repeat_last_n", int), ("--top-p", "top_p", float),
                            ("--top-k", "top_k", int), ("--min-p", "min_p", float)):
        setting = SETTINGS_BY_KEY[f"sampling.{key}"]
        chat.add_argument(flag, type=kind, help=f"{setting.help} (default: {setting.default})")
    chat.add_argument("--ctx-size", type=int, metavar="N", help="context window in tokens "
                      "(default: the model's own, capped at 4096)")
    chat.add_argument("--kv-cache", choices=KV_CACHE_TYPES, metavar="TYPE",
                      help="precision of the context cache: f16 (default), q8_0 (half the "
                           "memory, long prompts read about a third slower on a CPU) or q4_0")
    chat.add_argument("--reserve-context", dest="grow_context", action="store_false",
                      default=None, help="reserve the whole context cache at load instead of "
                      "growing it as the conversation needs (CPU)")
    chat.add_argument("--n-gpu-layers", type=_gpu_layers, metavar="N|auto",
                      help="layers to offload to the GPU (default: auto = all when this build "
                           "can offload, else 0)")
    chat.add_argument("--threads", type=int, metavar="N",
                      help="CPU threads (default: the number of physical cores)")
    chat.add_argument("--system", metavar="TEXT", help="system prompt")
    chat.add_argument("--prompt", metavar="TEXT", help="ask one question, print the reply, exit")
    chat.add_argument("--no-stats", action="store_true",
                      help="don't print the features line and the tokens/s lines")
    chat.add_argument("--tokenizer", metavar="FILE",
                      help="accepted for compatibility and ignored: a GGUF file carries its "
                           "own tokenizer")
    chat.add_argument("--gqa", type=int, metavar="N",
                      help="accepted for compatibility and ignored: a GGUF file records its "
                           "own attention head counts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openchat", description="OpenChat Desktop: chat with local language models.")
    parser.add_argument("--version", action="version", version=f"OpenChat {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = subparsers.add_parser("gui", help="open the desktop window (the default)")
    gui.add_argument("--smoke-test", action="store_true",
                     help="open the window, chat one message, close; exit 0 when it worked")
    gui.add_argument("--screenshot", metavar="FILE", help="with --smoke-test: save the window")
    add_chat_parser(subparsers)
    try:
        from openchat_desktop.cli.models import add_models_parser
    except ImportError:  # the model manager is optional in a stripped build
        pass
    else:
        add_models_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "gui"
    try:
        if command == "chat":
            from openchat_desktop.cli.chat import run_chat

            return run_chat(args)
        if command == "models":
            from openchat_desktop.cli.models import run_models

            return int(run_models(args))
        from openchat_desktop.app import run_gui

        return run_gui(smoke_test=getattr(args, "smoke_test", False),
                       screenshot=getattr(args, "screenshot", None))
    except OpenChatError as exc:
        print(f"openchat: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.exception("unexpected error")
        print(f"openchat: unexpected error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1


def gui_main() -> int:
    """Entry point of the windowed launcher (no console on Windows)."""
    return main(["gui", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
