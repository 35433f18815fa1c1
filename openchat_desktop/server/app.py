"""The ASGI application: FastAPI routes behind the ``Guard`` middleware."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from openchat_desktop import __version__
from openchat_desktop.server import routes_chat, routes_embeddings, routes_models
from openchat_desktop.server.errors import install_error_handlers
from openchat_desktop.server.security import Guard
from openchat_desktop.server.state import ServerState


def create_app(state: ServerState) -> Any:
    """The whole server as one ASGI callable (the guard wrapped around FastAPI)."""
    api = FastAPI(title="OpenChat local API", version=__version__,
                  description="OpenAI-compatible API over the model OpenChat has loaded.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    api.state.openchat = state
    install_error_handlers(api)
    for module in (routes_models, routes_chat, routes_embeddings):
        api.include_router(module.router)
    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]
    return Guard(api, state.config)


def _openapi(api: FastAPI) -> dict[str, Any]:
    """FastAPI's schema without its 422 answers: validation errors are 400 here."""
    if api.openapi_schema is None:
        schema = get_openapi(title=api.title, version=api.version,
                             description=api.description, routes=api.routes)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        api.openapi_schema = schema
    return api.openapi_schema
