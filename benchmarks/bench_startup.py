"""Launch to main window shown (no model), and the bare cost of importing Qt widgets.

Each run starts a fresh interpreter on an empty profile and runs the app's own start-up
(``app.run_gui``), with model loading switched off; the child prints the wall-clock time at
which the window had been shown and painted, and the parent subtracts its launch time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import report, spread

ROOT = Path(__file__).resolve().parent.parent


def child() -> None:
    """Run the real start-up; print the time the window was shown, then quit."""
    from PySide6.QtCore import QCoreApplication, QTimer

    from openchat_desktop import app
    from openchat_desktop.ui.main_window import MainWindow

    show = MainWindow.show

    def shown(window: MainWindow) -> None:
        show(window)
        QCoreApplication.processEvents()  # the first expose and paint
        print(f"{time.time():.6f}", flush=True)
        QTimer.singleShot(0, window.close)

    MainWindow.show = shown  # type: ignore[method-assign, assignment]
    MainWindow.start = lambda self, load_model=True: None  # type: ignore[method-assign]
    app.run_gui()


def launch(env: dict[str, str]) -> float:
    started = time.time()
    out = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True,
                         text=True, check=True).stdout
    return float(out.strip().splitlines()[-1]) - started


def qt_import(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import PySide6.QtWidgets"], env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.child:
        return child()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": str(ROOT)}
    launch({**env, "OPENCHAT_HOME": tempfile.mkdtemp(prefix="openchat-bench-")})  # warm-up
    windows, imports = [], []
    for _ in range(args.runs):
        env["OPENCHAT_HOME"] = tempfile.mkdtemp(prefix="openchat-bench-")
        windows.append(launch(env))
        imports.append(qt_import(env))
    figures = {**spread("startup_window_s", windows),
               **spread("startup_qt_import_s", imports)}
    report(figures, args.json)


if __name__ == "__main__":
    main()
