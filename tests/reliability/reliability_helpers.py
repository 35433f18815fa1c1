"""Shared pieces of the reliability suite: a running app, model settings, bad model files."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gguf_factory as gf
from gguf_rewrite import read_layout
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from openchat_desktop.services.conversation_settings import MODEL_PATH_KEY
from openchat_desktop.ui.context import AppContext
from openchat_desktop.ui.main_window import MainWindow

# One thread: the CI machine has two cores, and llama.cpp's spinning threads slow to a crawl
# when they outnumber the free cores.
FAST_SETTINGS = {"model.ctx_size": 1024, "model.threads": 1, "sampling.temperature": 0.2,
                 "sampling.repeat_penalty": 1.1, "sampling.seed": 42,
                 "sampling.max_tokens": 8}


@dataclass
class RealApp:
    ctx: AppContext
    window: MainWindow

    def close(self) -> None:
        if not self.ctx.closed:
            self.window.close()
            self.window.deleteLater()
            QCoreApplication.processEvents()
            self.ctx.close()

    def texts(self) -> list[str]:
        return [w.body.toPlainText().strip() for w in self.window.chat_view.message_widgets]

    def use_model(self, path: Path | str, **settings: object) -> None:
        """Open a new conversation talking to ``path`` with quick settings."""
        session = self.ctx.session
        if session.current_id is None:
            session.new_conversation()
        for key, value in {**FAST_SETTINGS, **settings}.items():
            session.set_conversation_setting(key, value)
        session.set_conversation_setting(MODEL_PATH_KEY, str(path))


def send(qtbot: QtBot, app: RealApp, text: str, timeout: int = 120_000) -> None:
    """Type into the composer and press Send; wait until the reply ends (either way)."""
    session = app.ctx.session
    app.window.composer.set_text(text)
    ended: list[str] = []
    session.reply_finished.connect(lambda *_: ended.append("finished"))
    session.reply_failed.connect(lambda *_: ended.append("failed"))
    app.window.composer.button.click()
    qtbot.waitUntil(lambda: bool(ended), timeout=timeout)


def link_or_copy(source: Path, target: Path) -> Path:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def _truncated(source: Path, size: int) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        with source.open("rb") as src:
            path.write_bytes(src.read(size))
        return path
    return write


def bad_model_corpus(starter: Path) -> dict[str, Callable[[Path], Path]]:
    """Name -> writer of one bad model file into a folder (returns its path)."""
    layout = read_layout(starter)
    size = starter.stat().st_size
    huge_string = gf.Value(gf.ValueType.STRING, "x", claimed_length=2**33)

    def simple(name: str, data: bytes) -> Callable[[Path], Path]:
        def write(folder: Path) -> Path:
            (folder / name).write_bytes(data)
            return folder / name
        return write

    def truncated(name: str, cut: int) -> Callable[[Path], Path]:
        return lambda folder: _truncated(starter, cut)(folder / name)

    def directory(folder: Path) -> Path:
        (folder / "folder.gguf").mkdir()
        return folder / "folder.gguf"

    def unreadable(folder: Path) -> Path:
        path = gf.build_gguf().write(folder / "secret.gguf")
        path.chmod(0)
        return path

    return {
        "empty": simple("empty.gguf", b""),
        "random": simple("random.gguf", random.Random(7).randbytes(64 * 1024)),
        "text": simple("notes.gguf", b"These are my notes, not a model.\n" * 40),
        "cut_in_header": truncated("cut-header.gguf", 14),
        "cut_in_metadata": truncated("cut-metadata.gguf", layout.metadata_end // 2),
        "cut_in_tensor_data": truncated(
            "cut-data.gguf", layout.data_offset + (size - layout.data_offset) // 2),
        "wrong_magic": simple("magic.gguf", gf.build_gguf(magic=b"GGML").data),
        "version_1": simple("v1.gguf", gf.build_gguf(version=1).data),
        "metadata_count_huge": simple("count.gguf", gf.build_gguf(metadata_count=2**40).data),
        "string_length_huge": simple("strlen.gguf", gf.build_gguf(gf.model_metadata(
            overrides={"general.name": huge_string})).data),
        "unknown_architecture": simple("arch.gguf", gf.build_gguf(
            gf.model_metadata("quantumflux")).data),
        "directory": directory,
        "no_read_permission": unreadable,
    }


def unicode_copy(starter: Path, folder: Path) -> Path:
    """The starter model at a path with spaces and Chinese characters."""
    target = folder / "我的 模型 文件夹" / "小 模型 SmolLM2.gguf"
    target.parent.mkdir(parents=True)
    return link_or_copy(starter, target)
