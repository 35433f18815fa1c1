"""``openchat models …`` through a tiny argparse harness, against the fake Hub."""

from __future__ import annotations

import _thread
import argparse
import io
import signal
from pathlib import Path

import pytest
from cli_output import one_error_line
from fakehub import FILE, GATED, REPO, FakeHub, make_gguf

from openchat_desktop.cli.models import add_parser, run_models
from openchat_desktop.cli.pull import ProgressBar
from openchat_desktop.core.models.download_types import DownloadProgress, DownloadState
from openchat_desktop.core.models.partial import part_path

# Never the real Hugging Face cache or token.
pytestmark = pytest.mark.usefixtures("empty_hf_cache")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    code = run_models(parser.parse_args(["models", *argv]))
    out, err = capsys.readouterr()
    return code, out, err


def test_pull_list_info_rm(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str],
                           openchat_home: Path, model_bytes: bytes) -> None:
    code, out, err = run(capsys, "pull", f"{REPO}:{FILE}", "--endpoint", fake_hub.url)
    assert code == 0, err
    target = openchat_home / "models" / REPO / FILE
    assert target.read_bytes() == model_bytes and f"Saved to {target}" in out
    assert "100.0%" in err and "\r" in err

    code, out, _ = run(capsys, "list")
    assert code == 0 and FILE in out and "downloaded" in out and REPO in out

    code, out, _ = run(capsys, "info", FILE)
    assert code == 0 and "Architecture: llama" in out and f"Path: {target}" in out

    code, out, _ = run(capsys, "pull", f"{REPO}:{FILE}", "--endpoint", fake_hub.url)
    assert code == 0 and "Already installed" in out

    code, out, _ = run(capsys, "rm", FILE, "--yes")
    assert code == 0 and "Deleted" in out and not target.exists()
    assert FILE not in run(capsys, "list")[1]


def test_pull_repo_picks_q4_k_m(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str],
                                openchat_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    code, _, err = run(capsys, "pull", REPO)
    assert code == 0, err
    assert (openchat_home / "models" / REPO / FILE).exists()


def test_pull_with_several_candidates_lists_them(
        fake_hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    fake_hub.add_repo("o/Many-GGUF", {"a.Q5_K_M.gguf": b"", "b.Q8_0.gguf": b""})
    code, _, err = run(capsys, "pull", "o/Many-GGUF", "--endpoint", fake_hub.url)
    assert code == 1
    assert one_error_line(err).endswith("name one as o/Many-GGUF:FILE: a.Q5_K_M.gguf, "
                                        "b.Q8_0.gguf")


@pytest.mark.usefixtures("gated_repo")
@pytest.mark.parametrize(("argv", "expected"), [
    (("pull", f"{GATED}:secret.Q4_K_M.gguf"), "gated or private"),
    (("pull", f"{REPO}:missing.gguf"), f"Not found on the Hub: {REPO}/missing.gguf"),
    (("pull", "not-a-repo"), "not a repository or catalog id"),
    (("pull", "a/b/c:x.gguf"), "not a repository name"),
    (("info", "no-such-model"), "no installed model or file named"),
    (("rm", "no-such-model", "--yes"), "no installed model named"),
    (("import", "/no/such/file.gguf"), "openchat: "),
])
def test_bad_input_gives_one_line(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str],
                                  argv: tuple[str, ...], expected: str) -> None:
    extra = ("--endpoint", fake_hub.url) if argv[0] == "pull" else ()
    code, _, err = run(capsys, *argv, *extra)
    assert code == 1
    assert expected in one_error_line(err)


def test_hub_failure_gives_one_line(fake_hub: FakeHub,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    fake_hub.faults.fail_times = 1
    code, _, err = run(capsys, "search", "tiny", "--endpoint", fake_hub.url)
    assert code == 1 and "The Hub server failed (HTTP 500)" in one_error_line(err)


def test_import_then_rm_keeps_the_file(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "own.gguf"
    path.write_bytes(make_gguf(2048))
    code, out, _ = run(capsys, "import", str(path))
    assert code == 0 and "Imported own.gguf" in out
    assert "imported" in run(capsys, "list")[1]
    code, err = run(capsys, "rm", "own")[::2]
    assert code == 1 and "without --yes" in one_error_line(err)  # stdin is not a terminal
    code, out, _ = run(capsys, "rm", "own", "--yes")
    assert code == 0 and "the file was kept" in out and path.exists()


def test_search_catalog_and_info_on_a_path(fake_hub: FakeHub, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "tiny", "--endpoint", fake_hub.url)
    assert code == 0 and REPO in out and "DOWNLOADS" in out
    code, out, _ = run(capsys, "catalog")
    assert code == 0 and "openchat-3.5-q4" in out and "smollm2-135m" in out
    path = tmp_path / "x.gguf"
    path.write_bytes(make_gguf(2048))
    code, out, _ = run(capsys, "info", str(path))
    assert code == 0 and "Model: Tiny Test Model" in out
    assert run(capsys)[0] == 1  # `openchat models` alone prints help and fails
    code, out, _ = run(capsys, "pull", "smollm2-135m")  # shipped: nothing to download
    assert code == 0 and "Already installed (the starter model)" in out


def test_ctrl_c_pauses_and_keeps_the_part(fake_hub: FakeHub, openchat_home: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 MB at 250 kB/s: seconds to spare between the Ctrl-C and the end of the file, even on
    # a loaded machine (a download that finishes first rightly exits 0).
    fake_hub.faults.throttle_bps = 250_000
    original = ProgressBar.update

    def update(self: ProgressBar, progress: DownloadProgress) -> None:
        original(self, progress)
        if progress.bytes_done > 100_000 and progress.state is DownloadState.DOWNLOADING:
            _thread.interrupt_main()  # what Ctrl-C does

    monkeypatch.setattr(ProgressBar, "update", update)
    # interrupt_main() does nothing unless Python's own SIGINT handler is installed, and in
    # the whole suite something before this test leaves another one in place.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code, _, err = run(capsys, "pull", f"{REPO}:{FILE}", "--endpoint", fake_hub.url)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130, f"SIGINT handler before the test: {previous!r}"
    assert "Run `openchat models pull" in err and "again to resume" in err
    assert part_path(openchat_home / "models" / REPO / FILE).exists()
    assert "unfinished:" in run(capsys, "list")[1]


def test_progress_bar_is_throttled() -> None:
    stream = io.StringIO()
    bar = ProgressBar("f.gguf", stream, min_interval=10)
    for done in range(0, 1000, 10):
        bar.update(DownloadProgress(done, 1000, 5e6, 2.0, DownloadState.DOWNLOADING))
    bar.update(DownloadProgress(1000, 1000, 5e6, 0.0, DownloadState.DONE))
    assert bar.lines_written == 2
    assert "100.0%" in stream.getvalue() and "5.0 MB/s" in stream.getvalue()
