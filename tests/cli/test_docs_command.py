"""``openchat docs …`` as a user runs it: real files in a temporary folder, a real index in the
test's private home, one error line for every mistake."""

from __future__ import annotations

import _thread
import io
import json
import time
from pathlib import Path

import pytest
from cli_output import one_error_line

from openchat_desktop.cli.docs import ProgressLine
from openchat_desktop.core.docs.types import IndexProgress
from openchat_desktop.launcher import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["docs", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "install.md").write_text(
        "# Install\n\nRun the installer first.\n\n## Linux\n\nOn Linux the heron daemon "
        "needs the libquill package before it starts.\n", encoding="utf-8")
    (root / "sub" / "animals.txt").write_text(
        "Giraffes have long necks.\nOtters hold hands while they sleep.\n", encoding="utf-8")
    (root / "image.txt").write_bytes(bytes(range(256)) * 8)  # binary behind a .txt name
    return root


def test_add_list_search_reindex_rm(capsys: pytest.CaptureFixture[str], folder: Path,
                                    openchat_home: Path) -> None:
    code, out, err = run(capsys, "add", "Notes", str(folder))
    assert code == 0, err
    assert "Created collection 'Notes'." in out
    assert "Indexed 'Notes': 2 added, 0 updated, 0 removed, 0 unchanged" in out
    assert f"Skipped 1 file:\n  {folder / 'image.txt'}: " in out
    assert "Indexing Notes: " in err and "\r" not in err  # plain lines: not a terminal

    code, out, _ = run(capsys, "list")
    header, row = out.splitlines()
    assert header.split() == ["NAME", "FILES", "PASSAGES", "SIZE", "SKIPPED", "INDEXED", "SEARCH"]
    assert row.split()[:3] == ["Notes", "2", "3"] and row.split()[-1] == "keywords"
    listed = json.loads(run(capsys, "list", "--json")[1])
    assert listed[0]["name"] == "Notes" and listed[0]["skipped"] == 1
    assert listed[0]["sources"] == [str(folder)] and listed[0]["indexed_at"] > 0

    code, out, _ = run(capsys, "search", "notes", "what does the heron daemon need on linux")
    assert code == 0
    assert out.startswith("[1] Install — Linux, line")
    assert f"    {folder / 'install.md'}\n" in out and "libquill" in out

    code, out, _ = run(capsys, "search", "Notes", "otters sleep", "--json", "-k", "1")
    found = json.loads(out)
    assert len(found) == 1 and found[0]["rank"] == 1
    assert found[0]["path"] == str(folder / "sub" / "animals.txt")
    assert found[0]["line"] == 1 and found[0]["score"] > 0 and "Otters" in found[0]["text"]

    (folder / "sub" / "animals.txt").write_text("Otters are gone; only owls now.\n")
    (folder / "install.md").unlink()
    (folder / "extra.md").write_text("# Extra\n\nA new page about kettles.\n")
    code, out, _ = run(capsys, "reindex", "notes")
    assert code == 0 and "1 added, 1 updated, 1 removed, 1 unchanged" in out
    assert "Skipped 1 file:" in out  # still listed, though it was not read again
    assert "kettles" in run(capsys, "search", "Notes", "kettles")[1]
    assert "No passage of 'Notes' matches" in run(capsys, "search", "Notes", "libquill")[1]

    index_files = list(openchat_home.rglob("*.sqlite3"))
    assert len(index_files) == 1
    code, out, _ = run(capsys, "rm", "notes")
    assert code == 0 and "Removed collection 'Notes'" in out
    assert not any(p.exists() for p in index_files) and (folder / "extra.md").exists()
    assert "No collections yet" in run(capsys, "list")[1]


def test_add_to_an_existing_collection_reads_only_the_new_files(
        capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path) -> None:
    assert run(capsys, "add", "Notes", str(folder / "install.md"))[0] == 0
    more = tmp_path / "more.txt"
    more.write_text("Kettles whistle when the water boils.\n")
    code, out, _ = run(capsys, "add", "notes", str(more))
    assert code == 0 and "Created" not in out
    assert "1 added, 0 updated, 0 removed, 1 unchanged" in out
    assert "Kettles" in run(capsys, "search", "Notes", "kettles whistle")[1]


@pytest.mark.parametrize(("argv", "message"), [
    (("search", "nope", "x"), "No collection named 'nope'"),
    (("reindex", "nope"), "No collection named 'nope'"),
    (("rm", "nope"), "No collection named 'nope'"),
    (("add", "a/b", "."), "cannot contain /"),
    (("add", "  ", "."), "needs a name"),
    (("add", "Notes", "/no/such/folder/anywhere"), "No such file or folder"),
    (("search", "Notes", "   "), "Give some words"),
    (("search", "Notes", "x", "-k", "0"), "-k must be between 1 and 100"),
])
def test_mistakes_give_one_line_and_exit_1(capsys: pytest.CaptureFixture[str], folder: Path,
                                           argv: tuple[str, ...], message: str) -> None:
    assert run(capsys, "add", "Notes", str(folder))[0] == 0
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in one_error_line(err)
    assert "Notes" in run(capsys, "list")[1]  # nothing the user had is lost


def test_no_action_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 1 and "add" in err and "search" in err


def test_ctrl_c_stops_indexing_and_keeps_what_was_read(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(40):
        (folder / f"page{number:02}.md").write_text(f"# Page {number}\n\nword{number} here.\n")
    real_update = ProgressLine.update
    interrupted: list[bool] = []

    def slow_update(self: ProgressLine, progress: IndexProgress) -> None:
        if progress.files_done == 3 and not interrupted:
            interrupted.append(True)
            _thread.interrupt_main()  # what Ctrl-C does to the main thread
        time.sleep(0.02)
        real_update(self, progress)

    monkeypatch.setattr(ProgressLine, "update", slow_update)
    code, out, err = run(capsys, "add", "Many", str(folder))
    assert code == 130 and interrupted
    assert "Stopping after the current file" in err and "Traceback" not in err
    kept = int(out.split("Stopped indexing 'Many': ")[1].split(" added")[0])
    assert 3 <= kept < 40
    assert "`openchat docs reindex Many` reads the rest" in out

    monkeypatch.setattr(ProgressLine, "update", real_update)
    code, out, _ = run(capsys, "reindex", "Many")
    assert code == 0 and f"{40 - kept} added, 0 updated, 0 removed, {kept} unchanged" in out


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_rewrites_itself_on_a_terminal() -> None:
    stream = Tty()
    line = ProgressLine("Notes", stream)
    line.update(IndexProgress(1, 4, 2_000_000, 8_000_000, 1.0, Path("a.pdf")))
    line.update(IndexProgress(2, 4, 4_000_000, 8_000_000, 2.0))  # too soon: not drawn
    line.update(IndexProgress(4, 4, 8_000_000, 8_000_000, 4.0))  # the last one always is
    line.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "Indexing Notes: 1/4 files  2.0 MB / 8.0 MB  2.0 MB/s  0:03 left" in text
    assert "4/4 files" in text and "2/4" not in text


def test_progress_is_plain_lines_in_a_pipe() -> None:
    stream = io.StringIO()
    line = ProgressLine("Notes", stream)
    for done in range(5):
        line.update(IndexProgress(done, 5, done, 5, 1.0))
    line.close()
    assert stream.getvalue() == "Indexing Notes: 0/5 files  0 B / 5 B  -- B/s  --:-- left\n"


def test_docs_is_a_launcher_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["docs", "--help"])
    out = capsys.readouterr().out
    assert all(action in out for action in ("add", "list", "rm", "reindex", "search"))


def test_the_embedding_model_setting_adds_vectors(capsys: pytest.CaptureFixture[str],
                                                   folder: Path,
                                                   tiny_embedding_gguf: Path) -> None:
    from openchat_desktop.core.paths import app_paths
    from openchat_desktop.core.settings import Settings

    settings = Settings(app_paths().settings_file)
    settings.set("docs.embedding_model", str(tiny_embedding_gguf))
    settings.save()
    code, _, err = run(capsys, "add", "Notes", str(folder))
    assert code == 0, err
    listed = json.loads(run(capsys, "list", "--json")[1])
    assert tiny_embedding_gguf.name in listed[0]["embedding_model"]
    assert f"keywords + {listed[0]['embedding_model']}" in run(capsys, "list")[1]
    code, out, _ = run(capsys, "search", "Notes", "libquill", "--json")
    assert code == 0 and json.loads(out)[0]["path"].endswith("install.md")

    settings.set("docs.embedding_model", "missing-embedder.gguf")
    settings.save()
    code, _, err = run(capsys, "add", "Other", str(folder))
    assert code == 1 and "missing-embedder.gguf is not installed" in one_error_line(err)
    assert [c["name"] for c in json.loads(run(capsys, "list", "--json")[1])] == ["Notes"]
