"""Build the packaged OpenChat app for the platform this runs on (what ``make package`` runs).

    python packaging/build.py [--dist DIR] [--work DIR] [--variant NAME] [--deb] [--no-archive]

1. PyInstaller builds the app folder from packaging/openchat.spec: DIST/OpenChat/.
2. Then, per platform:
   - Linux: adds the menu entry, icons, AppStream metadata, install.sh and uninstall.sh to
     DIST/OpenChat/ and packs DIST/OpenChat-<version>-linux-<arch>[-<variant>].tar.gz;
     with --deb also DIST/openchat-desktop_<version>[~<variant>]_<debian arch>.deb.
   - macOS: DIST/OpenChat.app, packed by packaging/macos/make_dmg.sh into
     DIST/OpenChat-<version>-macos-<arch>[-<variant>].dmg.
   - Windows: DIST/OpenChat/ (OpenChat.exe, openchat-cli.exe) packed as
     DIST/OpenChat-<version>-windows-<arch>[-<variant>].zip, and the installer
     (Inno Setup, packaging/windows/openchat.iss) when ISCC is on PATH.

``--variant`` (cpu, cuda, vulkan, …) only names the archives; the llama.cpp build installed
in the environment decides what the app can use. Prints the paths it made, one per line, after
``built:``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
APP_NAME = "OpenChat"
APP_ID = "io.github.openchat.OpenChat"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def version() -> str:
    text = (ROOT / "openchat_desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not match:
        raise SystemExit("build: no __version__ in openchat_desktop/__init__.py")
    return match.group(1)


def machine() -> str:
    arch = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(arch, arch)


def archive_stem(os_name: str, variant: str | None) -> str:
    return f"{APP_NAME}-{version()}-{os_name}-{machine()}" + (f"-{variant}" if variant else "")


def run_pyinstaller(dist: Path, work: Path) -> Path:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work),
               str(PACKAGING / "openchat.spec")]
    print("build: " + " ".join(command), flush=True)
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=ROOT)
    print(f"build: PyInstaller took {time.monotonic() - started:.0f}s", flush=True)
    return dist / APP_NAME


# --- Linux ---------------------------------------------------------------------------------

def _metainfo(today: str) -> str:
    """The AppStream file, with this version among its releases."""
    text = (PACKAGING / "linux" / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    if f'version="{version()}"' not in text:
        text = text.replace("<releases>", f'<releases>\n    <release version="{version()}" '
                                          f'date="{today}"/>', 1)
    return text


def add_linux_files(app_dir: Path) -> None:
    """Menu entry, icons, metadata and the install scripts, inside the app folder."""
    share = app_dir / "share"
    (share / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copy2(PACKAGING / "linux" / f"{APP_ID}.desktop", share / "applications")
    icons = ROOT / "resources" / "icons"
    for size in ICON_SIZES:
        folder = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icons / f"openchat-{size}.png", folder / f"{APP_ID}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(icons / "openchat.svg", scalable / f"{APP_ID}.svg")
    (share / "metainfo").mkdir(parents=True, exist_ok=True)
    (share / "metainfo" / f"{APP_ID}.metainfo.xml").write_text(
        _metainfo(datetime.date.today().isoformat()), encoding="utf-8")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(PACKAGING / "linux" / script, app_dir / script)
        (app_dir / script).chmod(0o755)


def make_tarball(app_dir: Path, target: Path) -> Path:
    def owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    partial = target.with_name(target.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(app_dir, arcname=APP_NAME, filter=owner)
    partial.replace(target)
    return target


def _deb_arch() -> str:
    return {"x86_64": "amd64", "arm64": "arm64"}.get(machine(), machine())


def _glibc() -> str | None:
    found = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    match = re.search(r"(\d+\.\d+)", found or "")
    return match.group(1) if match else None


def make_deb(app_dir: Path, dist: Path, variant: str | None) -> Path:
    """A .deb that installs the app into /opt/OpenChat, with a menu entry and `openchat`."""
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("build: dpkg-deb not found (apt install dpkg-dev)")
    staging = dist / "deb-root"
    shutil.rmtree(staging, ignore_errors=True)
    opt = staging / "opt" / APP_NAME
    shutil.copytree(app_dir, opt, symlinks=True,
                    ignore=shutil.ignore_patterns("install.sh", "uninstall.sh"))
    usr_share = staging / "usr" / "share"
    usr_share.parent.mkdir(parents=True)
    shutil.move(opt / "share", usr_share)
    desktop = usr_share / "applications" / f"{APP_ID}.desktop"
    desktop.write_text(re.sub(r"(?m)^Exec=.*$", f"Exec=/opt/{APP_NAME}/{APP_NAME}",
                              desktop.read_text(encoding="utf-8")), encoding="utf-8")
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / "openchat").symlink_to(f"/opt/{APP_NAME}/{APP_NAME}")
    size_kib = sum(p.lstat().st_size for p in staging.rglob("*")) // 1024
    deb_version = version() + (f"~{variant}" if variant else "")
    glibc = _glibc()
    depends = [f"libc6 (>= {glibc})" if glibc else "libc6", "libgl1", "libegl1",
               "libfontconfig1", "libxkbcommon0", "libdbus-1-3"]
    maintainer = os.environ.get("DEB_MAINTAINER",
                                "OpenChat Desktop maintainers <maintainers@openchat.invalid>")
    control = staging / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: openchat-desktop\n"
        f"Version: {deb_version}\n"
        f"Architecture: {_deb_arch()}\n"
        f"Maintainer: {maintainer}\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {', '.join(depends)}\n"
        f"Recommends: libxcb-cursor0, libxkbcommon-x11-0, libwayland-client0\n"
        f"Section: utils\n"
        f"Priority: optional\n"
        f"Description: Chat with language models that run on your own computer\n"
        f" OpenChat is a desktop app (and a terminal chat) for large language models that\n"
        f" run entirely on your computer, offline, with llama.cpp. It ships with a small\n"
        f" model (SmolLM2-135M-Instruct), so it answers on first launch.\n",
        encoding="utf-8")
    target = dist / f"openchat-desktop_{deb_version}_{_deb_arch()}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(staging),
                    str(target)], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(staging)
    return target


# --- macOS and Windows ---------------------------------------------------------------------

def make_dmg(dist: Path, variant: str | None) -> Path | None:
    if shutil.which("hdiutil") is None:
        print("build: hdiutil not found; no .dmg", flush=True)
        return None
    target = dist / f"{archive_stem('macos', variant)}.dmg"
    subprocess.run(["bash", str(PACKAGING / "macos" / "make_dmg.sh"), str(dist / f"{APP_NAME}.app"),
                    str(target)], check=True)
    return target


def make_zip(app_dir: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(app_dir.rglob("*")):
            archive.write(path, Path(APP_NAME) / path.relative_to(app_dir))
    return target


def make_installer(dist: Path, variant: str | None) -> Path | None:
    default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"),
                   "Inno Setup 6", "ISCC.exe")
    iscc = shutil.which("iscc") or (str(default) if default.is_file() else None)
    if iscc is None:
        print("build: Inno Setup (ISCC) not found; no installer", flush=True)
        return None
    stem = archive_stem("windows", variant) + "-setup"
    subprocess.run([iscc, f"/DAppVersion={version()}", f"/DDistDir={dist / APP_NAME}",
                    f"/DOutputDir={dist}", f"/DOutputName={stem}",
                    str(PACKAGING / "windows" / "openchat.iss")], check=True)
    return dist / f"{stem}.exe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the packaged OpenChat app.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's work folder")
    parser.add_argument("--variant", help="build variant for the archive names: cpu, cuda, …")
    parser.add_argument("--deb", action="store_true", help="Linux: also make a .deb")
    parser.add_argument("--no-archive", action="store_true", help="only the app folder")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()

    app_dir = run_pyinstaller(dist, work)
    made = [app_dir]
    if sys.platform.startswith("linux"):
        add_linux_files(app_dir)
        if not args.no_archive:
            made.append(make_tarball(app_dir, dist / f"{archive_stem('linux', args.variant)}"
                                                     ".tar.gz"))
        if args.deb:
            made.append(make_deb(app_dir, dist, args.variant))
    elif sys.platform == "darwin":
        made.append(dist / f"{APP_NAME}.app")
        if not args.no_archive:
            made.append(make_dmg(dist, args.variant))
    elif sys.platform == "win32" and not args.no_archive:
        made.append(make_zip(app_dir, dist / f"{archive_stem('windows', args.variant)}.zip"))
        made.append(make_installer(dist, args.variant))
    print("built:")
    for path in made:
        if path is not None:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
