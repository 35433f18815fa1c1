"""Interface language: English source strings and a Simplified Chinese table, switchable live.

Every visible string goes through ``Translator.tr`` (or is marked with ``N_`` where it is
declared away from the place it is shown). A test scans ``ui/`` for those calls and checks
each string has a Chinese entry, so a new label cannot ship untranslated. A plain dict keeps
the build free of Qt's .ts/.qm tooling.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from openchat_desktop.ui.i18n_zh import ZH_CN

LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}
_TABLES: dict[str, dict[str, str]] = {"en": {}, "zh_CN": ZH_CN}


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is declared; ``tr`` translates it when shown."""
    return text


class Translator(QObject):
    """Translates English interface strings into the current language.

    Signals:
        language_changed(str language): the language changed; widgets call ``retranslate()``.
    """

    language_changed = Signal(str)

    def __init__(self, language: str = "en", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._language = language if language in _TABLES else "en"

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        """Switch language (unknown codes fall back to English) and tell the widgets."""
        language = language if language in _TABLES else "en"
        if language != self._language:
            self._language = language
            self.language_changed.emit(language)

    # Deliberately shadows QObject.tr: the app's strings come from our table, not .qm files.
    def tr(self, text: str) -> str:  # type: ignore[override]
        """``text`` in the current language; English (the source) when there is no entry."""
        return _TABLES[self._language].get(text, text)

    def locale_name(self) -> str:
        """The BCP-47-ish name Qt widgets use for this language (``en``, ``zh_CN``)."""
        return self._language
