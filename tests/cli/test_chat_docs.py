"""``openchat chat --docs NAME``: each question goes out with the passages found for it, the
history keeps the plain question, and the numbered sources follow the reply. The prompt and
the printed sources are checked, never the model's wisdom."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from fakes import FakeEngine, FakeOptions

from openchat_desktop.cli.docs_lookup import DocsLookup, docs_library
from openchat_desktop.cli.terminal import DIM, UNDIM, ChatOptions, TerminalChat
from openchat_desktop.core.docs.context import INSTRUCTION
from openchat_desktop.core.docs.indexer import index_collection
from openchat_desktop.core.llm.backend import ReplyStream
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.settings import Settings
from openchat_desktop.launcher import main

FACT = "The Heron project stores its backups in the vault under Quillmoor bridge."
QUESTION = "Where does the Heron project keep its backups?"


@pytest.fixture
def heron(tmp_path: Path) -> Path:
    """A collection 'Heron' of two small files, indexed."""
    folder = tmp_path / "heron-docs"
    folder.mkdir()
    (folder / "backups.md").write_text(f"# Backups\n\n{FACT}\n", encoding="utf-8")
    (folder / "cats.txt").write_text("Cats sleep sixteen hours a day.\n", encoding="utf-8")
    library = docs_library()
    library.create("Heron", [folder])
    assert not index_collection(library, "Heron").skipped
    return folder


class Recording:
    """A chat backend that hands every call to ``backend`` and keeps the messages sent."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.prompts: list[list[ChatMessage]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def stream(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
               stop_event: threading.Event | None = None) -> ReplyStream:
        self.prompts.append(list(messages))
        return cast(ReplyStream, self.backend.stream(messages, sampling, stop_event))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def lookup(*names: str) -> DocsLookup:
    return DocsLookup.open(list(names), Settings())


@pytest.fixture
def real_engine(starter_model: Path) -> Iterator[Any]:
    from openchat_desktop.core.llm.engine import Engine

    engine = Engine(LoadSettings(model_path=starter_model, ctx_size=2048, n_gpu_layers=0,
                                 threads=2))
    yield engine
    engine.close()


@pytest.mark.model
def test_the_real_model_gets_the_passage_and_the_sources_are_printed(
        heron: Path, real_engine: Any) -> None:
    backend = Recording(real_engine)
    out = io.StringIO()
    sampling = SamplingSettings(temperature=0.0, max_tokens=12)
    chat = TerminalChat(cast(Any, backend), ChatOptions(sampling, "Be brief.", False,
                                                        docs=lookup("heron")),
                        stdin=io.StringIO(""), stdout=out)
    assert chat.ask(QUESTION)
    sent = backend.prompts[0]
    assert [m.role for m in sent] == ["system", "user"] and sent[0].content == "Be brief."
    assert sent[1].content.startswith(INSTRUCTION)
    assert "\n[1] Backups — line 1\n# Backups\n\n" + FACT in sent[1].content
    assert sent[1].content.endswith(f"Question: {QUESTION}")
    assert "Cats" not in sent[1].content  # only what matched
    text = out.getvalue()
    assert text.startswith("bot: ")
    assert f"\nSources:\n[1] Backups — line 1 — {heron / 'backups.md'}\n" in text
    assert "\x1b" not in text  # a pipe gets no dimming
    # The history keeps the plain question; the next turn carries only its own passages.
    assert chat.history[0] == ChatMessage("user", QUESTION)
    assert chat.ask("How long do cats sleep?")
    second = backend.prompts[1]
    assert second[1].content == QUESTION and FACT not in second[3].content
    assert "Cats sleep sixteen hours a day." in second[3].content
    assert f"[1] cats.txt — line 1 — {heron / 'cats.txt'}" in out.getvalue()


def fake_chat(out: io.StringIO, docs: Any) -> tuple[TerminalChat, FakeEngine]:
    engine = FakeEngine(LoadSettings(model_path=Path("m.gguf")),
                        FakeOptions(tokens=["It is ", "under the bridge [1]."]))
    chat = TerminalChat(cast(Any, engine), ChatOptions(SamplingSettings(), "", False,
                                                       docs=docs),
                        stdin=io.StringIO(""), stdout=out)
    return chat, engine


def test_sources_are_dimmed_on_a_terminal_and_a_miss_is_said(heron: Path) -> None:
    out = Terminal()
    chat, engine = fake_chat(out, lookup("Heron"))
    assert chat.ask(QUESTION)
    assert f"{DIM}Sources:\n[1] Backups — line 1 — {heron / 'backups.md'}{UNDIM}\n" \
        in out.getvalue()
    assert chat.ask("zzzz qqqq")
    assert engine.prompts[-1][-1].content == "zzzz qqqq"  # nothing found: sent as asked
    assert f"{DIM}Sources: no passage of the documents matched.{UNDIM}" in out.getvalue()


def test_a_failing_search_is_one_line_and_the_question_still_goes(heron: Path) -> None:
    from openchat_desktop.core.docs.types import DocsError

    class Broken:
        def prompt_for(self, question: str, n_ctx: int) -> Any:
            raise DocsError("The index of 'Heron' is damaged.")

    out = io.StringIO()
    chat, engine = fake_chat(out, Broken())
    assert chat.ask(QUESTION)
    assert "(the documents could not be searched: The index of 'Heron' is damaged.)\n" \
        in out.getvalue()
    assert engine.prompts[0][-1].content == QUESTION
    assert "Sources:" not in out.getvalue()


def test_the_budget_follows_the_context_share(heron: Path) -> None:
    settings = Settings()
    settings.set("docs.context_share", 0.1)
    small = DocsLookup.open(["Heron"], settings).prompt_for(QUESTION, n_ctx=1000)
    big = DocsLookup.open(["Heron"], Settings()).prompt_for(QUESTION, n_ctx=100_000)
    assert len(small.text) <= 800 and FACT in big.text  # 800: the floor of the budget
    assert [s.number for s in big.sources] == [1]


def test_an_unknown_collection_ends_before_the_model_loads(
        heron: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from openchat_desktop.core.llm import engine

    def must_not_load(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(engine, "Engine", must_not_load)
    code = main(["chat", "--docs", "Heron", "--docs", "Nope", "--prompt", "hi", "--no-stats"])
    err = capsys.readouterr().err
    assert code == 1 and err.strip() == (
        "openchat: No collection named 'Nope' (collections: Heron).")


def test_docs_flags_override_the_settings(heron: Path) -> None:
    from openchat_desktop.cli.chat import _open_docs
    from openchat_desktop.launcher import build_parser

    args = build_parser().parse_args(["chat", "--docs", "heron", "--docs", "HERON",
                                      "--docs-top-k", "2", "--docs-share", "0.5"])
    docs = _open_docs(args, Settings())
    assert docs is not None
    assert (docs.names, docs.top_k, docs.share) == (["Heron"], 2, 0.5)
    with pytest.raises(Exception, match=r"at most 0\.6"):
        _open_docs(build_parser().parse_args(["chat", "--docs", "Heron", "--docs-share",
                                              "0.9"]), Settings())


@pytest.mark.model
def test_openchat_chat_docs_in_a_real_process(heron: Path, openchat_home: Path,
                                              starter_model: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openchat_desktop", "chat", "--docs", "Heron", "--no-stats",
         "--temperature", "0", "-n", "8", "--threads", "2", "--ctx-size", "2048"],
        input=f"{QUESTION}\n", capture_output=True, text=True, timeout=240,
        env={**os.environ, "OPENCHAT_HOME": str(openchat_home)})
    assert result.returncode == 0, result.stderr
    assert f"Sources:\n[1] Backups — line 1 — {heron / 'backups.md'}\n" \
        in result.stdout
    assert "Traceback" not in result.stderr


def test_documents_never_go_to_a_remote_model(heron: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["chat", "--model", "remote:office/llama", "--docs", "Heron", "--prompt", "hi",
                 "--no-stats"])
    assert code == 1
    assert "--docs works with local models only" in capsys.readouterr().err


def test_a_collection_not_indexed_yet_is_named(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from openchat_desktop.cli.chat import _open_docs
    from openchat_desktop.launcher import build_parser

    (tmp_path / "empty").mkdir()
    docs_library().create("Later", [tmp_path / "empty"])
    docs = _open_docs(build_parser().parse_args(["chat", "--docs", "later"]), Settings())
    assert docs is not None and docs.prompt_for("anything", 2048).sources == []
    assert capsys.readouterr().err.strip() == (
        "openchat: warning: the collection 'Later' has no passages yet; index it with "
        "`openchat docs reindex Later`.")
