"""Download throughput against a local Hub look-alike, compared with curl; listing timings.

Not a test: it prints figures. Run from the repository root:

    .venv/bin/python benchmarks/bench_download.py [--size-mb 200] [--runs 5] [--ratio-only]

The fake Hub (tests/fakehub.py) runs in its own process so that it does not share the GIL
with the downloader being measured; curl fetches the very same URL. Unthrottled, three busy
things share the cores (server, receiver, SHA-256) where curl has two; the second ratio caps
the server at 1 Gbit/s, a fast real connection, where hashing keeps up with the data.
``sha256_mb_per_s`` is hashlib alone on data already in memory: no download that verifies as
it goes can be faster than that, whatever the link.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from figures import best_ratio, spread

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
REPO, FILE = "bench/Bench-GGUF", "bench.Q4_K_M.gguf"
LINK_MBPS = 125  # 1 Gbit/s: faster than most people's connection to the Hub


def serve(size_mb: int, throttle_mbps: float) -> None:
    """Child process: serve one GGUF of ``size_mb`` MB until stdin closes."""
    from fakehub import FakeHub, make_gguf

    hub = FakeHub()
    hub.faults.throttle_bps = int(throttle_mbps * 1e6) or None
    data = make_gguf(size_mb * 1000**2)
    repo = hub.add_repo(REPO, {FILE: data})
    # The fake hashes the whole file on every request to compute its ETag; the real Hub does
    # not, and here it would bill ~0.1 s per 100 MB of server time to whoever asks more often.
    digest = hashlib.sha256(data).hexdigest()
    repo.sha256 = lambda path: digest
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
    from openchat_desktop.core.models.downloader import DownloadJob
    from openchat_desktop.core.models.hub import HubClient

    calls: list[float] = []
    client = HubClient(endpoint=url)
    started = time.perf_counter()
    DownloadJob(client, REPO, FILE, target).run(lambda p: calls.append(time.perf_counter()))
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed, len(calls), len(calls) / elapsed


def hash_command() -> list[str]:
    """OpenSSL's SHA-256 (which uses the CPU's SHA instructions, as hashlib does), else
    coreutils' sha256sum (which may not, and would flatter us)."""
    return ["openssl", "dgst", "-sha256"] if shutil.which("openssl") else ["sha256sum"]


def bench_curl(url: str, target: Path, with_hash: bool) -> float:
    """Seconds for curl to fetch the file (optionally then hash it, as we hash too)."""
    started = time.perf_counter()
    subprocess.run(["curl", "-sf", "-o", str(target), f"{url}/{REPO}/resolve/main/{FILE}"],
                   check=True)
    if with_hash:
        subprocess.run([*hash_command(), str(target)], check=True, capture_output=True)
    return time.perf_counter() - started


def bench_listing(home: Path) -> tuple[float, float, int]:
    """(catalog ms, list_installed ms, models) with 60 downloads and a 20-repo HF cache."""
    from openchat_desktop.core.models.catalog import load_catalog
    from openchat_desktop.core.models.library import download_target, list_installed

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


def sha256_rate(size_mb: int = 256, runs: int = 3) -> float:
    """MB/s of hashlib's SHA-256 over data already in memory, on one thread (best run)."""
    block = memoryview(os.urandom(4 * 1000**2))
    best = float("inf")
    for _ in range(runs):
        hasher, started = hashlib.sha256(), time.perf_counter()
        for _ in range(size_mb // 4):
            hasher.update(block)
        best = min(best, time.perf_counter() - started)
    return size_mb / best


def ratio_runs(size_mb: int, runs: int, work: Path) -> dict[str, float]:
    """Ours vs curl on the same URL, alternating which goes first; best over best, as for the
    other ratios (other load can only slow a run down), with the per-pair spread beside it."""
    ours, curls, hashed = [], [], []
    with fake_hub(size_mb) as url:
        # Untimed first runs: the server's page cache, and our first-use imports (the app has
        # them loaded by the time anyone downloads).
        bench_curl(url, work / "warm.gguf", with_hash=False)
        bench_job(url, work / "warm-ours.gguf")
        (work / "warm-ours.gguf").unlink()
        for run in range(runs):
            for which in (("ours", "curl") if run % 2 == 0 else ("curl", "ours")):
                if which == "ours":
                    ours.append(bench_job(url, work / f"ours{run}.gguf")[0])
                else:
                    curls.append(bench_curl(url, work / f"curl{run}.gguf", with_hash=False))
            hashed.append(bench_curl(url, work / f"curl{run}.gguf", with_hash=True))
            for name in (f"ours{run}.gguf", f"curl{run}.gguf"):
                (work / name).unlink(missing_ok=True)
    mb = size_mb * 1000**2 / 1e6
    ours_rates, curl_rates = [mb / s for s in ours], [mb / s for s in curls]
    sha256 = sha256_rate()
    return {**best_ratio("download_ratio_curl", ours_rates, curl_rates, max),
            "ours_mb_per_s": max(ours_rates), "curl_mb_per_s": max(curl_rates),
            "download_ratio_curl_then_hash": min(hashed) / min(ours),
            "sha256_mb_per_s": sha256, "download_hash_ceiling": sha256 / max(curl_rates),
            "download_file_mb": mb}


def link_ratio_runs(size_mb: int, runs: int, work: Path) -> dict[str, float]:
    """Ours vs curl when the server sends at most LINK_MBPS: a fast real connection."""
    ratios = []
    with fake_hub(size_mb, throttle_mbps=LINK_MBPS) as url:
        for _ in range(runs):
            ours = bench_job(url, work / "ours.gguf")[0]
            curl = bench_curl(url, work / "curl.gguf", with_hash=False)
            ratios.append(curl / ours)
            for name in ("ours.gguf", "curl.gguf"):
                (work / name).unlink(missing_ok=True)
    return spread("download_ratio_curl_1gbit", ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ratio-only", action="store_true",
                        help="only the ours/curl throughput ratio")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--throttle-mbps", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.size_mb, args.throttle_mbps)
    work = Path(tempfile.mkdtemp(prefix="openchat-bench-"))
    os.environ["OPENCHAT_HOME"] = str(work / "home")
    try:
        figures = {**ratio_runs(args.size_mb, args.runs, work),
                   **link_ratio_runs(args.size_mb, args.runs, work)}
        print(f"file: {figures['download_file_mb']:.0f} MB over loopback from the fake Hub "
              f"(separate process), {args.runs} runs")
        print(f"DownloadJob (range GET + SHA-256 + GGUF check): "
              f"{figures['ours_mb_per_s']:.0f} MB/s; curl -o: {figures['curl_mb_per_s']:.0f} "
              f"MB/s; ratio ours/curl {figures['download_ratio_curl']:.2f} "
              f"(min {figures['download_ratio_curl_min']:.2f}, "
              f"max {figures['download_ratio_curl_max']:.2f})")
        print(f"SHA-256 alone (hashlib, one thread, data in memory): "
              f"{figures['sha256_mb_per_s']:.0f} MB/s = {figures['download_hash_ceiling']:.2f} "
              "of curl: the most a download verified as it arrives can reach")
        print(f"with the server capped at {LINK_MBPS} MB/s (1 Gbit/s): ratio ours/curl "
              f"{figures['download_ratio_curl_1gbit']:.2f} "
              f"(min {figures['download_ratio_curl_1gbit_min']:.2f}, "
              f"max {figures['download_ratio_curl_1gbit_max']:.2f})")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        if args.ratio_only:
            return None
        extra_figures(args.size_mb, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return None


def extra_figures(size_mb: int, work: Path) -> None:
    size = size_mb * 1000**2
    with fake_hub(size_mb) as url:
        ours, calls, rate = bench_job(url, work / "ours.gguf")
        curl_hash = bench_curl(url, work / "curl2.gguf", with_hash=True)
    with fake_hub(20, throttle_mbps=5) as url:  # ~4 s: long enough to see the rate
        slow, slow_calls, slow_rate = bench_job(url, work / "slow.gguf")
    catalog_ms, list_ms, models = bench_listing(work / "listing")
    mb = size / 1e6
    print(f"curl -o, then {' '.join(hash_command())}: {mb / curl_hash:.0f} MB/s; ours/that: "
          f"{curl_hash / ours:.2f}")
    print(f"progress callbacks: {calls} in {ours:.2f} s = {rate:.1f}/s (all of them state "
          "changes)")
    print(f"progress callbacks, 20 MB at 5 MB/s: {slow_calls} in {slow:.2f} s = "
          f"{slow_rate:.2f}/s (limit 4/s plus ~4 state changes)")
    print(f"load_catalog(): {catalog_ms:.2f} ms; list_installed() with {models} models "
          f"(60 downloads, 20 HF-cache repos, starter): {list_ms:.2f} ms")


if __name__ == "__main__":
    main()
