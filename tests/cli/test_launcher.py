"""The entry point: each command's parser, the dispatch, and one line for every failure."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from openchat_desktop import launcher
from openchat_desktop.cli import chat
from openchat_desktop.core.errors import ModelLoadError


def run_chat_raising(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    def run(_args: Any) -> int:
        raise error

    monkeypatch.setattr(chat, "run_chat", run)


@pytest.mark.parametrize(("error", "code", "line"), [
    (ModelLoadError("llama.cpp could not load x.gguf:\n  bad   file"), 1,
     "openchat: llama.cpp could not load x.gguf: bad file"),
    (RuntimeError("boom"), 1, "openchat: unexpected error: RuntimeError: boom"),
    (KeyboardInterrupt(), 130, None),
])
def test_a_failing_command_ends_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str],
                                              error: BaseException, code: int,
                                              line: str | None) -> None:
    run_chat_raising(monkeypatch, error)
    assert launcher.main(["chat"]) == code
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ([line] if line else [])


def test_each_command_dispatches_to_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def run(args: Any) -> int:
        seen.append(args.command)
        return 7

    monkeypatch.setattr(chat, "run_chat", run)
    assert launcher.main(["chat", "--prompt", "hi"]) == 7
    assert launcher.main(["models"]) == 1  # no action: the models help, then an error code
    assert seen == ["chat"]


@pytest.mark.parametrize(("argv", "smoke"), [([], False), (["gui"], False),
                                             (["gui", "--smoke-test"], True)])
def test_no_command_or_gui_opens_the_window(monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                           smoke: bool) -> None:
    import openchat_desktop.app as app

    calls: list[dict[str, Any]] = []

    def run_gui(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr(app, "run_gui", run_gui)
    assert launcher.main(argv) == 0
    assert calls == [{"smoke_test": smoke, "screenshot": None}]


def test_the_gui_launcher_opens_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def main(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    monkeypatch.setattr(launcher, "main", main)
    monkeypatch.setattr(sys, "argv", ["openchat-desktop", "--smoke-test"])
    assert launcher.gui_main() == 0 and seen == [["gui", "--smoke-test"]]


def test_the_command_line_loads_no_qt() -> None:
    code = ("import sys\nfrom openchat_desktop.launcher import build_parser\n"
            "build_parser().parse_args(['chat', '--temperature', '0.5'])\n"
            "import openchat_desktop.cli.pull, openchat_desktop.cli.terminal\n"
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_version_and_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        launcher.main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.startswith("OpenChat ")
    with pytest.raises(SystemExit) as exited:
        launcher.main(["serve-nothing"])
    assert exited.value.code == 2
