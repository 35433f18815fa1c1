"""Widgets change conversations only through the conversation service: no module of ``ui/``
reaches for the store itself (``AppContext`` keeps it only to close it at quit)."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "openchat_desktop" / "ui"


def _names_ctx(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id.endswith("ctx")) or (
        isinstance(node, ast.Attribute) and node.attr.endswith("ctx"))


def store_uses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and node.attr == "store" and _names_ctx(node.value)]


def test_widgets_never_touch_the_conversation_store() -> None:
    offenders = {path.relative_to(UI).as_posix(): lines for path in sorted(UI.rglob("*.py"))
                 if path.name != "context.py" and (lines := store_uses(path))}
    assert offenders == {}, "use ctx.conversations (ConversationService) instead"
