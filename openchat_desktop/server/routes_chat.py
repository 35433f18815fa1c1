"""``POST /v1/chat/completions`` and ``POST /v1/completions``, streamed or not."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request

from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.server import job_builder, sse
from openchat_desktop.server.errors import ApiError, error_body
from openchat_desktop.server.responses_doc import GENERATION_RESPONSES
from openchat_desktop.server.schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    Completion,
    CompletionRequest,
    Usage,
)
from openchat_desktop.server.state import ServerState
from openchat_desktop.server.streams import AsyncSink, Event, JobRun
from openchat_desktop.services.generation_queue import GenerationJob

router = APIRouter()
Chunk = Callable[[str, str | None], dict[str, Any]]


@router.post("/v1/chat/completions", response_model=ChatCompletion,
             responses=GENERATION_RESPONSES)
async def chat_completions(body: ChatCompletionRequest, request: Request) -> Any:
    state: ServerState = request.app.state.openchat
    path = job_builder.model_for(state, body.model)
    max_tokens = body.max_completion_tokens or body.max_tokens
    sink = AsyncSink(asyncio.get_running_loop())
    job = GenerationJob(
        "chat", sink, job_builder.sampling_for(body, state.sampling, max_tokens),
        messages=job_builder.chat_messages(body),
        options=job_builder.chat_options(body), model_path=path)
    return await _answer(request, state, JobRun(state.owner, job, sink,
                                                state.config.request_timeout_s),
                         body.stream, bool(body.stream_options and
                                           body.stream_options.include_usage), chat=True)


@router.post("/v1/completions", response_model=Completion, responses=GENERATION_RESPONSES)
async def completions(body: CompletionRequest, request: Request) -> Any:
    state: ServerState = request.app.state.openchat
    if isinstance(body.prompt, list) and len(body.prompt) != 1:
        raise ApiError(400, "prompt must be one string (or a list holding one string)",
                       param="prompt")
    prompt = body.prompt if isinstance(body.prompt, str) else body.prompt[0]
    path = job_builder.model_for(state, body.model)
    sink = AsyncSink(asyncio.get_running_loop())
    job = GenerationJob(
        "completion", sink, job_builder.sampling_for(body, state.sampling, body.max_tokens),
        prompt=prompt, options=job_builder.options_for(body), model_path=path)
    return await _answer(request, state, JobRun(state.owner, job, sink,
                                                state.config.request_timeout_s),
                         body.stream, bool(body.stream_options and
                                           body.stream_options.include_usage), chat=False)


async def _answer(request: Request, state: ServerState, run: JobRun, stream: bool,
                  include_usage: bool, chat: bool) -> Any:
    state.begin(run.job.stop)
    try:
        await run.start(request)
    except BaseException:  # refused, failed, or cancelled while it waited (server stopping)
        run.close()
        state.end(run.job.stop)
        raise
    ids = _Ids(chat, state.owner.loaded_path)
    if stream:
        ended = [False]

        def on_close() -> None:
            run.close()  # a hang-up ends here: the model stops at once
            if not ended[0]:
                ended[0] = True
                state.end(run.job.stop)

        return sse.EventStream(_stream(request, run, ids, include_usage), on_close)
    try:
        texts, final = await run.collect(request)
    finally:
        state.end(run.job.stop)
    stats = final.stats or GenerationStats()
    request.state.tokens = stats.prompt_tokens + stats.generated_tokens
    text = "".join(texts)
    reason = _finish_reason(stats, bool(run.tool_calls))
    usage = _usage(stats)
    if chat:
        return ChatCompletion(id=ids.id, created=ids.created, model=ids.model, usage=usage,
                              choices=[{"index": 0, "finish_reason": reason,  # type: ignore[list-item]
                                        "message": _message(text, run)}])
    return Completion(id=ids.id, created=ids.created, model=ids.model, usage=usage,
                      choices=[{"index": 0, "text": text,  # type: ignore[list-item]
                                "finish_reason": reason}])


def _message(text: str, run: JobRun) -> dict[str, Any]:
    """The assistant message of a whole answer: thinking apart, tool calls structured."""
    message: dict[str, Any] = {"role": "assistant",
                               "content": text if text or not run.tool_calls else None}
    thinking = "".join(run.thinking).strip()
    if thinking:
        message["reasoning_content"] = thinking
    if run.tool_calls:
        message["tool_calls"] = [_call(event) for event in run.tool_calls]
    return message


def _call(event: Event, index: int | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"id": event.call_id, "type": "function",
                            "function": {"name": event.name, "arguments": event.text}}
    return call if index is None else {"index": index, **call}


async def _stream(request: Request, run: JobRun, ids: _Ids,
                  include_usage: bool) -> AsyncIterator[bytes]:
    calls = 0
    try:
        if ids.chat:
            yield sse.event(ids.chunk({"role": "assistant", "content": ""}, None))
        async for event in _events_or_error(run):
            if isinstance(event, bytes):
                yield event
                break
            if event.kind == "delta":
                yield sse.event(ids.chunk({"content": event.text} if ids.chat
                                          else event.text, None))
                continue
            if event.kind == "thinking":
                yield sse.event(ids.chunk({"reasoning_content": event.text}, None))
                continue
            if event.kind == "tool_call":
                # Whole, in one delta: its first (and only) piece names the function.
                yield sse.event(ids.chunk({"tool_calls": [_call(event, calls)]}, None))
                calls += 1
                continue
            stats = event.stats or GenerationStats()
            request.state.tokens = stats.prompt_tokens + stats.generated_tokens
            yield sse.event(ids.chunk({} if ids.chat else "", _finish_reason(stats, calls > 0)))
            if include_usage:
                yield sse.event({**ids.head(), "choices": [],
                                 "usage": _usage(stats).model_dump()})
        yield sse.DONE
    finally:
        run.close()  # a hang-up cancels this generator here: the model stops at once


async def _events_or_error(run: JobRun) -> AsyncIterator[Event | bytes]:
    """The job's events; a failure half-way becomes one error event (the status was sent)."""
    try:
        async for event in run.events():
            yield event
    except ApiError as exc:
        yield sse.event(error_body(exc.status, exc.message, exc.param, exc.code))


class _Ids:
    """The id, time and model name every chunk of one answer repeats."""

    def __init__(self, chat: bool, loaded: Any) -> None:
        self.chat = chat
        self.id = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        self.created = int(time.time())
        name = getattr(loaded, "name", "") or "local"
        self.model = name[:-5] if name.lower().endswith(".gguf") else name

    def head(self) -> dict[str, Any]:
        kind = "chat.completion.chunk" if self.chat else "text_completion"
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def chunk(self, delta: Any, finish: str | None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
        choice["delta" if self.chat else "text"] = delta
        return {**self.head(), "choices": [choice]}


def _finish_reason(stats: GenerationStats, called: bool = False) -> str:
    # "stopped" here means the request's time ran out (a hang-up has nobody to tell).
    if stats.stop_reason in ("length", "stopped"):
        return "length"
    return "tool_calls" if called else "stop"


def _usage(stats: GenerationStats) -> Usage:
    return Usage(prompt_tokens=stats.prompt_tokens, completion_tokens=stats.generated_tokens,
                 total_tokens=stats.prompt_tokens + stats.generated_tokens)
