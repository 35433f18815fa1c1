"""The app opens no network connection unless the user searches or downloads models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Any attempt to open a network connection aborts the process with a marker line.
BLOCK_SOCKETS = """
import socket, sys
def refuse(*args, **kwargs):
    sys.stderr.write("NETWORK ATTEMPT %r\\n" % (args[1:] or args,))
    sys.stderr.flush()
    raise SystemExit(99)
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
"""


def run_blocked(code: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK_SOCKETS + code], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "HF_HUB_OFFLINE": "0"})


@pytest.mark.model
def test_terminal_chat_end_to_end_without_network(starter_model: Path) -> None:
    result = run_blocked(
        "from openchat_desktop.launcher import main\n"
        "sys.exit(main(['chat', '--prompt', 'What is the capital of France?', '--seed', '42',"
        " '--temperature', '0.2', '-n', '40', '--threads', '2']))")
    assert "NETWORK ATTEMPT" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout


def test_listing_models_and_catalog_needs_no_network() -> None:
    result = run_blocked(
        "from openchat_desktop.launcher import main\n"
        "codes = [main(['models', 'list']), main(['models', 'catalog'])]\n"
        "sys.exit(max(codes))")
    assert "NETWORK ATTEMPT" not in result.stderr
    assert result.returncode == 0, result.stderr


def test_the_blocker_catches_a_real_connection_attempt() -> None:
    # Control: searching the Hub does connect, so the blocker above must notice it.
    result = run_blocked("from openchat_desktop.launcher import main\n"
                         "sys.exit(main(['models', 'search', 'qwen']))", timeout=60)
    assert "NETWORK ATTEMPT" in result.stderr
