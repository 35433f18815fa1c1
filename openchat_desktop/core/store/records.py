"""Records the conversation store hands out, and small value helpers its modules share."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from openchat_desktop.core.errors import StoreError

ROLES = ("system", "user", "assistant")
STATUSES = ("complete", "streaming", "interrupted", "error")
DEFAULT_TITLE = "New chat"
_MAX_TITLE = 200
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Message:
    """One node of a conversation's message tree.

    ``version_index`` (1-based) and ``version_count`` place the message among its siblings
    with the same parent and the same role: the "‹ 2/3 ›" of a regenerated reply.
    """

    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    status: str
    meta: dict[str, Any]
    created_at: float
    version_index: int = 1
    version_count: int = 1


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation as the sidebar lists it; ``message_count`` counts every stored version."""

    id: int
    title: str
    created_at: float
    updated_at: float
    pinned: bool
    message_count: int
    deleted_at: float | None = None


@dataclass(frozen=True)
class SearchHit:
    """A search result: a conversation title (``message_id`` None) or one of its messages."""

    conversation_id: int
    title: str
    snippet: str
    message_id: int | None


def clean_text(text: object, what: str = "text") -> str:
    """Return ``text`` in a form SQLite accepts: lone surrogates become U+FFFD."""
    if not isinstance(text, str):
        raise StoreError(f"The {what} must be text, not {type(text).__name__}.")
    # A lone surrogate (from a bad decode) cannot be encoded as UTF-8, so SQLite would refuse
    # the whole row; replacing just that character keeps the rest of the text.
    return _SURROGATE.sub("\ufffd", text)


def clean_title(title: object) -> str:
    """A title on one line, trimmed and bounded; blank becomes the default title."""
    text = " ".join(clean_text(title, "title").split())[:_MAX_TITLE]
    return text or DEFAULT_TITLE


def check_choice(value: object, allowed: tuple[str, ...], what: str) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise a one-line StoreError."""
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        raise StoreError(f"Unknown {what} {shown}; expected one of {', '.join(allowed)}.")
    return value


def to_json(value: Any, what: str) -> str:
    """Serialise an opaque dict or state value; objects such as paths are saved as text."""
    try:
        return json.dumps(value, default=str, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreError(f"The {what} could not be saved: {exc}") from exc


def json_dict(text: object) -> dict[str, Any]:
    """Decode a stored JSON object, or ``{}`` when the stored text is not one."""
    if text == "{}":  # most messages: no need to run the decoder
        return {}
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) else None
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
