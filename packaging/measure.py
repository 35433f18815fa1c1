"""Figures of a built app folder: sizes, start-up time, time to the first token.

    python packaging/measure.py [dist/OpenChat] [--archive dist/OpenChat-….tar.gz] [--runs 3]

Runs the frozen executable with a fresh OPENCHAT_HOME each time (a first launch):
- ``--version``: interpreter and bootloader start-up;
- ``OpenChat`` (the window): wall clock from process start until the log says "window shown"
  (the app's own figure, counted from its ``run_gui``, is printed too);
- ``gui --smoke-test``: start, window, load the model, chat one message, close (wall clock);
- ``chat --prompt``: wall clock from process start to the first character of the reply
  (start-up, llama.cpp and model load, prompt, first token) and to the end.
Linux: with --cold, the page cache is dropped before each run (needs root).
"""

from __future__ import annotations

import argparse
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = ["chat", "--prompt", "What is the capital of France?", "--temperature", "0.2",
          "--seed", "42", "-n", "40"]


def folder_size(path: Path, skip_suffix: str | None = None) -> int:
    return sum(p.stat().st_size for p in path.rglob("*")
               if p.is_file() and not p.is_symlink()
               and not (skip_suffix and p.name.endswith(skip_suffix)))


def drop_caches() -> None:
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        raise SystemExit(f"measure: cannot drop the page cache ({exc}); run without --cold") \
            from None


def env_for_run(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "OPENCHAT_", "LD_", "VIRTUAL_ENV"))}
    env.update(OPENCHAT_HOME=str(home), QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"))
    return env


def timed(exe: Path, args: list[str], cold: bool) -> tuple[float, int, str]:
    if cold:
        drop_caches()
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        result = subprocess.run([str(exe), *args], env=env_for_run(Path(home)), cwd=home,
                                capture_output=True, text=True, check=False, timeout=600)
        return time.perf_counter() - started, result.returncode, result.stdout + result.stderr


def window_shown(exe: Path, cold: bool) -> tuple[float, str]:
    """Wall clock from process start until the app logs "window shown"; the app's own figure."""
    if cold:
        drop_caches()
    with tempfile.TemporaryDirectory() as home:
        log_file = Path(home) / "logs" / "openchat.log"
        started = time.perf_counter()
        process = subprocess.Popen([str(exe)], env=env_for_run(Path(home)), cwd=home,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.perf_counter() - started < 120:
                text = log_file.read_text("utf-8", "replace") if log_file.is_file() else ""
                match = re.search(r"window shown .*", text)
                if match:
                    return time.perf_counter() - started, match.group(0)
                if process.poll() is not None:
                    raise SystemExit(f"measure: the app exited ({process.returncode}) "
                                     "before showing its window")
                time.sleep(0.005)
            raise SystemExit("measure: no 'window shown' in the log after 120 s")
        finally:
            process.terminate()
            process.wait(timeout=30)


def first_token(exe: Path, cold: bool) -> tuple[float, float, str]:
    """Seconds from start to the reply's first character, and to the end; the reply."""
    if cold:
        drop_caches()
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        process = subprocess.Popen([str(exe), *PROMPT], env=env_for_run(Path(home)), cwd=home,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        out, first = b"", None
        while True:
            ready, _, _ = select.select([process.stdout], [], [], 120)
            if not ready:
                process.kill()
                raise SystemExit("measure: no output for 120 s")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
            if first is None and b"bot: " in out and out.split(b"bot: ", 1)[1].strip():
                first = time.perf_counter() - started
        process.wait()
        total = time.perf_counter() - started
        reply = out.decode("utf-8", "replace").split("bot: ", 1)[-1].splitlines()[0]
        return first or total, total, reply


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("app", nargs="?", type=Path,
                        default=Path(__file__).resolve().parent.parent / "dist" / "OpenChat")
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="drop the page cache first")
    args = parser.parse_args()
    app: Path = args.app.resolve()
    exe = app / ("OpenChat.exe" if sys.platform == "win32" else "OpenChat")
    if sys.platform == "darwin" and app.suffix == ".app":
        exe = app / "Contents" / "MacOS" / "OpenChat"

    total = folder_size(app)
    print(f"app folder: {total / 1e6:.0f} MB, without the model "
          f"{folder_size(app, '.gguf') / 1e6:.0f} MB")
    if args.archive:
        print(f"archive {args.archive.name}: {args.archive.stat().st_size / 1e6:.0f} MB")

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.2f}s (runs: {', '.join(f'{v:.2f}' for v in values)})"

    versions = [timed(exe, ["--version"], args.cold)[0] for _ in range(args.runs)]
    print(f"--version: {median(versions)}")
    shown, says = [], ""
    for _ in range(args.runs):
        seconds, says = window_shown(exe, args.cold)
        shown.append(seconds)
    print(f"start to window shown (wall clock, from process start): {median(shown)}")
    print(f"  the app's log: {says}")
    smoke = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as shots:
            seconds, code, output = timed(exe, ["gui", "--smoke-test", "--screenshot",
                                                str(Path(shots) / "w.png")], args.cold)
        if code != 0:
            print(f"gui --smoke-test failed (exit {code}): {output.strip()[-300:]}")
            break
        smoke.append(seconds)
    if smoke:
        print(f"gui --smoke-test (start, window, one chat reply, close): {median(smoke)}")
    firsts, ends, reply = [], [], ""
    for _ in range(args.runs):
        first, end, reply = first_token(exe, args.cold)
        firsts.append(first)
        ends.append(end)
    print(f"chat --prompt, first token: {median(firsts)}; whole run: {median(ends)}")
    print(f"  reply: {reply}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
