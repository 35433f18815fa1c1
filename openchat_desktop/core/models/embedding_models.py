"""Installed embedding models: which GGUF files embed text, the one a setting names, and the
words each model wants before a question or a passage.

The setting ``docs.embedding_model`` holds a file name (or a full path); "" means keyword
search only. Finding the file reads the GGUF header of each installed model (milliseconds
each), so call these off the GUI thread.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openchat_desktop.core.errors import ModelFileError
from openchat_desktop.core.gguf.embedding import is_embedding_model
from openchat_desktop.core.gguf.info import GGUFInfo
from openchat_desktop.core.models.catalog import entry_for_model
from openchat_desktop.core.models.library import list_installed

Dirs = Sequence[str | os.PathLike[str]]
# Nomic's models were trained with task prefixes; a nomic-bert file the catalog does not know
# (another quantization, another uploader) still gets them.
_NOMIC = ("search_query: ", "search_document: ")


@dataclass(frozen=True)
class EmbeddingPrefixes:
    """Text an embedding model expects before a search question and before a passage."""

    query: str = ""
    document: str = ""


def find_embedding_models(extra_dirs: Dirs = ()) -> list[Path]:
    """Every installed model (the models folder, the Hugging Face cache, ``extra_dirs``) that
    is an embedding model; damaged files are left out."""
    found = []
    for model in list_installed(extra_dirs):
        try:
            if is_embedding_model(model.path):
                found.append(model.path)
        except ModelFileError:
            continue  # the library lists it with its reason; it is no embedding model here
    return found


def resolve_embedding_model(setting_value: str, extra_dirs: Dirs = ()) -> Path | None:
    """The embedding model the ``docs.embedding_model`` setting names; None for "" (keyword
    search only). Raises ``ModelFileError`` with one line when it is missing or no embedding
    model."""
    value = setting_value.strip()
    if not value:
        return None
    path = _locate(value, extra_dirs)
    if path is None:
        raise ModelFileError(
            f"The embedding model {value} is not installed; download it in the Model Manager "
            "(or with `openchat models pull`), or clear the embedding model setting to search "
            "by keywords only.")
    if not is_embedding_model(path):
        raise ModelFileError(f"{path.name} is a chat model, not an embedding model; choose "
                             "an embedding model such as nomic-embed-text-v1.5.")
    return path


def _locate(value: str, extra_dirs: Dirs) -> Path | None:
    direct = Path(value).expanduser()
    if direct.is_absolute():
        return direct if direct.is_file() else None
    wanted = value.lower()
    for model in list_installed(extra_dirs):
        if wanted in (model.name.lower(), model.stem.lower()):
            return model.path
    return None


def embedding_prefixes(info: GGUFInfo) -> EmbeddingPrefixes:
    """The query and document prefixes of the model: from its catalog entry, else from its
    family (nomic-bert), else none."""
    entry = entry_for_model(info.path)
    if entry is not None and entry.is_embedding:
        return EmbeddingPrefixes(entry.query_prefix, entry.document_prefix)
    if info.architecture.startswith("nomic-bert"):
        return EmbeddingPrefixes(*_NOMIC)
    return EmbeddingPrefixes()
