"""The error statuses each route can answer, for ``/openapi.json`` (clients and the fuzz test
read them: an answer the schema does not list is a bug)."""

from __future__ import annotations

from typing import Any

from openchat_desktop.server.schemas import ErrorResponse

_ERROR = {"model": ErrorResponse}
# One Server-Sent Event: its data is a chunk as JSON, or "[DONE]" at the end.
_SSE_EVENT = {"type": "object", "required": ["data"],
              "properties": {"data": {"type": "string"}, "event": {"type": "string"}}}
_COMMON: dict[int | str, dict[str, Any]] = {
    400: {**_ERROR, "description": "Malformed JSON, a wrong type or a value out of range"},
    401: {**_ERROR, "description": "Missing or wrong API key"},
    403: {**_ERROR, "description": "Foreign Host header or browser origin"},
    413: {**_ERROR, "description": "Request body too large"},
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_COMMON, 404: {**_ERROR, "description": "No such model"}}
GENERATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    200: {"description": "The answer; with stream true, Server-Sent Events ending in "
                         "data: [DONE]",
          "content": {"text/event-stream": {"schema": _SSE_EVENT}}},
    429: {**_ERROR, "description": "Too many requests waiting; see Retry-After"},
    500: {**_ERROR, "description": "The model failed (one line, no traceback)"},
    503: {**_ERROR, "description": "No model could be loaded, or no reply in time"},
}
