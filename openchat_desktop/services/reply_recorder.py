"""Writing a streamed reply into the conversation store while it grows.

The text is written at most once a second while tokens arrive (and only when it changed),
then once more when the reply ends, so a crash loses at most the last second of a reply and
a fast model does not turn into a database write per token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from openchat_desktop.core.errors import StoreError
from openchat_desktop.core.store.conversations import ConversationStore

log = logging.getLogger(__name__)
SAVE_INTERVAL_MS = 1000


@dataclass
class StreamingReply:
    """The reply being generated: which request it answers and where its text goes."""

    gen_id: int
    message_id: int
    conversation_id: int
    model_name: str = ""
    text: str = ""
    dirty: bool = False
    stopping: bool = False
    thinking: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)  # cited documents

    def extra_meta(self) -> dict[str, Any]:
        """What the reply carries besides its answer text, for the message's meta: the
        thinking (``thinking``), the tool calls in OpenAI's shape (``tool_calls``) and the
        numbered document passages it was given (``sources``, ``Source.to_dict`` each)."""
        extra: dict[str, Any] = {}
        if self.thinking.strip():
            extra["thinking"] = self.thinking.strip()
        if self.tool_calls:
            extra["tool_calls"] = list(self.tool_calls)
        if self.sources:
            extra["sources"] = list(self.sources)
        return extra


class ReplyRecorder(QObject):
    """Holds the one reply being streamed and saves it.

    Signals:
        save_failed(str message): the store refused a write (e.g. the message was deleted).
    """

    save_failed = Signal(str)

    def __init__(self, store: ConversationStore, interval_ms: int = SAVE_INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.reply: StreamingReply | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_save_timer_timeout)

    def start(self, reply: StreamingReply) -> None:
        self.reply = reply
        self._timer.start()

    def owns(self, gen_id: int) -> bool:
        """True when ``gen_id`` is the reply being recorded (other ids are stale)."""
        return self.reply is not None and self.reply.gen_id == gen_id

    def append(self, text: str) -> None:
        if self.reply is not None and text:
            self.reply.text += text
            self.reply.dirty = True

    def append_thinking(self, text: str) -> None:
        if self.reply is not None and text:
            self.reply.thinking += text
            self.reply.dirty = True

    def add_tool_call(self, call: dict[str, Any]) -> None:
        if self.reply is not None:
            self.reply.tool_calls.append(call)
            self.reply.dirty = True

    def flush(self) -> None:
        """Write the text streamed so far, if it changed since the last write."""
        reply = self.reply
        if reply is not None and reply.dirty:
            reply.dirty = False
            # A stopped reply is already final for a reader; late tokens must not undo that.
            self._write(reply, "complete" if reply.stopping else "streaming", None)

    def mark_stopping(self) -> None:
        """Save now as a stopped reply; the worker's final figures may still follow."""
        reply = self.reply
        if reply is not None and not reply.stopping:
            reply.stopping = True
            reply.dirty = False
            self._write(reply, "complete", {"stop_reason": "stopped", "model": reply.model_name})

    def finish(self, status: str, meta: dict[str, Any]) -> StreamingReply | None:
        """Write the final text, status and details; the recorder is then idle."""
        reply, self.reply = self.reply, None
        self._timer.stop()
        if reply is not None:
            self._write(reply, status, {"model": reply.model_name, **meta})
        return reply

    def drop(self) -> None:
        """Forget the reply without writing (its message could not be written anyway)."""
        self.reply = None
        self._timer.stop()

    @Slot()
    def _on_save_timer_timeout(self) -> None:
        self.flush()

    def _write(self, reply: StreamingReply, status: str, meta: dict[str, Any] | None) -> None:
        extra = reply.extra_meta()
        if extra:
            # The store replaces a message's meta as a whole: the thinking goes every time.
            meta = {"model": reply.model_name, **(meta or {}), **extra}
        try:
            self._store.update_message(reply.message_id, reply.text, status, meta)
        except StoreError as exc:
            log.warning("reply %d not saved: %s", reply.message_id, exc)
            self.save_failed.emit(str(exc))
