"""The documents a conversation is attached to, and the passages found for each question.

A conversation keeps the names of its attached collections in its own settings
(``docs.collections``), so they survive a restart and go with an export. Before a reply,
``ChatDocs.retrieve`` searches them on the task pool (with an embedding model the question
is embedded first, which takes time) and hands back a ``DocsPrompt``: the numbered passages
within the context's share, and the sources the reply will cite. A collection that is gone
is detached with one notice; a search that fails costs the reply its passages, never the
user's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from openchat_desktop.core.docs.context import DocsPrompt, build_docs_prompt, docs_budget_chars
from openchat_desktop.core.docs.types import DocsError, Passage, Source
from openchat_desktop.core.llm.sampling import LoadSettings
from openchat_desktop.services.conversation_settings import DOCS_COLLECTIONS_KEY
from openchat_desktop.services.conversation_state import ConversationState
from openchat_desktop.services.llm_worker import ModelStatus

if TYPE_CHECKING:  # the service brings in the indexer; the session needs only its type
    from openchat_desktop.services.docs import DocsService

TOP_K_KEY = "docs.top_k"
SHARE_KEY = "docs.context_share"
DEFAULT_TOP_K = 6
DEFAULT_SHARE = 0.35


def context_tokens(status: ModelStatus | None, load: LoadSettings) -> int:
    """The context window the reply will have: the loaded model's when it is the one asked
    for, else what loading it will give (its own size is read only when it loads)."""
    if status is not None and status.model_path == load.model_path:
        return status.n_ctx
    return load.resolved_ctx(None)


def sources_to_meta(sources: Sequence[Source]) -> list[dict[str, Any]]:
    """``sources`` as a reply's ``meta["sources"]`` holds them."""
    return [source.to_dict() for source in sources]


class ChatDocs(QObject):
    """Attached collections of conversations, and retrieval for a question.

    Signals:
        notice(str): a one-line remark (a collection is gone, the search failed).
    """

    notice = Signal(str)

    def __init__(self, docs: DocsService | None, state: ConversationState,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.docs, self._state = docs, state

    def attached(self, overrides: Mapping[str, Any]) -> list[str]:
        """The collection names a conversation's ``overrides`` attach, in order."""
        names = overrides.get(DOCS_COLLECTIONS_KEY)
        return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def set_attached(self, names: Sequence[str]) -> None:
        """Attach the open conversation to ``names`` (none: detach all); saved with it."""
        unique = list(dict.fromkeys(n.strip() for n in names if n.strip()))
        self._state.set_override(DOCS_COLLECTIONS_KEY, unique or None)

    def attach_files(self, conv_id: int, paths: Sequence[Path | str]) -> None:
        """Index ``paths`` into the open conversation's own collection and attach it.
        Raises DocsError (a missing file) or OpenChatError (no documents service)."""
        if self.docs is None:
            raise DocsError("Documents are not available in this window.")
        name = self.docs.attach_files(conv_id, paths)
        current = self.attached(self._state.overrides())
        if name not in current:
            self.set_attached([*current, name])

    def retrieve(self, question: str, values: Mapping[str, Any], n_ctx: int,
                 on_ready: Callable[[DocsPrompt], None]) -> bool:
        """Search the open conversation's collections for ``question`` in the background,
        then call ``on_ready`` (on this thread) with the passages for the prompt. Returns
        False, calling nothing, when no collection is attached (or none is left)."""
        names = self._usable(self.attached(values))
        if not names or self.docs is None:
            return False
        k = int(values.get(TOP_K_KEY) or DEFAULT_TOP_K)
        budget = docs_budget_chars(n_ctx, float(values.get(SHARE_KEY) or DEFAULT_SHARE))

        def done(passages: list[Passage]) -> None:
            found = build_docs_prompt(question, passages, budget_chars=budget, max_passages=k)
            if not found.sources:  # else a reply without citations would puzzle
                self.notice.emit("No passage of the attached documents matched this "
                                 "question; the reply goes on without them.")
            on_ready(found)

        def failed(error: BaseException) -> None:
            self.notice.emit(f"Your documents could not be searched ({error}); the reply "
                             "goes on without them.")
            on_ready(DocsPrompt(""))

        self.docs.search_in_background(names, question, k, done, failed)
        return True

    def _usable(self, names: list[str]) -> list[str]:
        """The attached names that still exist; the others are detached, with one notice."""
        if not names or self.docs is None:
            return []
        usable = [name for name in names if self.docs.exists(name)]
        missing = [name for name in names if name not in usable]
        if missing and self._state.current_id is not None:
            self.set_attached(usable)
            shown = ", ".join(f"“{name}”" for name in missing)
            self.notice.emit(f"The collection {shown} no longer exists and was detached; the "
                             "reply goes on without it.")
        return usable
