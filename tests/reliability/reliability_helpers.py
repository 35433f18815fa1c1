"""Shared pieces of the reliability suite: sending a message whatever the outcome, and bad model
files. The app itself (``App``, ``make_real_app``) lives in fixtures/apps.py."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import gguf_factory as gf
from fixtures.apps import App
from gguf_rewrite import read_layout
from pytestqt.qtbot import QtBot


def send(qtbot: QtBot, app: App, text: str, timeout: int = 120_000) -> None:
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
