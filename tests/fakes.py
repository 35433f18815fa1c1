"""A scripted stand-in for ``core.llm.engine.Engine``: no model file, no llama.cpp, exact timing.

``LlmWorker(engine_factory=fake_engine_factory(tokens=[...], tokens_per_second=20))`` drives
the real worker thread with replies whose length, speed and failures the test chooses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openchat_desktop.core.errors import ModelFileError
from openchat_desktop.core.llm.backend import ChatBackend
from openchat_desktop.core.llm.reasoning import ReplyFormat
from openchat_desktop.core.llm.sampling import GenerationOptions, LoadSettings, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage

DEFAULT_TOKENS = ("Hello", ",", " I", " am", " a", " fake", " model", ".")
Script = Sequence[str] | Callable[[list[ChatMessage]], Sequence[str]]


@dataclass(frozen=True)
class FakeDevice:
    name: str = "CPU"

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class FakeTemplate:
    warning: str | None = None
    source: str = ""


@dataclass
class FakeOptions:
    """How fake engines behave. ``fail_after`` raises ``fail_with`` after that many tokens;
    ``load_error`` makes the constructor raise; delays are honoured but cut short by stop.
    ``reply_format`` is what the real engine would read from a thinking template ("think",
    "think-open", "harmony"): scripted text then goes through the real splitter."""

    tokens: Script = DEFAULT_TOKENS
    tokens_per_second: float | None = None
    prompt_seconds: float = 0.0
    fail_after: int | None = None
    fail_with: BaseException = field(default_factory=lambda: RuntimeError("fake decode failed"))
    load_error: BaseException | None = None
    load_seconds: float = 0.0
    trimmed_messages: int = 0
    template_warning: str | None = None
    n_ctx: int = 2048
    reply_format: ReplyFormat = "plain"
    template_source: str = ""


class FakeGeneration:
    """Iterate for text deltas; ``stats`` and ``text`` as the real ``Generation`` has them."""

    def __init__(self, tokens: Sequence[str], options: FakeOptions, prompt_tokens: int,
                 stop: threading.Event) -> None:
        self._tokens, self._options, self._stop = list(tokens), options, stop
        self.stats = GenerationStats(prompt_tokens=prompt_tokens, prompt_evaluated=prompt_tokens,
                                     trimmed_messages=options.trimmed_messages)
        self.text = ""
        self.reply_format: ReplyFormat = options.reply_format

    def __iter__(self) -> Iterator[str]:
        options, stats = self._options, self.stats
        stopped = (self._stop.wait(options.prompt_seconds) if options.prompt_seconds
                   else self._stop.is_set())
        if stopped:
            stats.stop_reason = "stopped"
            return
        delay = 1.0 / options.tokens_per_second if options.tokens_per_second else 0.0
        for index, token in enumerate(self._tokens):
            if options.fail_after is not None and index >= options.fail_after:
                raise options.fail_with
            if (delay and self._stop.wait(delay)) or self._stop.is_set():
                stats.stop_reason = "stopped"
                return
            stats.generated_tokens += 1
            stats.generation_seconds += delay
            self.text += token
            yield token
        stats.stop_reason = "eos"


class FakeEngine:
    """Engine look-alike: same constructor, attributes and ``stream``; records every prompt."""

    def __init__(self, settings: LoadSettings, options: FakeOptions | None = None) -> None:
        self.options = options or FakeOptions()
        if self.options.load_seconds:
            threading.Event().wait(self.options.load_seconds)
        if self.options.load_error is not None:
            raise self.options.load_error
        self.settings = settings
        self.model_path = Path(settings.model_path)
        self.model_name = self.model_path.stem
        self.n_ctx = settings.ctx_size or self.options.n_ctx
        self.device = FakeDevice()
        self.template = FakeTemplate(self.options.template_warning,
                                     self.options.template_source)
        self.prompts: list[list[ChatMessage]] = []
        self.sampling: list[SamplingSettings] = []
        self.options_seen: list[GenerationOptions | None] = []
        self.closed = False
        self._cached = 0

    @property
    def cached_tokens(self) -> int:
        return self._cached

    def stream(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
               stop_event: threading.Event | None = None,
               options: GenerationOptions | None = None) -> FakeGeneration:
        self.prompts.append(list(messages))
        self.sampling.append(sampling)
        self.options_seen.append(options)
        script = self.options.tokens
        tokens = script(list(messages)) if callable(script) else script
        prompt = sum(len(m.content.split()) + 4 for m in messages)
        self._cached = prompt + len(tokens)
        return FakeGeneration(tokens, self.options, prompt, stop_event or threading.Event())

    def close(self) -> None:
        self.closed = True


class FakeEngineFactory:
    """Callable the worker uses instead of ``Engine``; keeps every engine it built."""

    def __init__(self, options: FakeOptions) -> None:
        self.options = options
        self.engines: list[FakeEngine] = []
        self.loads: list[LoadSettings] = []

    def __call__(self, settings: LoadSettings) -> ChatBackend:
        self.loads.append(settings)
        engine = FakeEngine(settings, self.options)
        self.engines.append(engine)
        return engine

    @property
    def engine(self) -> FakeEngine:
        """The most recently built engine."""
        return self.engines[-1]


def fake_engine_factory(**options: Any) -> FakeEngineFactory:
    """A factory of fake engines; keyword arguments are ``FakeOptions`` fields."""
    return FakeEngineFactory(FakeOptions(**options))


def missing_model_error(path: str = "missing.gguf") -> ModelFileError:
    """The error a real engine raises for a file that is not there."""
    return ModelFileError(f"The model file {path} does not exist.")


class RecordingSink:
    """Collects one queued job's results (called on the model thread)."""

    def __init__(self) -> None:
        self.text = ""
        self.stats: GenerationStats | None = None
        self.error = ""
        self.done = threading.Event()

    def started(self) -> None:
        pass

    def delta(self, text: str, tokens: int) -> None:
        self.text += text

    def finished(self, stats: GenerationStats) -> None:
        self.stats = stats
        self.done.set()

    def embedded(self, vectors: list[list[float]], tokens: int) -> None:
        self.done.set()

    def failed(self, message: str, kind: str) -> None:
        self.error = message
        self.done.set()
