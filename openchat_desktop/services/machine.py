"""How much memory this computer has for a model, and the catalog judged against it.

RAM comes from psutil. The GPU's memory is not known: llama.cpp does not report it before a
model is loaded, so on a GPU build the fit is still judged against RAM and the hint says so.
Asking llama.cpp whether it can offload loads the engine library, which is why that question
is asked lazily, on a worker thread, and only here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openchat_desktop.core.models.catalog import CatalogEntry, Fit, entry_fit, load_catalog
from openchat_desktop.core.models.library import InstalledModel, download_target
from openchat_desktop.core.sizes import format_size

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MachineMemory:
    """Memory a model can live in. ``gpu_build`` is None when the engine could not be asked."""

    ram_bytes: int
    vram_bytes: int | None = None
    gpu_build: bool | None = False

    def describe(self) -> str:
        """One line saying what the fit hints were judged against."""
        if self.vram_bytes is not None:
            return f"Fit is judged against {format_size(self.vram_bytes)} of GPU memory."
        ram = f"Fit is judged against {format_size(self.ram_bytes)} of RAM"
        if self.gpu_build:
            return f"{ram}; this build can use a GPU, but its memory size is unknown."
        if self.gpu_build is None:
            return f"{ram}; whether a GPU can be used is unknown."
        return f"{ram} (CPU-only build, no GPU memory used)."


@dataclass(frozen=True)
class CatalogRow:
    """A catalog entry as the catalog tab shows it."""

    entry: CatalogEntry
    fit: Fit
    installed: bool
    target: Path


def gpu_offload_supported() -> bool | None:
    """Whether the llama.cpp build can offload to a GPU; None when it cannot be asked."""
    try:
        from openchat_desktop.core.llm.llama_runtime import gpu_offload_supported as supported

        return supported()
    except Exception as exc:  # a missing or broken engine library only costs the hint
        log.info("cannot ask llama.cpp about GPU offload: %s", exc)
        return None


def probe_memory() -> MachineMemory:
    """This computer's RAM, and whether the engine could use a GPU (slow the first time)."""
    import psutil

    return MachineMemory(int(psutil.virtual_memory().total), None, gpu_offload_supported())


def catalog_rows(memory: MachineMemory, installed: Sequence[InstalledModel]
                 ) -> tuple[list[CatalogRow], MachineMemory]:
    """Every catalog entry with its fit and whether it is already installed here."""
    specs = {model.spec.lower() for model in installed if model.spec}
    starter = any(model.source == "starter" for model in installed)
    rows = []
    for entry in load_catalog():
        target = download_target(entry.repo, entry.file)
        have = target.exists() or entry.spec.lower() in specs or (entry.starter and starter)
        fit = entry_fit(entry, memory.ram_bytes, memory.vram_bytes)
        rows.append(CatalogRow(entry, fit, have, target))
    return rows, memory
