"""ModelCatalogService: library listing, catalog fit, Hub queries and their failure states."""

from __future__ import annotations

import threading
from pathlib import Path

from fakehub import FILE, REPO, FakeHub, closed_port_url
from pytestqt.qtbot import QtBot

from openchat_desktop.core.models.catalog import entry_fit, load_catalog
from openchat_desktop.core.models.library import download_target
from openchat_desktop.services.machine import MachineMemory
from openchat_desktop.services.model_catalog import ModelCatalogService
from openchat_desktop.services.settings_bridge import SettingsBridge

Q8 = "tiny-chat.Q8_0.gguf"

GB = 1000**3
TIMEOUT_MS = 10_000


def service_for(settings: SettingsBridge, ram: int = 16 * GB) -> ModelCatalogService:
    return ModelCatalogService(settings, memory_probe=lambda: MachineMemory(ram, None, False))


def test_search_and_every_gguf_file_of_a_repo(
        qtbot: QtBot, fake_hub: FakeHub, hub_settings: SettingsBridge) -> None:
    service = service_for(hub_settings)
    with qtbot.waitSignal(service.search_done, timeout=TIMEOUT_MS) as found:
        service.search("gguf")
    assert found.args[0] == "gguf"
    assert {hit.repo_id for hit in found.args[1]} == {REPO, "other-org/Other-GGUF"}
    with qtbot.waitSignal(service.files_listed, timeout=TIMEOUT_MS) as listed:
        service.list_files(REPO)
    files = fake_hub.repos[REPO].files
    assert [(f.path, f.size) for f in listed.args[1]] == [
        (FILE, len(files[FILE])), (Q8, len(files[Q8]))]  # the README is no model
    assert all(f.size and f.sha256 for f in listed.args[1])


def test_offline_search_says_so_without_waiting(
        qtbot: QtBot, hub_settings: SettingsBridge) -> None:
    hub_settings.set("hub.endpoint", closed_port_url())
    service = service_for(hub_settings)
    with qtbot.waitSignal(service.offline, timeout=TIMEOUT_MS) as offline:
        service.search("tiny")
    assert offline.args[0].startswith(f"No connection to {service.endpoint}")


def test_an_old_answer_never_replaces_a_newer_one(
        qtbot: QtBot, fake_hub: FakeHub, hub_settings: SettingsBridge) -> None:
    service = service_for(hub_settings)
    answers: list[str] = []
    service.search_done.connect(lambda query, _hits: answers.append(query))
    service.search("tiny")
    with qtbot.waitSignal(service.search_done, timeout=TIMEOUT_MS):
        service.search("other")
    qtbot.wait(300)
    assert answers == ["other"]


def test_catalog_fit_and_installed_flags(qtbot: QtBot, hub_settings: SettingsBridge) -> None:
    entries = load_catalog()
    first = entries[0]
    download_target(first.repo, first.file).parent.mkdir(parents=True)
    download_target(first.repo, first.file).write_bytes(b"GGUF")
    service = service_for(hub_settings, ram=8 * GB)
    with qtbot.waitSignal(service.catalog_ready, timeout=TIMEOUT_MS) as ready:
        service.refresh_catalog()
    rows, memory = ready.args
    assert [row.fit for row in rows] == [entry_fit(e, 8 * GB) for e in entries]
    assert {row.fit for row in rows} == {"fits", "tight", "too big"}
    assert rows[0].installed and not rows[1].installed
    assert "8.0 GB of RAM" in memory.describe()


def test_details_import_and_failures_are_one_line(
        qtbot: QtBot, hub_settings: SettingsBridge, tmp_path: Path, model_bytes: bytes) -> None:
    good, bad = tmp_path / "good.gguf", tmp_path / "bad.gguf"
    good.write_bytes(model_bytes)
    bad.write_bytes(b"not a model at all")
    service = service_for(hub_settings)
    with qtbot.waitSignal(service.details_ready, timeout=TIMEOUT_MS) as details:
        service.inspect(str(good))
    assert any(line.startswith("Architecture:") for line in details.args[1])
    with qtbot.waitSignal(service.import_failed, timeout=TIMEOUT_MS) as refused:
        service.import_file(str(bad))
    assert "\n" not in refused.args[1] and "bad.gguf" in refused.args[1]
    with qtbot.waitSignal(service.installed_changed, timeout=TIMEOUT_MS) as listed:
        service.import_file(str(good))
    assert [m.path for m in listed.args[0] if m.source != "starter"] == [good.resolve()]


def test_delete_and_extra_folders(qtbot: QtBot, hub_settings: SettingsBridge,
                                  tmp_path: Path, model_bytes: bytes) -> None:
    folder = tmp_path / "shelf"
    folder.mkdir()
    (folder / "shelf-model.gguf").write_bytes(model_bytes)
    service = service_for(hub_settings)
    with qtbot.waitSignal(service.installed_changed, timeout=TIMEOUT_MS) as listed:
        assert service.add_folder(str(folder))
    assert not service.add_folder(str(folder))
    (model,) = [m for m in listed.args[0] if m.source != "starter"]
    assert model.source == "folder"
    with qtbot.waitSignal(service.installed_changed, timeout=TIMEOUT_MS) as listed:
        service.delete(model)
    assert model not in listed.args[0]
    assert (folder / "shelf-model.gguf").exists()  # a file outside the app's folder: forgotten


def test_background_work_leaves_the_gui_thread_free(
        qtbot: QtBot, hub_settings: SettingsBridge) -> None:
    release = threading.Event()
    service = ModelCatalogService(hub_settings, memory_probe=lambda: (
        release.wait(5), MachineMemory(16 * GB))[1])
    ready: list[object] = []
    service.catalog_ready.connect(lambda rows, _memory: ready.append(rows))
    service.refresh_catalog()  # returns at once although the probe is stuck
    assert ready == []
    release.set()
    qtbot.waitUntil(lambda: bool(ready), timeout=TIMEOUT_MS)
