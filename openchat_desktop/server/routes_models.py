"""``GET /v1/models``, ``GET /v1/models/{id}`` and ``GET /health``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from openchat_desktop.server.errors import ApiError
from openchat_desktop.server.responses_doc import READ_RESPONSES
from openchat_desktop.server.schemas import Health, ModelCard, ModelList
from openchat_desktop.server.state import ServerState

router = APIRouter()


@router.get("/v1/models", response_model=ModelList, responses=READ_RESPONSES)
async def list_models(request: Request) -> ModelList:
    state: ServerState = request.app.state.openchat
    # Listing stats files (a network share can be slow): off the event loop.
    offered = await run_in_threadpool(state.directory.offered, state.owner.loaded_path)
    return ModelList(data=[ModelCard(id=m.id, created=m.created, owned_by=m.owned_by)
                           for m in offered])


@router.get("/v1/models/{model_id:path}", response_model=ModelCard, responses=READ_RESPONSES)
async def get_model(model_id: str, request: Request) -> ModelCard:
    state: ServerState = request.app.state.openchat
    offered = await run_in_threadpool(state.directory.offered, state.owner.loaded_path)
    for model in offered:
        if model_id == model.id or model_id in model.aliases:
            return ModelCard(id=model.id, created=model.created, owned_by=model.owned_by)
    raise ApiError(404, f"The model '{model_id[:100]}' is not installed. Installed: "
                   f"{', '.join(m.id for m in offered[:20]) or 'none'}", param="model",
                   code="model_not_found")


@router.get("/health", response_model=Health)
async def health(request: Request) -> Health:
    state: ServerState = request.app.state.openchat
    loaded = state.owner.loaded_path
    return Health(model=loaded.stem if loaded is not None else None)
