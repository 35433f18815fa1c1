"""``RemoteClient``: a model on an OpenAI-compatible server, behind the ``ChatBackend`` seam.

The conversation goes out as ``messages`` (the chat template is the server's business) in one
streaming ``POST /chat/completions``; the reply comes back as server-sent events parsed line
by line. Time to first token and tokens/s are measured here; token counts come from the
server's ``usage`` when it sends one (asked for with ``stream_options.include_usage``), else
one event is counted as one token, which is what llama.cpp, vLLM and Ollama send.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from openchat_desktop.core.llm.sampling import GenerationOptions, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.remote import errors, transport
from openchat_desktop.core.remote.connections import Connection
from openchat_desktop.core.remote.model_ref import DEVICE_PREFIX, RemoteRef
from openchat_desktop.core.remote.sse import DONE, SSEParser
from openchat_desktop.core.settings_schema import SEED_RANDOM


@dataclass(frozen=True)
class RemoteDevice:
    """Where replies are computed: ``describe()`` is ``Remote: host:port``."""

    host: str

    def describe(self) -> str:
        return f"{DEVICE_PREFIX}{self.host}"


@dataclass(frozen=True)
class ServerTemplate:
    """The server applies its own chat template; nothing was replaced here."""

    warning: str | None = None


class RemoteClient:
    """One model on one connection (see ``core.llm.backend.ChatBackend``). Not thread-safe:
    one thread streams; only the stop ``Event`` is set from elsewhere."""

    def __init__(self, connection: Connection, model: str, key: str = "",
                 n_ctx: int = 0, client: httpx.Client | None = None) -> None:
        self.connection = connection
        self.ref = RemoteRef(connection.name, model)
        self.host = errors.host_of(connection.base_url)
        self._http = client or transport.http_client(connection, key)
        self._n_ctx = n_ctx or transport.DEFAULT_N_CTX
        self._cached = 0
        self.device = RemoteDevice(self.host)
        self.template = ServerTemplate()

    @property
    def model_name(self) -> str:
        return self.ref.label

    @property
    def model_path(self) -> Path:
        return self.ref.path

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    @property
    def cached_tokens(self) -> int:
        return self._cached

    def stream(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
               stop_event: threading.Event | None = None,
               options: GenerationOptions | None = None) -> RemoteStream:
        """Send the request; raises RemoteError when the server refuses it outright."""
        body = self.request_body(messages, sampling, options)
        started = time.perf_counter()
        response = transport.open_stream(self._http, body, self.host, self.ref.model)
        return RemoteStream(self, response, stop_event or threading.Event(), started)

    def request_body(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
                     options: GenerationOptions | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.ref.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True, "stream_options": {"include_usage": True},
            "max_tokens": sampling.max_tokens, "temperature": sampling.temperature,
            "top_p": sampling.top_p}
        if sampling.seed != SEED_RANDOM:
            body["seed"] = sampling.seed
        if self.connection.sampling_extras:
            # llama.cpp and LM Studio say repeat_penalty, vLLM repetition_penalty; each
            # ignores the other's name.
            body.update(top_k=sampling.top_k, min_p=sampling.min_p,
                        repeat_penalty=sampling.repeat_penalty,
                        repetition_penalty=sampling.repeat_penalty)
        if options is not None:
            if options.stop:
                body["stop"] = list(options.stop)
            if options.presence_penalty:
                body["presence_penalty"] = options.presence_penalty
            if options.frequency_penalty:
                body["frequency_penalty"] = options.frequency_penalty
        return body

    def use_context(self, n_ctx: int) -> None:
        """The context length the server reported (0: it did not say; keep the default)."""
        if n_ctx > 0:
            self._n_ctx = n_ctx

    def models(self) -> list[transport.RemoteModel]:
        return transport.list_models(self._http, self.host)

    def close(self) -> None:
        self._http.close()


class RemoteStream:
    """One streamed reply (see ``core.llm.backend.ReplyStream``): iterate for the answer's
    text deltas. ``reasoning`` collects ``reasoning_content`` deltas apart from the answer;
    ``text`` is the answer so far. A failure part-way ends the reply with stop reason
    "error" and the one line in ``stats.error``; what came before it is kept."""

    def __init__(self, owner: RemoteClient, response: httpx.Response, stop: threading.Event,
                 started: float) -> None:
        self._owner = owner
        self._response = response
        self._stop = stop
        self._started = started
        self.stats = GenerationStats()
        self._parts: list[str] = []
        self._reasoning: list[str] = []
        self._first = 0.0
        self._last = 0.0
        self._counted = 0
        self._usage_tokens = 0

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def __iter__(self) -> Iterator[str]:
        watch = transport.StopWatch(self._response, self._stop)
        try:
            for delta in self._events():
                self._parts.append(delta)
                yield delta
        except errors.RemoteError as exc:
            self._end_with_error(exc)
        except httpx.HTTPError as exc:
            self._end_with_error(errors.from_exception(exc, self._owner.host))
        finally:
            watch.done()
            self._response.close()
            self._finish_stats()

    def _end_with_error(self, exc: errors.RemoteError) -> None:
        if self._stop.is_set():  # our own Stop cut the socket: that is no failure
            self.stats.stop_reason = "stopped"
            return
        self.stats.stop_reason = "error"
        self.stats.error = str(exc)

    def _events(self) -> Iterator[str]:
        parser = SSEParser()
        host = self._owner.host
        for line in self._response.iter_lines():
            if self._stop.is_set():
                self.stats.stop_reason = "stopped"
                return
            event = parser.feed(line)
            if event is None:
                continue
            if event.data.strip() == DONE:
                return
            yield from self._chunk(event.data, host)
        if self._stop.is_set():
            self.stats.stop_reason = "stopped"
            return
        tail = parser.flush()  # a server that closed right after its last data line
        if tail is not None and tail.data.strip() == DONE:
            return
        if tail is not None:
            yield from self._chunk(tail.data, host)
        raise errors.stream_cut(host)

    def _chunk(self, data: str, host: str) -> Iterator[str]:
        try:
            chunk = json.loads(data)
        except ValueError:
            raise errors.malformed(host) from None
        if not isinstance(chunk, dict):
            raise errors.malformed(host)
        if "error" in chunk:
            reason = errors.server_message(data.encode("utf-8")) or "no reason given"
            raise errors.RemoteError(f"{host} failed part-way through the reply: {reason}.",
                                     "server")
        self._usage(chunk.get("usage"))
        for choice in chunk.get("choices") or []:
            yield from self._choice(choice if isinstance(choice, dict) else {})

    def _choice(self, choice: dict[str, Any]) -> Iterator[str]:
        delta = choice.get("delta") or choice.get("message") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        reasoning = (delta.get("reasoning_content") or delta.get("reasoning")
                     if isinstance(delta, dict) else None)
        if isinstance(reasoning, str) and reasoning:
            self._tick()
            self._reasoning.append(reasoning)
        if isinstance(content, str) and content:
            self._tick()
            yield content
        elif isinstance(reasoning, str) and reasoning:
            yield ""  # wakes the reader, which takes the news from ``reasoning`` at once
        reason = choice.get("finish_reason")
        if reason:
            self.stats.stop_reason = "length" if reason == "length" else "eos"

    def _tick(self) -> None:
        now = time.perf_counter()
        if not self._counted:
            self._first = now
            self.stats.ttft_seconds = now - self._started
        self._last = now
        self._counted += 1
        self.stats.generated_tokens = self._counted  # live, for the progress and speed shown

    def _usage(self, usage: Any) -> None:
        if not isinstance(usage, dict):
            return
        prompt = usage.get("prompt_tokens")
        if isinstance(prompt, int):
            details = usage.get("prompt_tokens_details") or {}
            cached = details.get("cached_tokens", 0) if isinstance(details, dict) else 0
            self.stats.prompt_tokens = prompt
            self.stats.prompt_evaluated = max(0, prompt - (cached or 0))
        completion = usage.get("completion_tokens")
        if isinstance(completion, int):
            self._usage_tokens = completion

    def _finish_stats(self) -> None:
        stats = self.stats
        stats.generated_tokens = self._usage_tokens or self._counted
        stats.prompt_seconds = stats.ttft_seconds
        stats.generation_seconds = max(0.0, self._last - self._first)
        self._owner._cached = stats.prompt_tokens + stats.generated_tokens
