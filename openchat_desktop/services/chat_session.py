"""The conversation logic between the store and the model worker.

``ChatSession`` turns user actions (send, stop, regenerate, edit, pick a version) into store
writes and worker requests, and streamed tokens back into store writes and view signals.
Every request carries the worker's generation id; tokens of any other id belong to a reply
the session has moved on from and are dropped, so they can never land in the wrong message.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from openchat_desktop.core.docs.context import DocsPrompt, with_docs
from openchat_desktop.core.errors import OpenChatError, StoreError
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.llm.tool_calls import ToolCall
from openchat_desktop.core.store.conversations import ConversationStore, Message
from openchat_desktop.core.store.records import DEFAULT_TITLE
from openchat_desktop.services import conversation_settings as conv_settings
from openchat_desktop.services.chat_docs import ChatDocs, context_tokens, sources_to_meta
from openchat_desktop.services.conversation_settings import SYSTEM_PROMPT_KEY
from openchat_desktop.services.conversation_state import ConversationState
from openchat_desktop.services.conversations import ConversationService
from openchat_desktop.services.llm_worker import LlmWorker
from openchat_desktop.services.reply_recorder import ReplyRecorder, StreamingReply
from openchat_desktop.services.settings_bridge import SettingsBridge

if TYPE_CHECKING:
    from openchat_desktop.services.docs import DocsService

LAST_CONVERSATION_KEY = "chat.last_conversation"
SEARCHING = -1  # the generation id of a reply whose documents are still being searched


class ChatSession(QObject):
    """One open conversation and the reply being generated for it.

    It holds a ``ConversationState`` (which conversation is open, its settings, its model) and
    changes the conversation list through ``conversations``, a ``ConversationService`` whose
    ``changed`` signal is the one "conversations changed" signal of the app.

    Signals:
        conversation_opened(int conv_id): another conversation is now the current one.
        path_changed(): the active path changed; the view reloads ``messages()``.
        conversation_settings_changed(): the current conversation's own settings changed.
        reply_started(int message_id): a reply (already in the path, empty) starts streaming.
        reply_sources(int message_id, object sources): the numbered ``Source`` list that
            reply was given from the attached documents (saved in its ``meta["sources"]``);
            sent before its first token, only when there are sources.
        reply_delta(int message_id, str text): more answer text of that reply.
        reply_thinking(int message_id, str text): more of the reply's thinking (it comes
            before the answer; see ``core/llm/reasoning.py``).
        reply_tool_call(int message_id, dict call): the reply calls a tool (OpenAI's shape:
            ``{"id", "type": "function", "function": {"name", "arguments"}}``).
        reply_progress(int message_id, int tokens): tokens generated so far (with each delta).
        reply_finished(int message_id, object stats): the reply ended (``GenerationStats``;
            ``stop_reason`` "stopped" when the user stopped it).
        reply_failed(int message_id, str message): the reply failed; its text so far is kept.
        busy_changed(bool): a reply started or ended.
        notice(str): a one-line remark for the user (context trimmed, template fallback,
            an attached collection gone).
    """

    conversation_opened = Signal(int)
    path_changed = Signal()
    conversation_settings_changed = Signal()
    reply_started = Signal(int)
    reply_sources = Signal(int, object)
    reply_delta = Signal(int, str)
    reply_thinking = Signal(int, str)
    reply_tool_call = Signal(int, object)
    reply_progress = Signal(int, int)
    reply_finished = Signal(int, object)
    reply_failed = Signal(int, str)
    busy_changed = Signal(bool)
    notice = Signal(str)

    def __init__(self, store: ConversationStore, worker: LlmWorker, settings: SettingsBridge,
                 conversations: ConversationService | None = None,
                 parent: QObject | None = None, *, docs: DocsService | None = None) -> None:
        super().__init__(parent)
        self._store, self._worker, self._settings = store, worker, settings
        self.conversations = conversations or ConversationService(store, parent=self)
        self._state = ConversationState(store, worker, settings, parent=self)
        self._state.notice.connect(self.notice)
        self._state.settings_changed.connect(self.conversation_settings_changed)
        self._docs = ChatDocs(docs, self._state, parent=self)
        self._docs.notice.connect(self.notice)
        self.conversations.deleting.connect(self._on_conversations_deleting)
        self._announced: list[Message] | None = None  # the path being announced, just read
        self._recorder = ReplyRecorder(store, parent=self)
        self._recorder.save_failed.connect(self._on_recorder_save_failed)
        worker.token.connect(self._on_worker_token)
        worker.thinking.connect(self._on_worker_thinking)
        worker.tool_call.connect(self._on_worker_tool_call)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        # Replies still 'streaming' in the file were cut off when the app last ended.
        store.mark_interrupted_streams()

    @property
    def is_busy(self) -> bool:
        return self._recorder.reply is not None

    @property
    def current_id(self) -> int | None:
        return self._state.current_id

    # -- the open conversation's settings and model: see ConversationState ----------------
    def conversation_sampling(self) -> SamplingSettings:
        return self._state.sampling()

    def conversation_load_settings(self) -> LoadSettings:
        return self._state.load_settings()

    def conversation_overrides(self) -> dict[str, Any]:
        return self._state.overrides()

    def set_conversation_setting(self, key: str, value: Any) -> None:
        self._state.set_override(key, value)

    def reset_conversation_settings(self) -> None:
        self._state.reset_overrides()

    def ensure_model_loaded(self) -> bool:
        return self._state.ensure_model_loaded()

    # -- attached documents: see ChatDocs ---------------------------------------------------
    def attached_collections(self) -> list[str]:
        """The collections the open conversation answers from (its own settings)."""
        return self._docs.attached(self._state.overrides())

    def set_attached_collections(self, names: Sequence[str]) -> None:
        """Attach the open conversation (a new one when none is open) to ``names``;
        ``conversation_settings_changed`` follows."""
        if self._state.current_id is None:
            self.new_conversation()
        self._docs.set_attached(names)

    def attach_files(self, paths: Sequence[Path | str]) -> None:
        """Index dropped files into the open conversation's own collection and attach it.
        Raises DocsError with one line (a missing file)."""
        current = self._state.current_id
        self._docs.attach_files(current if current is not None else self.new_conversation(),
                                paths)

    # -- conversations ---------------------------------------------------------------------
    def open(self, conv_id: int) -> None:
        """Make ``conv_id`` current; a reply streaming elsewhere is stopped and saved."""
        self._store.get_conversation(conv_id)
        if conv_id != self._state.current_id:
            self._abandon_reply()
        self._state.current_id = conv_id
        self._store.set_state(LAST_CONVERSATION_KEY, conv_id)
        self.conversation_opened.emit(conv_id)
        self.path_changed.emit()
        if self._state.model_requested:
            self.ensure_model_loaded()

    def open_last(self) -> int | None:
        """Open the conversation that was current last time, if it still exists."""
        conv_id = self._store.get_state(LAST_CONVERSATION_KEY)
        alive = {summary.id for summary in self._store.list_conversations()}
        if conv_id not in alive:
            return None
        self.open(conv_id)
        return int(conv_id)

    def new_conversation(self) -> int:
        """Create and open an empty conversation; it keeps today's default system prompt."""
        prompt = self._settings.get(SYSTEM_PROMPT_KEY)
        conv_id = self.conversations.create({SYSTEM_PROMPT_KEY: prompt} if prompt else {})
        self.open(conv_id)
        return conv_id

    def delete_conversation(self, conv_id: int) -> None:
        """Move a conversation to the bin (``conversations.delete``), stopping its reply."""
        self.conversations.delete(conv_id)

    @Slot(int)
    def _on_conversations_deleting(self, conv_id: int) -> None:
        self._worker.forget_conversation(conv_id)  # its kept KV states go with it
        if self._recorder.reply and self._recorder.reply.conversation_id == conv_id:
            self._abandon_reply()
        if conv_id == self._state.current_id:
            self._state.current_id = None
            self.path_changed.emit()

    # -- messages --------------------------------------------------------------------------
    def messages(self) -> list[Message]:
        """The active path of the current conversation, first to last."""
        conv_id = self._state.current_id
        if conv_id is None:
            return []
        if self._announced is not None:
            return list(self._announced)
        return self._store.active_path(conv_id)

    def message(self, message_id: int) -> Message | None:
        """A message of the open conversation as stored now; None when it is not there."""
        try:
            return self._message(message_id)
        except StoreError:
            return None

    def versions(self, message_id: int) -> list[Message]:
        """Every version of a message of the open conversation (same parent), oldest first."""
        return self._store.siblings(self._message(message_id).id)

    def _message(self, message_id: int) -> Message:
        """A message of the current conversation, whichever version is shown."""
        found = next((m for m in self._store.siblings(message_id) if m.id == message_id), None)
        if found is None or found.conversation_id != self._state.current_id:
            raise StoreError("That message is not in the open conversation.")
        return found

    def _announce_path(self, path: list[Message]) -> None:
        """Emit path_changed; listeners asking for ``messages()`` meanwhile get ``path``,
        which was just read (a long conversation takes milliseconds to read)."""
        self._announced = path
        try:
            self.path_changed.emit()
        finally:
            self._announced = None

    def send(self, text: str) -> None:
        """Add ``text`` as a user message under the current leaf and start a reply."""
        if not text.strip():
            return
        self._abandon_reply()
        current = self._state.current_id
        conv_id = current if current is not None else self.new_conversation()
        path = self._store.active_path(conv_id)
        user = self._store.add_message(conv_id, path[-1].id if path else None, "user", text)
        if not any(m.role == "user" for m in path):
            self._title_from(conv_id, text)
        self._start_reply(conv_id, user.id)

    def stop(self) -> None:
        """Stop the reply; its text so far is saved now as a complete, stopped reply."""
        reply = self._recorder.reply
        if reply is not None and reply.gen_id == SEARCHING:  # nothing generates yet
            self._recorder.finish("complete", {"stop_reason": "stopped"})
            self.reply_finished.emit(reply.message_id, GenerationStats(stop_reason="stopped"))
            self.busy_changed.emit(False)
        elif reply is not None:
            self._worker.stop()
            self._recorder.mark_stopping()

    def regenerate(self, message_id: int | None = None) -> None:
        """Answer again: a new version beside ``message_id`` (default: the last reply).
        Given a user message, a new reply to it. Old versions are kept."""
        conv_id = self._state.require_current()
        path = self._store.active_path(conv_id)
        target = self._message(message_id) if message_id is not None else (
            path[-1] if path else None)
        if target is None:
            return
        parent = target.id if target.role == "user" else target.parent_id
        if parent is None:
            return
        self._abandon_reply()
        self._start_reply(conv_id, parent)

    def edit_and_resend(self, user_message_id: int, new_text: str) -> None:
        """Put ``new_text`` beside a user message as a new branch and answer it."""
        conv_id = self._state.require_current()
        if not new_text.strip():
            return
        original = self._message(user_message_id)
        if original.role != "user":
            raise StoreError("Only your own messages can be edited.")
        self._abandon_reply()
        edited = self._store.add_message(conv_id, original.parent_id, "user", new_text)
        self._start_reply(conv_id, edited.id)

    def select_version(self, message_id: int) -> None:
        """Show this version (or branch) of a message; a streaming reply is stopped first."""
        self._abandon_reply()
        self._store.select_message(self._message(message_id).id)
        self.path_changed.emit()

    def delete_message(self, message_id: int) -> None:
        """Delete a message and its replies (a streaming reply is stopped first); the next
        version takes its place."""
        conv_id = self._message(message_id).conversation_id
        self._abandon_reply()
        self._store.delete_message(message_id)
        self._worker.forget_conversation(conv_id, for_good=False)  # states held its text
        self.path_changed.emit()
        self.conversations.notify_changed()

    def flush(self) -> None:
        """Write the streamed text now (the app calls it before quitting)."""
        self._recorder.flush()

    def shutdown(self) -> None:
        """Stop the reply and save it as stopped (at quit, before the worker shuts down)."""
        self._abandon_reply()

    # -- replies ------------------------------------------------------------------------------
    def _start_reply(self, conv_id: int, parent_id: int) -> None:
        placeholder = self._store.add_message(conv_id, parent_id, "assistant", "",
                                              status="streaming")
        path = self._store.active_path(conv_id)
        self._announce_path(path)
        self.conversations.notify_changed()
        values = self._state.values(conv_id)
        try:
            load = conv_settings.load_settings_from(values)
            self._state.request_model(load)
        except OpenChatError as exc:
            self._fail_at_once(placeholder.id, str(exc))
            return
        prompt = conv_settings.prompt_messages([m for m in path if m.id != placeholder.id],
                                               values[SYSTEM_PROMPT_KEY])
        reply = StreamingReply(SEARCHING, placeholder.id, conv_id, self._state.model_name())
        question = prompt[-1].content if prompt and prompt[-1].role == "user" else ""
        # With documents attached the reply shows as streaming while they are searched.
        if not (question and self._docs.retrieve(
                question, values, context_tokens(self._worker.status, load),
                lambda docs: self._on_docs_ready(reply, prompt, values, docs))):
            reply.gen_id = self._generate(prompt, values, reply)
        self._recorder.start(reply)
        self.reply_started.emit(placeholder.id)
        self.busy_changed.emit(True)

    def _generate(self, prompt: list[ChatMessage], values: dict[str, Any],
                  reply: StreamingReply) -> int:
        version = len(self._store.siblings(reply.message_id))
        thinking = str(values.get(conv_settings.THINKING_KEY) or "auto")
        return self._worker.generate(prompt, conv_settings.sampling_from(values, version),
                                     "" if thinking == "auto" else thinking,
                                     reply.conversation_id)

    def _on_docs_ready(self, reply: StreamingReply, prompt: list[ChatMessage],
                       values: dict[str, Any], docs: DocsPrompt) -> None:
        if self._recorder.reply is not reply:
            return  # stopped or replaced while the documents were searched
        if docs.sources:
            reply.sources = sources_to_meta(docs.sources)
            prompt = with_docs(prompt, docs)  # the stored question stays as it was typed
            self.reply_sources.emit(reply.message_id, list(docs.sources))
        reply.gen_id = self._generate(prompt, values, reply)

    def _abandon_reply(self) -> None:
        """Stop the reply and save it as stopped without waiting for the worker; its late
        tokens carry an id nobody owns any more and are dropped."""
        if self._recorder.reply is None:
            return
        self._worker.stop()
        self._recorder.finish("complete", {"stop_reason": "stopped"})
        self.busy_changed.emit(False)

    def _fail_at_once(self, message_id: int, message: str) -> None:
        self._store.update_message(message_id, "", "error", {"error": message})
        self.reply_failed.emit(message_id, message)

    @Slot(int, str, int)
    def _on_worker_token(self, gen_id: int, text: str, tokens: int) -> None:
        reply = self._recorder.reply
        if reply is not None and reply.gen_id == gen_id:
            self._recorder.append(text)
            self.reply_delta.emit(reply.message_id, text)
            self.reply_progress.emit(reply.message_id, tokens)

    @Slot(int, str, int)
    def _on_worker_thinking(self, gen_id: int, text: str, tokens: int) -> None:
        reply = self._recorder.reply
        if reply is not None and reply.gen_id == gen_id:
            self._recorder.append_thinking(text)
            self.reply_thinking.emit(reply.message_id, text)
            self.reply_progress.emit(reply.message_id, tokens)

    @Slot(int, object)
    def _on_worker_tool_call(self, gen_id: int, call: ToolCall) -> None:
        reply = self._recorder.reply
        if reply is not None and reply.gen_id == gen_id:
            self._recorder.add_tool_call(call.to_openai())
            self.reply_tool_call.emit(reply.message_id, call.to_openai())

    @Slot(int, object)
    def _on_worker_finished(self, gen_id: int, stats: GenerationStats) -> None:
        if not self._recorder.owns(gen_id):
            return
        reply = self._recorder.finish("complete", {**stats.to_dict(),
                                                   "model": self._state.model_name()})
        if stats.trimmed_messages:
            self.notice.emit(f"{stats.trimmed_messages} oldest messages no longer fit in the "
                             "context and were left out")
        if reply is not None:
            self.reply_finished.emit(reply.message_id, stats)
        self.busy_changed.emit(False)

    @Slot(int, str)
    def _on_worker_failed(self, gen_id: int, message: str) -> None:
        if not self._recorder.owns(gen_id):
            return
        if self._worker.status is None and self._state.load_error:
            message = f"The model could not be loaded: {self._state.load_error}"
        reply = self._recorder.finish("error", {"error": message})
        if reply is not None:
            self.reply_failed.emit(reply.message_id, message)
        self.busy_changed.emit(False)

    @Slot(str)
    def _on_recorder_save_failed(self, message: str) -> None:
        # The reply's message is gone (deleted elsewhere) or the disk refused: stop
        # generating text that cannot be kept.
        self.notice.emit(f"The reply could not be saved: {message}")
        if self._recorder.reply is not None:
            self._worker.stop()
            self._recorder.drop()
            self.busy_changed.emit(False)

    def _title_from(self, conv_id: int, text: str) -> None:
        if self._store.get_conversation(conv_id).title == DEFAULT_TITLE:
            self._store.rename(conv_id, conv_settings.title_from(text))
