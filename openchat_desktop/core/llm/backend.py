"""The chat-backend seam: what the model's owner (the worker thread, the terminal chat) needs
from whatever produces replies.

The local llama.cpp ``Engine`` implements it; a remote OpenAI-compatible client will too, so
nothing here may be specific to llama.cpp (no tokens, no KV-cache handling, no GPU layers).
Members are read-only properties so that a plain attribute, a property or a frozen dataclass
field all satisfy them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage


class DeviceDescription(Protocol):
    """Where replies are computed ("CUDA (all layers)", "CPU", a server's address)."""

    def describe(self) -> str: ...


class TemplateNotice(Protocol):
    """The chat template in use; ``warning`` is one human line when it had to be replaced."""

    @property
    def warning(self) -> str | None: ...


class ReplyStream(Protocol):
    """One streamed reply: iterate for text deltas; ``stats`` fills in as it goes and is final
    once iteration ends (its ``stop_reason`` is eos, length, stopped or error)."""

    def __iter__(self) -> Iterator[str]: ...

    @property
    def stats(self) -> GenerationStats: ...


class ChatBackend(Protocol):
    """A loaded model that turns a conversation into a streamed reply.

    Not thread-safe: one thread owns it; only ``stop_event`` may be set from another thread.
    ``stream`` raises an ``OpenChatError`` subclass for a request it refuses outright; a failure
    half-way ends the reply with stop reason "error" instead.
    """

    @property
    def model_name(self) -> str: ...

    @property
    def model_path(self) -> Path: ...

    @property
    def n_ctx(self) -> int:
        """The context length, in tokens, a conversation may use."""
        ...

    @property
    def cached_tokens(self) -> int:
        """Tokens of the context in use after the last reply."""
        ...

    @property
    def device(self) -> DeviceDescription: ...

    @property
    def template(self) -> TemplateNotice: ...

    def stream(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
               stop_event: threading.Event | None = None) -> ReplyStream: ...

    def close(self) -> None:
        """Free the model (or the connection) now."""
        ...


# Builds a backend for the given load settings; raises ``OpenChatError`` with one human line.
BackendFactory = Callable[[LoadSettings], ChatBackend]


class NoRoomNow(Exception):
    """A reply cannot run beside the others now (no free sequence, no memory for one); it
    waits until they end."""
