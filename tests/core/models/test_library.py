"""The model library: what is listed, how it is found, and what may be deleted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakehub import make_gguf

from openchat_desktop.core.errors import HubError, ModelFileError
from openchat_desktop.core.models.library import delete_model as delete
from openchat_desktop.core.models.library import (
    download_target,
    find_model,
    import_model,
    list_installed,
    total_disk_used,
)
from openchat_desktop.core.models.partial import part_path

GGUF = make_gguf(4096)


def write(path: Path, data: bytes = GGUF) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture(autouse=True)
def starter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write(tmp_path / "shipped" / "SmolLM2-135M-Instruct.Q4_1.gguf")
    monkeypatch.setenv("OPENCHAT_STARTER_MODEL", str(path))
    return path


def hf_cache_model(cache: Path, repo: str, name: str) -> Path:
    """A file laid out as huggingface_hub stores it: a snapshot link to a blob."""
    repo_dir = cache / ("models--" + repo.replace("/", "--"))
    blob = write(repo_dir / "blobs" / "0123abcd")
    link = repo_dir / "snapshots" / "f00d" / name
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(blob, link.parent))
    dangling = repo_dir / "snapshots" / "f00d" / "unfinished.gguf"
    dangling.symlink_to("../../blobs/missing.incomplete")
    return link


def by_source(extra: list[str] | None = None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for model in list_installed(extra or []):
        found.setdefault(model.source, []).append(model.name)
    return found


def test_lists_every_source(tmp_path: Path, openchat_home: Path, empty_hf_cache: Path) -> None:
    downloaded = write(download_target("owner/Repo-GGUF", "a.Q4_K_M.gguf"))
    write(part_path(download_target("owner/Repo-GGUF", "b.gguf")), b"half")
    hf_cache_model(empty_hf_cache, "hf-owner/Cached-GGUF", "cached.gguf")
    folder = tmp_path / "my-models"
    write(folder / "deep" / "folder.gguf")
    write(folder / "notes.txt", b"x")
    outside = write(tmp_path / "elsewhere" / "mine.gguf")
    import_model(outside)

    assert by_source([str(folder)]) == {
        "starter": ["SmolLM2-135M-Instruct.Q4_1.gguf"], "downloaded": ["a.Q4_K_M.gguf"],
        "imported": ["mine.gguf"], "hf-cache": ["cached.gguf"], "folder": ["folder.gguf"]}
    (model,) = [m for m in list_installed() if m.source == "downloaded"]
    assert (model.repo, model.path, model.size_bytes) == ("owner/Repo-GGUF", downloaded,
                                                          len(GGUF))
    assert downloaded == openchat_home / "models" / "owner" / "Repo-GGUF" / "a.Q4_K_M.gguf"
    cached = next(m for m in list_installed() if m.source == "hf-cache")
    assert cached.repo == "hf-owner/Cached-GGUF"
    assert total_disk_used() == len(GGUF) + len(b"half") + \
        (openchat_home / "models" / "imported.json").stat().st_size


def test_find_model_by_path_name_stem_or_spec(tmp_path: Path) -> None:
    path = write(download_target("owner/Repo-GGUF", "a.Q4_K_M.gguf"))
    for key in (str(path), "a.Q4_K_M.gguf", "A.q4_k_m.GGUF", "a.Q4_K_M",
                "owner/Repo-GGUF:a.Q4_K_M.gguf"):
        found = find_model(key)
        assert found is not None and found.path == path, key
    assert find_model("owner/Other:a.Q4_K_M.gguf") is None
    assert find_model("nothing") is None


def test_deleting_never_touches_files_outside_the_models_folder(
        tmp_path: Path, empty_hf_cache: Path) -> None:
    cached = hf_cache_model(empty_hf_cache, "o/r", "cached.gguf")
    in_folder = write(tmp_path / "folder" / "f.gguf")
    in_place = import_model(write(tmp_path / "elsewhere" / "mine.gguf"))
    for model in list_installed([str(tmp_path / "folder")]):
        if model.source in ("hf-cache", "folder", "imported"):
            delete(model)
    assert cached.exists() and in_folder.exists() and in_place.path.exists()
    assert by_source([str(tmp_path / "folder")]) == {
        "starter": ["SmolLM2-135M-Instruct.Q4_1.gguf"]}
    import_model(in_place.path)  # importing again brings it back
    assert by_source()["imported"] == ["mine.gguf"]


def test_downloads_and_copies_are_deleted(tmp_path: Path, openchat_home: Path) -> None:
    path = write(download_target("owner/Repo-GGUF", "a.gguf"))
    copy = import_model(write(tmp_path / "src" / "c.gguf"), copy=True)
    assert copy.path == openchat_home / "models" / "c.gguf"
    assert (tmp_path / "src" / "c.gguf").exists()
    with pytest.raises(ModelFileError, match="already in the models folder"):
        import_model(tmp_path / "src" / "c.gguf", copy=True)
    for model in list_installed():
        if model.source != "starter":
            delete(model)
    assert not path.exists() and not copy.path.exists()
    assert not (openchat_home / "models" / "owner").exists()  # empty folders pruned
    assert (tmp_path / "src" / "c.gguf").exists()


def test_starter_cannot_be_deleted(starter: Path) -> None:
    (model,) = list_installed()
    assert model.source == "starter"
    with pytest.raises(ModelFileError, match="cannot be deleted"):
        delete(model)
    assert starter.exists()


def test_import_validates_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError):
        import_model(write(tmp_path / "bad.gguf", b"GGUF but not really"))
    with pytest.raises(ModelFileError):
        import_model(tmp_path / "missing.gguf")
    assert "imported" not in by_source()


def test_download_target_rejects_odd_names() -> None:
    for repo, name in (("owner/repo", "../evil.gguf"), ("owner", "x.gguf"),
                       ("a/b/c", "x.gguf"), ("owner/repo", "/etc/x.gguf"),
                       ("owner/..", "x.gguf")):
        with pytest.raises(HubError):
            download_target(repo, name)
