"""Quick checks of the packaging files (no build): icons, desktop entry, scripts, workflow."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from openchat_desktop.core import paths

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
WORKFLOWS = ROOT / ".github" / "workflows"
LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.github.openchat.OpenChat"


def test_frozen_app_finds_the_starter_model_in_its_data_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "resources" / "models" / paths.STARTER_MODEL_FILE
    model.parent.mkdir(parents=True)
    model.write_bytes(b"GGUF")
    monkeypatch.delenv(paths.STARTER_MODEL_ENV, raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.starter_model_path() == model


def test_png_icons_have_their_sizes() -> None:
    from PySide6.QtGui import QImage

    for size in (16, 32, 48, 64, 128, 256, 512):
        image = QImage(str(ICONS / f"openchat-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
    assert (ICONS / "openchat.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_windows_ico_lists_its_images() -> None:
    data = (ICONS / "openchat.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, _, _, _, _, bits, length, offset = struct.unpack_from("<BBBBHHII", data,
                                                                     6 + 16 * index)
        assert bits == 32
        assert offset + length <= len(data)
        sizes.append(width or 256)
    assert {16, 32, 48, 256} <= set(sizes)


def test_macos_icns_is_well_formed() -> None:
    data = (ICONS / "openchat.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    kinds, offset = [], 8
    while offset < len(data):
        kind, length = data[offset:offset + 4], struct.unpack(">I", data[offset + 4:offset + 8])[0]
        assert data[offset + 8:offset + 16] == b"\x89PNG\r\n\x1a\n"
        kinds.append(kind.decode())
        offset += length
    assert offset == len(data)
    assert {"ic07", "ic08", "ic09", "ic10"} <= set(kinds)


def test_desktop_entry_and_metainfo_are_valid() -> None:
    desktop = LINUX / f"{APP_ID}.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert f"Icon={APP_ID}" in text
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, result.stdout
    if shutil.which("appstreamcli"):
        result = subprocess.run(["appstreamcli", "validate", "--no-net",
                                 str(LINUX / f"{APP_ID}.metainfo.xml")],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", ["linux/install.sh", "linux/uninstall.sh",
                                    "macos/make_dmg.sh"])
def test_shell_scripts_parse(script: str) -> None:
    path = ROOT / "packaging" / script
    result = subprocess.run(["bash" if script.startswith("macos") else "sh", "-n", str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_release_workflow_builds_every_platform() -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    jobs = workflow["jobs"]
    assert {"linux", "windows", "macos", "release"} <= set(jobs)
    variants = {item["variant"] for item in jobs["linux"]["strategy"]["matrix"]["include"]}
    assert {"cpu", "cuda"} <= variants
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert "packaging/build.py" in text or "make package" in text
    assert "-DGGML_NATIVE=OFF" in text


def test_workflow_actions_are_pinned_to_commits() -> None:
    for workflow in WORKFLOWS.glob("*.yml"):
        for line in workflow.read_text(encoding="utf-8").splitlines():
            if "uses:" in line:
                # A tag can be moved to other code; a commit cannot. The comment names the tag.
                assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40}  # v\d", line), line


def test_workflow_checkouts_keep_no_credentials() -> None:
    yaml = pytest.importorskip("yaml")
    for path in WORKFLOWS.glob("*.yml"):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert workflow["permissions"] == {}, f"{path.name}: no default token permissions"
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}: job {name} states its permissions"
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{name}: {step}"


def test_workflows_pass_zizmor() -> None:
    # zizmor is a dev dependency: its absence is a broken set-up, not a reason to skip.
    scripts = Path(sys.executable).parent
    zizmor = shutil.which("zizmor", path=str(scripts)) or shutil.which("zizmor")
    assert zizmor, "zizmor is missing: install the dev extras (`make setup`)"
    result = subprocess.run([zizmor, "--offline", "--no-progress", "--color", "never",
                             "--persona", "pedantic", str(WORKFLOWS)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
