"""``POST /v1/embeddings``: only when the loaded model is an embedding model (400 otherwise)."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

from fastapi import APIRouter, Request

from openchat_desktop.server import job_builder
from openchat_desktop.server.errors import ApiError
from openchat_desktop.server.responses_doc import GENERATION_RESPONSES
from openchat_desktop.server.schemas import (
    MAX_EMBEDDING_INPUTS,
    Embedding,
    EmbeddingList,
    EmbeddingRequest,
    EmbeddingUsage,
)
from openchat_desktop.server.state import ServerState
from openchat_desktop.server.streams import AsyncSink, JobRun
from openchat_desktop.services.generation_queue import GenerationJob

router = APIRouter()
_RESPONSES = {k: v for k, v in GENERATION_RESPONSES.items() if k != 200}


@router.post("/v1/embeddings", response_model=EmbeddingList, responses=_RESPONSES)
async def embeddings(body: EmbeddingRequest, request: Request) -> Any:
    state: ServerState = request.app.state.openchat
    texts = body.texts()
    if len(texts) > MAX_EMBEDDING_INPUTS:
        raise ApiError(400, f"input holds {len(texts)} texts; the limit is "
                       f"{MAX_EMBEDDING_INPUTS}", param="input")
    path = job_builder.model_for(state, body.model)
    sink = AsyncSink(asyncio.get_running_loop())
    run = JobRun(state.owner, GenerationJob("embedding", sink, inputs=texts, model_path=path),
                 sink, state.config.request_timeout_s)
    state.begin(run.job.stop)
    try:
        await run.start(request)
        _, final = await run.collect(request)
    finally:
        run.close()
        state.end(run.job.stop)
    vectors = final.vectors or []
    request.state.tokens = final.tokens
    loaded = state.owner.loaded_path
    return EmbeddingList(
        data=[Embedding(index=i, embedding=_encode(v, body.encoding_format))
              for i, v in enumerate(vectors)],
        model=loaded.stem if loaded is not None else "local",
        usage=EmbeddingUsage(prompt_tokens=final.tokens, total_tokens=final.tokens))


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":  # what the openai package asks for by default: float32, LE
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector
