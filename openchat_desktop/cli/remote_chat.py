"""``openchat chat --model CONNECTION/MODEL``: the terminal chat over a remote server.

The same ``TerminalChat`` as a local model (it only needs the chat-backend seam); what differs
is the first line, which says where the conversation goes instead of naming llama.cpp's
build features.
"""

from __future__ import annotations

import argparse
import time

from openchat_desktop.cli.terminal import ChatOptions, chat_until_done
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.remote.model_ref import parse_remote
from openchat_desktop.core.remote.opening import open_remote


def run_remote_chat(load: LoadSettings, sampling: SamplingSettings, system: str,
                    args: argparse.Namespace) -> int:
    """Open the remote model ``load`` names and chat; returns the exit code."""
    ref = parse_remote(load.model_path)
    assert ref is not None
    started = time.perf_counter()
    client = open_remote(ref)
    try:
        if not args.no_stats:
            print(f"connected to {ref.label} in {time.perf_counter() - started:.2f}s: "
                  f"{client.device.describe()} (your messages are sent there)", flush=True)
        options = ChatOptions(sampling, system, not args.no_stats, not args.hide_thinking)
        return chat_until_done(client, options, args.prompt)
    finally:
        client.close()
