"""Server-Sent Events as OpenAI streams them: ``data: {json}`` blocks, then ``data: [DONE]``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import StreamingResponse

DONE = b"data: [DONE]\n\n"
# Proxies (nginx) buffer a response unless told not to; a stream must arrive token by token.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def event(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8") + b"\n\n"


class EventStream(StreamingResponse):
    """A ``text/event-stream`` response. Starlette listens for the client's disconnect while
    it streams and cancels the body; ``on_close`` runs however the response ends, even when
    the client left before the first byte (the body iterator's own ``finally`` would not)."""

    media_type = "text/event-stream"

    def __init__(self, content: Any, on_close: Callable[[], None]) -> None:
        super().__init__(content, headers=SSE_HEADERS)
        self._on_close = on_close

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._on_close()
