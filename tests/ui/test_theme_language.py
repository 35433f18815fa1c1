"""Light/dark themes, live language switching, and that every visible string is translated."""

from __future__ import annotations

import ast
from pathlib import Path

from fixtures.apps import AppMaker, send
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from openchat_desktop.core.settings_schema import SETTINGS
from openchat_desktop.ui.i18n import Translator
from openchat_desktop.ui.i18n_zh import ZH_CN
from openchat_desktop.ui.theme import DARK, LIGHT

PACKAGE = Path(__file__).resolve().parents[2] / "openchat_desktop"
TRANSLATING_CALLS = {"tr", "_tr", "N_"}


def translated_strings() -> dict[str, str]:
    """Every literal passed to tr()/N_() in ui/ and app.py, with the file it is in."""
    found: dict[str, str] = {}
    for path in [*sorted((PACKAGE / "ui").glob("*.py")), PACKAGE / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if name in TRANSLATING_CALLS and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                found.setdefault(first.value, path.name)
    return found


def test_every_ui_string_has_a_chinese_entry() -> None:
    strings = translated_strings()
    assert len(strings) > 150
    missing = {text: where for text, where in strings.items() if text not in ZH_CN}
    assert not missing, f"untranslated: {missing}"


def test_setting_texts_are_translated() -> None:
    # Labels, help, minimum texts and choice names are declared on the schema, not in ui/.
    assert not [text for s in SETTINGS for text in s.texts() if text not in ZH_CN]


def test_chinese_entries_keep_their_placeholders() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert not [k for k, v in ZH_CN.items() if fields(k) != fields(v)]


def test_translator_falls_back_to_english() -> None:
    i18n = Translator("zh_CN")
    assert i18n.tr("Send") == "发送" and i18n.tr("not a known string") == "not a known string"
    i18n.set_language("xx")
    assert i18n.language == "en" and i18n.tr("Send") == "Send"


def test_language_switches_live(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens=["Run:\n\n```sh\nls\n```\n"])
    send(qtbot, app, "Hi")
    assert "Copy" in app.widgets()[-1].body.toPlainText()
    window = app.window
    assert window.composer.button.text() == "Send"
    with qtbot.waitSignal(app.ctx.i18n.language_changed):
        app.ctx.settings.set("ui.language", "zh_CN")
    assert window.composer.button.text() == "发送"
    assert [m.title() for m in window.menu_actions.menus.values()][:2] == ["文件(&F)", "对话(&C)"]
    assert window.menu_actions["new_chat"].text() == "新建对话(&N)"
    assert window.conversations.new_button.text() == "新建对话"
    assert window.settings_panel.reset_button.text() == "恢复默认"
    assert window.settings_panel.form.labels["sampling.temperature"].text() == "温度"
    assert app.widgets()[-1]._buttons["regenerate"].text() == "重新生成"
    assert app.widgets()[0]._role.text() == "你"
    code_block = app.widgets()[-1].body.toPlainText()
    assert "复制" in code_block and "Copy" not in code_block
    app.ctx.settings.set("ui.language", "en")
    assert window.composer.button.text() == "Send"


def test_dark_and_light_themes(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app(tokens=["```python\nx = 1\n```\n"])
    send(qtbot, app, "Code")
    body = app.widgets()[-1].body
    light_html = body.toHtml()
    with qtbot.waitSignal(app.window.theme.changed):
        app.ctx.settings.set("ui.theme", "dark")
    palette = QApplication.palette()
    assert palette.color(QPalette.ColorRole.Window).name() == DARK.window
    assert app.window.renderer.theme == "dark"
    assert app.widgets()[-1].body.toHtml() != light_html  # code re-rendered in dark colours
    app.ctx.settings.set("ui.theme", "light")
    assert QApplication.palette().color(QPalette.ColorRole.Window).name() == LIGHT.window


def test_system_theme_follows_the_platform(qtbot: QtBot, make_app: AppMaker) -> None:
    app = make_app()
    app.ctx.settings.set("ui.theme", "system")
    assert app.window.theme.effective in ("light", "dark")
