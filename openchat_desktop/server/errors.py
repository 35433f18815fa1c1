"""Every failure as OpenAI's error object: ``{"error": {"message", "type", "param", "code"}}``.

Malformed JSON and wrong types are 400 (FastAPI would say 422), unknown routes 404, and an
unexpected exception a 500 whose message is one line: the traceback goes to the log only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 405: "invalid_request_error", 408: "timeout_error",
          413: "invalid_request_error", 429: "rate_limit_error", 503: "server_busy_error"}


class ApiError(Exception):
    """Raised by a route to answer with an error object; ``headers`` e.g. Retry-After."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = dict(headers or {})


def error_body(status: int, message: str, param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(status: int, message: str, param: str | None = None,
                   code: str | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, param, code), status_code=status,
                        headers=dict(headers or {}))


def error_bytes(status: int, message: str, code: str | None = None) -> bytes:
    """The body of an error sent by the ASGI middleware, before FastAPI is involved."""
    return json.dumps(error_body(status, message, None, code)).encode("utf-8")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected_error)


async def _on_api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.message, exc.param, exc.code, exc.headers)


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    message, param = describe_validation_errors(exc.errors())
    return error_response(400, message, param, "invalid_request")


async def _on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    messages = {404: "Not found: see GET /v1/models, POST /v1/chat/completions, "
                     "POST /v1/completions, POST /v1/embeddings",
                405: "Method not allowed on this path"}
    detail = exc.detail if isinstance(exc.detail, str) else ""
    message = messages.get(exc.status_code, detail or "Request failed")
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _on_unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected server error: %s", type(exc).__name__, exc_info=exc)
    line = str(exc).splitlines()[0][:200] if str(exc) else ""
    return error_response(500, f"Internal error: {type(exc).__name__}" +
                          (f": {line}" if line else ""))


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, str | None]:
    """One human line for pydantic's errors, and the parameter at fault."""
    if not errors:
        return "Invalid request", None
    first = errors[0]
    # pydantic names the branch of a union it tried ("str", "list[TextPart]"): not a field.
    location = [str(part) for part in first.get("loc", ()) if part != "body"
                and not _is_type_tag(part)]
    if first.get("type") == "json_invalid":
        reason = first.get("ctx", {}).get("error", "not valid JSON")
        return f"The request body is not valid JSON: {reason}", None
    if first.get("type") == "missing" and not location:
        return "The request needs a JSON body", None
    if first.get("type") == "model_attributes_type" and not location:
        return "The request body must be a JSON object", None
    param = ".".join(location) or None
    message = str(first.get("msg", "invalid value"))
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return (f"{param}: {message}{more}" if param else f"{message}{more}"), param


def _is_type_tag(part: object) -> bool:
    return isinstance(part, str) and (part in {"str", "int", "float", "bool", "list", "dict",
                                               "none"} or "[" in part or "-" in part)
