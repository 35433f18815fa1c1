"""Download throughput against a local Hub look-alike, compared with curl; listing timings.

Not a test: it prints figures. Run from the repository root:

    .venv/bin/python benchmarks/bench_download.py [--size-mb 200]

The fake Hub (tests/fakehub.py) runs in its own process so that it does not share the GIL
with the downloader being measured; curl fetches the very same URL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
REPO, FILE = "bench/Bench-GGUF", "bench.Q4_K_M.gguf"


def serve(size_mb: int, throttle_mbps: float) -> None:
    """Child process: serve one GGUF of ``size_mb`` MB until stdin closes."""
    from fakehub import FakeHub, make_gguf

    hub = FakeHub()
    hub.faults.throttle_bps = int(throttle_mbps * 1e6) or None
    hub.add_repo(REPO, {FILE: make_gguf(size_mb * 1000**2)})
    hub.start()
    print(hub.url, flush=True)
    sys.stdin.read()
    hub.stop()


@contextmanager
def fake_hub(size_mb: int, throttle_mbps: float = 0) -> Iterator[str]:
    """Run the fake Hub in a child process; yields its URL."""
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--size-mb", str(size_mb),
                               "--throttle-mbps", str(throttle_mbps)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    try:
        yield server.stdout.readline().strip()
    finally:
        server.stdin.close()
        server.wait(10)


def bench_job(url: str, target: Path) -> tuple[float, int, float]:
    """(seconds, progress callbacks, callbacks per second) for one DownloadJob run."""
    from openchat_desktop.core.downloader import DownloadJob
    from openchat_desktop.core.hub import HubClient

    calls: list[float] = []
    client = HubClient(endpoint=url)
    started = time.perf_counter()
    DownloadJob(client, REPO, FILE, target).run(lambda p: calls.append(time.perf_counter()))
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed, len(calls), len(calls) / elapsed


def bench_curl(url: str, target: Path, with_hash: bool) -> float:
    """Seconds for curl to fetch the file (optionally plus sha256sum, as we hash too)."""
    started = time.perf_counter()
    subprocess.run(["curl", "-sf", "-o", str(target), f"{url}/{REPO}/resolve/main/{FILE}"],
                   check=True)
    if with_hash:
        subprocess.run(["sha256sum", str(target)], check=True, capture_output=True)
    return time.perf_counter() - started


def bench_listing(home: Path) -> tuple[float, float, int]:
    """(catalog ms, list_installed ms, models) with 60 downloads and a 20-repo HF cache."""
    from openchat_desktop.core.catalog import load_catalog
    from openchat_desktop.core.model_library import download_target, list_installed

    os.environ["OPENCHAT_HOME"] = str(home)
    os.environ["HF_HUB_CACHE"] = str(home / "hf")
    for index in range(60):
        path = download_target(f"owner{index % 6}/Repo{index}-GGUF", f"m{index}.Q4_K_M.gguf")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"GGUF")
    for index in range(20):
        snap = home / "hf" / f"models--org--Repo{index}" / "snapshots" / "abc"
        snap.mkdir(parents=True)
        (snap / f"c{index}.gguf").write_bytes(b"GGUF")
        (snap / "model.safetensors").write_bytes(b"x")
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        load_catalog()
    catalog_ms = (time.perf_counter() - started) / runs * 1000
    started = time.perf_counter()
    for _ in range(runs):
        count = len(list_installed())
    return catalog_ms, (time.perf_counter() - started) / runs * 1000, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--throttle-mbps", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.size_mb, args.throttle_mbps)
    work = Path(tempfile.mkdtemp(prefix="openchat-bench-"))
    os.environ["OPENCHAT_HOME"] = str(work / "home")
    try:
        size = args.size_mb * 1000**2
        with fake_hub(args.size_mb) as url:
            ours, calls, rate = bench_job(url, work / "ours.gguf")
            curl = bench_curl(url, work / "curl.gguf", with_hash=False)
            curl_hash = bench_curl(url, work / "curl2.gguf", with_hash=True)
        with fake_hub(20, throttle_mbps=5) as url:  # ~4 s: long enough to see the rate
            slow, slow_calls, slow_rate = bench_job(url, work / "slow.gguf")
        catalog_ms, list_ms, models = bench_listing(work / "listing")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mb = size / 1e6
    print(f"file: {mb:.0f} MB over loopback from the fake Hub (separate process)")
    print(f"DownloadJob (range GET + SHA-256 + GGUF check): {ours:.2f} s = {mb / ours:.0f} MB/s")
    print(f"curl -o:                                     {curl:.2f} s = {mb / curl:.0f} MB/s")
    print(f"curl -o + sha256sum:                         {curl_hash:.2f} s = "
          f"{mb / curl_hash:.0f} MB/s")
    print(f"throughput ratio ours/curl: {curl / ours:.2f} (ours/curl+sha256sum: "
          f"{curl_hash / ours:.2f})")
    print(f"progress callbacks: {calls} in {ours:.2f} s = {rate:.1f}/s (all of them state "
          "changes)")
    print(f"progress callbacks, 20 MB at 5 MB/s: {slow_calls} in {slow:.2f} s = "
          f"{slow_rate:.2f}/s (limit 4/s plus ~4 state changes)")
    print(f"load_catalog(): {catalog_ms:.2f} ms; list_installed() with {models} models "
          f"(60 downloads, 20 HF-cache repos, starter): {list_ms:.2f} ms")


if __name__ == "__main__":
    main()
