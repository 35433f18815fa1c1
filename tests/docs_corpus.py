"""Real public text for local-documents tests and benchmarks, with questions whose answer is known.

Two corpora, neither written by us:

- the Python Language Reference topics CPython ships in every installation
  (``pydoc_data.topics``: topic -> text), one ``.txt`` file per topic: always present, so the
  recall test runs anywhere;
- the Python documentation in HTML from the distribution's ``python3-doc`` package, when it
  is installed: real HTML pages, hundreds of them, used by the benchmark.

Each question names the page(s) that answer it. Recall@k is the share of questions whose
answer page is among the first k distinct files of the ranked passages. Also here: folders of
generated text of any size, made from the corpus's own paragraphs shuffled with a seed, for
throughput and memory measurements.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openchat_desktop.core.docs.types import Passage

HERE = Path(__file__).resolve().parent
PYDOC_QUESTIONS = HERE / "core" / "docs" / "recall_questions.json"
HTML_QUESTIONS = HERE / "core" / "docs" / "recall_questions_html.json"
# Where Debian and Ubuntu's python3-doc package puts the HTML documentation.
HTML_CANDIDATES = (Path("/usr/share/doc/python3-doc/html"),)


@dataclass(frozen=True)
class Question:
    """A question and the pages (ids as ``page_id`` makes them) that answer it."""

    text: str
    answers: frozenset[str]


@dataclass
class Recall:
    """Recall of one question set: by distinct files and by raw passages, and the misses."""

    at_k: float
    passages_at_k: float
    questions: int
    misses: list[tuple[str, list[str]]] = field(default_factory=list)

    def describe_misses(self) -> str:
        return "\n".join(f"  {question!r}: got {', '.join(got) or 'nothing'}"
                         for question, got in self.misses)


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def pydoc_topics() -> dict[str, str]:
    from pydoc_data.topics import topics

    return dict(topics)


def write_pydoc_corpus(folder: Path) -> Path:
    """One ``<topic>.txt`` per Language Reference topic; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for topic, text in pydoc_topics().items():
        (folder / f"{topic}.txt").write_text(text, encoding="utf-8")
    return folder


def pydoc_questions() -> list[Question]:
    """The question set over the pydoc topics. A question's answers are its topic and every
    topic that repeats the answering passage (its ``evidence``), as ``compound`` repeats the
    sections of ``try`` and ``with``. Raises ValueError when a topic lacks its evidence."""
    topics = {name: _normalised(text) for name, text in pydoc_topics().items()}
    questions = []
    for item in json.loads(PYDOC_QUESTIONS.read_text(encoding="utf-8"))["questions"]:
        evidence = item["evidence"]
        phrases = [evidence] if isinstance(evidence, str) else evidence
        holders = {name for name, text in topics.items()
                   for phrase in phrases if _normalised(phrase) in text}
        if item["topic"] not in holders:
            raise ValueError(f"topic {item['topic']!r} lacks the evidence of "
                             f"{item['question']!r}")
        questions.append(Question(item["question"], frozenset(holders)))
    return questions


def python_doc_html() -> Path | None:
    """The python3-doc HTML folder when it is installed (its real path), else None."""
    for candidate in HTML_CANDIDATES:
        if (candidate / "index.html").is_file():
            return candidate.resolve()
    return None


def html_questions() -> list[Question]:
    items = json.loads(HTML_QUESTIONS.read_text(encoding="utf-8"))["questions"]
    return [Question(item["question"], frozenset(item["pages"])) for item in items]


def page_id(path: Path, root: Path) -> str:
    """``library/json`` for ``ROOT/library/json.html`` and ``ROOT/_sources/library/json.rst.txt``
    alike: a page and its source are the same answer."""
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    rel = rel.removeprefix("_sources/")
    for suffix in (".rst.txt", ".txt", ".html", ".md"):
        if rel.endswith(suffix):
            return rel[: -len(suffix)]
    return rel


def measure_recall(search: Callable[[str], Sequence[Passage]], questions: Sequence[Question],
                   page_of: Callable[[Path], str], k: int = 5) -> Recall:
    """Ask every question; a hit is an answer page among the first ``k`` distinct pages of the
    ranked passages (``passages_at_k``: among the first ``k`` passages themselves)."""
    by_file = by_passage = 0
    misses = []
    for question in questions:
        pages = [page_of(passage.path) for passage in search(question.text)]
        distinct = list(dict.fromkeys(pages))[:k]
        by_file += bool(question.answers.intersection(distinct))
        by_passage += bool(question.answers.intersection(pages[:k]))
        if not question.answers.intersection(distinct):
            misses.append((question.text, distinct))
    total = max(1, len(questions))
    return Recall(by_file / total, by_passage / total, len(questions), misses)


def corpus_paragraphs(folder: Path, limit_bytes: int = 64 * 2**20) -> list[str]:
    """The paragraphs (blank-line separated) of the text files under ``folder``, up to
    ``limit_bytes`` of them; HTML tags are left in, as they are in the files."""
    paragraphs: list[str] = []
    total = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in {".txt", ".html", ".md"}:
            continue
        for paragraph in path.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            if paragraph.strip():
                paragraphs.append(paragraph.strip())
                total += len(paragraph)
        if total >= limit_bytes:
            break
    return paragraphs


def _generated_texts(paragraphs: Sequence[str], size: int, rng: random.Random) -> Iterator[str]:
    written = 0
    while written < size:
        paragraph = rng.choice(paragraphs)
        # A number of its own in each paragraph, so that no two chunks are the same text.
        piece = f"{paragraph}\n(ref {rng.randrange(10**9)})\n\n"
        written += len(piece.encode("utf-8"))
        yield piece


def write_generated_folder(folder: Path, paragraphs: Sequence[str], total_bytes: int,
                           seed: int = 0, suffix: str = ".txt") -> int:
    """Files of shuffled corpus paragraphs adding up to about ``total_bytes``, sized like a real
    folder: mostly 10 KB-1 MB, one in fifty up to 20 MB. Returns the number of files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = count = 0
    while written < total_bytes:
        size = rng.randint(10_000, 1_000_000)
        if rng.random() < 0.02:
            size = rng.randint(2_000_000, 20_000_000)
        size = min(size, total_bytes - written) or 1
        sub = folder / f"part{count // 200:03d}"
        sub.mkdir(exist_ok=True)
        with open(sub / f"doc{count:05d}{suffix}", "w", encoding="utf-8") as out:
            for piece in _generated_texts(paragraphs, size, rng):
                out.write(piece)
        written += size
        count += 1
    return count
