"""Fixtures for the model manager's Qt tests: the fake Hub, settings pointed at it, services.

``tests/hub/conftest.py`` serves the same fake Hub to the core tests, but a conftest's
fixtures are only visible below its folder. Test modules elsewhere load this file as a plugin
(``pytest_plugins = ["model_manager_fixtures"]``). Plugins apply to the whole session, so
nothing here is autouse: a test gets only the fixtures it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakehub import FILE, REPO, FakeHub, make_gguf
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from openchat_desktop.core.models.download_types import RetryPolicy
from openchat_desktop.core.settings import Settings
from openchat_desktop.services.downloads import DownloadService
from openchat_desktop.services.machine import MachineMemory
from openchat_desktop.services.model_catalog import ModelCatalogService
from openchat_desktop.services.settings_bridge import SettingsBridge
from openchat_desktop.ui.model_manager.dialog import ModelManagerDialog, open_model_manager

Q8 = "tiny-chat.Q8_0.gguf"
GB = 1000**3
NO_WAIT = RetryPolicy(max_tries=2, base_delay=0.0, max_delay=0.0)
ServiceMaker = Callable[..., DownloadService]



@pytest.fixture
def empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never list (or write to) the real Hugging Face cache."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("OPENCHAT_STARTER_MODEL", raising=False)
    return cache


@pytest.fixture(scope="session")
def model_bytes() -> bytes:
    """A valid ~1 MB GGUF file."""
    return make_gguf(1024 * 1024, seed=1)


@pytest.fixture
def fake_hub(model_bytes: bytes) -> Iterator[FakeHub]:
    """A running fake Hub with one public repo of two GGUF files and a README."""
    hub = FakeHub()
    hub.add_repo(REPO, {FILE: model_bytes, Q8: make_gguf(64 * 1024, seed=2),
                        "README.md": b"# Tiny chat\n"})
    hub.add_repo("other-org/Other-GGUF", {"other.Q4_K_M.gguf": make_gguf(16 * 1024, seed=4)})
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture
def hub_settings(tmp_path: Path, fake_hub: FakeHub, empty_hf_cache: Path
                 ) -> Iterator[SettingsBridge]:
    """App settings whose ``hub.endpoint`` is the fake Hub (and an empty HF cache)."""
    bridge = SettingsBridge(Settings(tmp_path / "settings.json"))
    bridge.set("hub.endpoint", fake_hub.url)
    yield bridge
    bridge.close()


@pytest.fixture
def make_downloads(hub_settings: SettingsBridge) -> Iterator[ServiceMaker]:
    """Build DownloadServices (retries without waiting); each is shut down afterwards."""
    services: list[DownloadService] = []

    def make(**options: Any) -> DownloadService:
        options.setdefault("retry", NO_WAIT)
        services.append(DownloadService(hub_settings, **options))
        return services[-1]

    yield make
    for service in services:
        service.shutdown()


@dataclass
class ManagerServices:
    """What ``open_model_manager`` needs, as the app context will carry it."""

    settings: SettingsBridge
    downloads: DownloadService
    model_catalog: ModelCatalogService


@pytest.fixture
def manager_services(hub_settings: SettingsBridge, make_downloads: ServiceMaker
                     ) -> ManagerServices:
    """Services over the fake Hub, on a computer with 8 GB of RAM and a CPU-only engine."""
    catalog = ModelCatalogService(hub_settings, memory_probe=lambda: MachineMemory(8 * GB))
    return ManagerServices(hub_settings, make_downloads(), catalog)


@pytest.fixture
def manager(qtbot: QtBot, manager_services: ManagerServices) -> ModelManagerDialog:
    """The Model Manager, shown, with its installed list and catalog filled in."""
    dialog = open_model_manager(manager_services)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.catalog_tab.table.rowCount() > 0
                    and bool(dialog.installed_tab.summary.text()), timeout=10_000)
    return dialog


def answer_message_boxes(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton
                         ) -> list[str]:
    """Make every QMessageBox answer ``button`` at once; returns the texts they showed."""
    texts: list[str] = []

    def answer(box: QMessageBox) -> int:
        texts.append(box.text())
        return int(button)

    monkeypatch.setattr(QMessageBox, "exec", answer)
    return texts
