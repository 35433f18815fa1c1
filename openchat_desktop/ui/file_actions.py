"""Export a conversation (Markdown or JSON) and import one exported as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.formatting import safe_file_stem

FILTERS = {"markdown": ("Markdown (*.md)", ".md"), "json": ("JSON (*.json)", ".json")}


def export_conversation(parent: QWidget, ctx: AppContext, conv_id: int, kind: str) -> Path | None:
    """Ask where to save, then write the conversation; returns the file, or None if cancelled.

    Raises OpenChatError (the conversation) or OSError (the disk) for the caller to show.
    """
    tr = ctx.i18n.tr
    file_filter, suffix = FILTERS[kind]
    title = ctx.conversations.get(conv_id).title
    suggested = Path.home() / (safe_file_stem(title) + suffix)
    chosen, _filter = QFileDialog.getSaveFileName(parent, tr("Export conversation"),
                                                  str(suggested), file_filter)
    if not chosen:
        return None
    path = Path(chosen)
    if not path.suffix:
        path = path.with_suffix(suffix)
    if kind == "markdown":
        text = ctx.conversations.export_markdown(conv_id)
    else:
        text = json.dumps(ctx.conversations.export_json(conv_id), ensure_ascii=False,
                          indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def import_conversation(parent: QWidget, ctx: AppContext) -> int | None:
    """Ask for an exported JSON file and add it as a new conversation; returns its id.

    Raises OpenChatError for a file that is not a valid export, OSError if it can't be read.
    """
    tr = ctx.i18n.tr
    chosen, _filter = QFileDialog.getOpenFileName(parent, tr("Import conversation"),
                                                  str(Path.home()), FILTERS["json"][0])
    if not chosen:
        return None
    try:
        data = json.loads(Path(chosen).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OpenChatError(tr("This file is not an exported conversation: {reason}").format(
            reason=exc)) from None
    if not isinstance(data, dict):
        raise OpenChatError(tr("This file is not an exported conversation."))
    return ctx.conversations.import_json(data)
