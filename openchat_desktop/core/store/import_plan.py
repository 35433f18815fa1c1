"""Strict validation of an exported conversation before anything is written.

``parse_import`` turns untrusted data (a parsed JSON file) into an ``ImportPlan`` whose
messages are ordered parents first, or raises a one-line StoreError. It never touches the
database, so a rejected file leaves no trace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.records import (
    ROLES,
    STATUSES,
    check_choice,
    clean_text,
    clean_title,
    to_json,
)

FORMAT = "openchat-conversation"
FORMAT_VERSION = 1
_MESSAGE_KEYS = ("id", "parent_id", "role", "content", "created_at", "status", "meta",
                 "selected")


@dataclass(frozen=True)
class ImportMessage:
    """One validated message; ``key`` and ``parent`` are the ids used inside the file."""

    key: int
    parent: int | None
    role: str
    content: str
    created_at: float
    status: str
    meta_json: str
    selected: bool


@dataclass(frozen=True)
class ImportPlan:
    """A validated conversation, messages ordered so every parent precedes its children."""

    title: str
    created_at: float
    settings_json: str
    messages: list[ImportMessage]


def _fail(reason: str) -> StoreError:
    return StoreError(f"Cannot import this conversation: {reason}.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _timestamp(value: object, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _fail(f"{where} has no valid created_at time")
    try:
        stamp = float(value)
    except OverflowError:
        stamp = math.inf
    if not math.isfinite(stamp):
        raise _fail(f"{where} has an out-of-range created_at time")
    return stamp


def _check_header(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail("the file does not hold a JSON object")
    if data.get("format") != FORMAT:
        raise _fail("this is not an OpenChat conversation file")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail("the format version is missing")
    if version > FORMAT_VERSION:
        raise _fail("it was exported by a newer version of OpenChat; please update")
    if version != FORMAT_VERSION:
        raise _fail(f"format version {version} is not supported")
    for key, kind in (("title", str), ("settings", dict), ("messages", list)):
        if not isinstance(data.get(key), kind):
            raise _fail(f"'{key}' is missing or has the wrong type")
    return data


def _message(index: int, raw: object) -> ImportMessage:
    where = f"message {index + 1}"
    if not isinstance(raw, dict):
        raise _fail(f"{where} is not an object")
    missing = [key for key in _MESSAGE_KEYS if key not in raw]
    if missing:
        raise _fail(f"{where} lacks '{missing[0]}'")
    key, parent = raw["id"], raw["parent_id"]
    if not _is_int(key) or not (parent is None or _is_int(parent)):
        raise _fail(f"{where} has an invalid id or parent_id")
    if not isinstance(raw["meta"], dict) or not isinstance(raw["selected"], bool):
        raise _fail(f"{where} has an invalid meta or selected value")
    try:
        role = check_choice(raw["role"], ROLES, "role")
        status = check_choice(raw["status"], STATUSES, "status")
        content = clean_text(raw["content"], "content")
    except StoreError as exc:
        reason = str(exc).rstrip(".")
        raise _fail(f"{where}: {reason[:1].lower()}{reason[1:]}") from exc
    # A reply that was still streaming when exported can never finish here.
    status = "interrupted" if status == "streaming" else status
    return ImportMessage(key, parent, role, content, _timestamp(raw["created_at"], where),
                         status, to_json(raw["meta"], "message details"), raw["selected"])


def _parents_first(messages: list[ImportMessage]) -> list[ImportMessage]:
    """Order messages so each comes after its parent, keeping file order where possible."""
    by_key: dict[int, ImportMessage] = {}
    for message in messages:
        if message.key in by_key:
            raise _fail(f"message id {message.key} is used twice")
        by_key[message.key] = message
    ordered: list[ImportMessage] = []
    done: set[int] = set()
    for message in messages:
        chain: list[ImportMessage] = []
        in_chain: set[int] = set()
        node: ImportMessage | None = message
        while node is not None and node.key not in done:
            if node.key in in_chain:
                raise _fail(f"message {node.key} is its own ancestor")
            chain.append(node)
            in_chain.add(node.key)
            if node.parent is not None and node.parent not in by_key:
                raise _fail(f"message {node.key} replies to unknown message {node.parent}")
            node = by_key[node.parent] if node.parent is not None else None
        for item in reversed(chain):
            ordered.append(item)
            done.add(item.key)
    return ordered


def _check_selection(messages: list[ImportMessage]) -> None:
    chosen: set[int | None] = set()
    for message in messages:
        if message.selected:
            if message.parent in chosen:
                what = ("first message" if message.parent is None
                        else f"reply to message {message.parent}")
                raise _fail(f"more than one {what} is selected")
            chosen.add(message.parent)


def parse_import(data: object) -> ImportPlan:
    """Validate an exported conversation; raise a one-line StoreError on any problem."""
    header = _check_header(data)
    messages = [_message(i, raw) for i, raw in enumerate(header["messages"])]
    ordered = _parents_first(messages)
    _check_selection(ordered)
    title = clean_title(header["title"])
    return ImportPlan(title, _timestamp(header.get("created_at"), "the conversation"),
                      to_json(header["settings"], "conversation settings"), ordered)
