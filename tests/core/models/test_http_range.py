"""The range transport (core/models/http_range.py): redirects, proxies, TLS, chunked bodies."""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FILE, REPO, TOKEN, FakeHub
from fakeproxy import FakeProxy

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models.download_types import DownloadState, RetryPolicy
from openchat_desktop.core.models.downloader import DownloadJob
from openchat_desktop.core.models.http_range import RangeResponse, RangeTransport
from openchat_desktop.core.models.hub import HubClient
from openchat_desktop.core.models.hub_errors import HubOfflineError, TransientHubError

NO_WAIT = RetryPolicy(max_tries=4, base_delay=0.0, max_delay=0.0)


def body(response: RangeResponse, size: int = 1 << 20) -> bytes:
    buffer, data = memoryview(bytearray(size)), bytearray()
    while count := response.readinto(buffer):
        data += buffer[:count]
    return bytes(data)


def auth_of(headers: dict[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)


@pytest.fixture
def cdn(model_bytes: bytes) -> Iterator[FakeHub]:
    """A second server with the same files: where the Hub redirects downloads."""
    hub = FakeHub()
    hub.add_repo(REPO, {FILE: model_bytes})
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture
def reset_session(fake_hub: FakeHub) -> Iterator[None]:
    """A proxy set on a HubClient is process-wide for huggingface_hub: undo it after."""
    yield
    HubClient(endpoint=fake_hub.url).close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_another_server_drops_the_token(
        fake_hub: FakeHub, cdn: FakeHub, token_client: HubClient, model_bytes: bytes,
        tmp_path: Path, status: int) -> None:
    fake_hub.redirect_to, fake_hub.redirect_status = cdn.url + "/cdn", status
    target = tmp_path / "m.gguf"
    assert DownloadJob(token_client, REPO, FILE, target, retry=NO_WAIT).run() \
        is DownloadState.DONE
    assert target.read_bytes() == model_bytes
    hub_get = [h for m, _, h in fake_hub.requests if m == "GET"]
    cdn_get = [(p, h) for m, p, h in cdn.requests if m == "GET"]
    assert auth_of(hub_get[-1]) == f"Bearer {TOKEN}"
    assert cdn_get and cdn_get[-1][0].startswith("/cdn/")
    assert auth_of(cdn_get[-1][1]) is None


def test_relative_redirect_on_the_same_server_keeps_the_token(
        fake_hub: FakeHub, token_client: HubClient, model_bytes: bytes) -> None:
    fake_hub.redirect_to = "/cdn"
    url = f"{fake_hub.url}/{REPO}/resolve/main/{FILE}"
    with token_client.open_range(url, 1000, FILE) as response:
        assert response.status == 206
        assert body(response) == model_bytes[1000:]
    cdn_get = [h for m, p, h in fake_hub.requests if m == "GET" and p.startswith("/cdn/")]
    assert auth_of(cdn_get[-1]) == f"Bearer {TOKEN}"
    assert cdn_get[-1]["Range"] == "bytes=1000-"


def test_redirect_loop_is_a_clear_error(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.redirect_to = fake_hub.url
    with pytest.raises(HubError, match=r"^Too many redirects while downloading x/y "
                                       r"\(more than 10\)$"), \
            client.open_range(f"{fake_hub.url}/{REPO}/resolve/main/{FILE}", 0, "x/y"):
        pass
    assert len(fake_hub.requests) == 11


def test_reads_take_what_one_socket_read_gives(fake_hub: FakeHub, client: HubClient) -> None:
    fake_hub.faults.throttle_bps = 1_000_000  # 64 KB blocks, 1 MB/s
    url = f"{fake_hub.url}/{REPO}/resolve/main/{FILE}"
    with client.open_range(url, 0, FILE) as response:
        started = time.monotonic()
        count = response.readinto(memoryview(bytearray(1 << 20)))
        assert 0 < count <= 128 * 1024
        assert time.monotonic() - started < 0.5


def test_stalled_body_times_out_as_transient(fake_hub: FakeHub) -> None:
    fake_hub.faults.throttle_bps = 100_000  # one 64 KB block, then 0.65 s of silence
    client = HubClient(endpoint=fake_hub.url, timeout=0.2)
    buffer = memoryview(bytearray(1 << 20))
    with pytest.raises(TransientHubError, match=r"stopped answering \(timed out\)$"), \
            client.open_range(f"{fake_hub.url}/{REPO}/resolve/main/{FILE}", 0, FILE) as response:
        while response.readinto(buffer):
            pass


def test_chunked_body_downloads(fake_hub: FakeHub, client: HubClient, model_bytes: bytes,
                                tmp_path: Path) -> None:
    fake_hub.faults.chunked = True
    target = tmp_path / "m.gguf"
    assert DownloadJob(client, REPO, FILE, target, retry=NO_WAIT).run() is DownloadState.DONE
    assert target.read_bytes() == model_bytes


def test_download_goes_through_an_http_proxy(
        fake_hub: FakeHub, model_bytes: bytes, tmp_path: Path, reset_session: None) -> None:
    proxy = FakeProxy(credentials="user:p@ss")
    address = proxy.url.replace("://", "://user:p%40ss@")
    client = HubClient(endpoint=fake_hub.url, proxy=address, timeout=5.0)
    target = tmp_path / "m.gguf"
    try:
        assert DownloadJob(client, REPO, FILE, target, retry=NO_WAIT).run() \
            is DownloadState.DONE
    finally:
        client.close()
        proxy.stop()
    assert target.read_bytes() == model_bytes
    gets = [(path, headers) for method, path, headers in proxy.requests if method == "GET"]
    assert gets[-1][0] == f"{fake_hub.url}/{REPO}/resolve/{fake_hub.repos[REPO].commit}/{FILE}"
    assert gets[-1][1]["Proxy-Authorization"] == "Basic " + base64.b64encode(
        b"user:p@ss").decode()
    assert all("Proxy-Authorization" not in headers for _, _, headers in fake_hub.requests)


def test_proxy_from_the_environment_unless_bypassed(
        fake_hub: FakeHub, model_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = FakeProxy()
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    transport = RangeTransport(fake_hub.url, None, 5.0, ssl.create_default_context)
    url = f"{fake_hub.url}/{REPO}/resolve/main/{FILE}"
    try:
        with transport.open(url, {}, FILE) as response:
            assert body(response) == model_bytes
        assert [p for m, p, _ in proxy.requests] == [url]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with transport.open(url, {}, FILE) as response:
            assert body(response) == model_bytes
        assert len(proxy.requests) == 1
    finally:
        proxy.stop()


def test_unsupported_proxy_type_is_one_clear_line(fake_hub: FakeHub,
                                                  reset_session: None) -> None:
    client = HubClient(endpoint=fake_hub.url, proxy="socks5://127.0.0.1:1080")
    with pytest.raises(HubError) as caught, \
            client.open_range(f"{fake_hub.url}/{REPO}/resolve/main/{FILE}", 0, FILE):
        pass
    assert str(caught.value) == ("The proxy type socks5:// is not supported for downloads; "
                                 "use an http:// proxy")
    assert fake_hub.requests == []


def test_proxy_refusing_the_tunnel_is_offline(fake_hub: FakeHub) -> None:
    proxy = FakeProxy(credentials="user:secret")
    transport = RangeTransport("https://hub.example", proxy.url, 5.0, ssl.create_default_context)
    try:
        with pytest.raises(HubOfflineError, match=r"^The proxy http://127\.0\.0\.1:\d+ refused "
                                                  r"the connection \(407 Proxy Authentication"), \
                transport.open("https://hub.example/a/b/resolve/main/c.gguf", {}, "a/b/c"):
            pass
    finally:
        proxy.stop()
    assert proxy.requests[0][:2] == ("CONNECT", "hub.example:443")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_hub(model_bytes: bytes, tls_files: tuple[Path, Path]) -> Iterator[FakeHub]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(*tls_files)
    hub = FakeHub()
    hub.add_repo(REPO, {FILE: model_bytes})
    hub.start(tls=server)
    yield hub
    hub.stop()


def test_https_through_a_connect_tunnel(tls_hub: FakeHub, tls_files: tuple[Path, Path],
                                        model_bytes: bytes) -> None:
    proxy = FakeProxy()
    trusting = ssl.create_default_context(cafile=str(tls_files[0]))
    transport = RangeTransport(tls_hub.url, proxy.url, 5.0, lambda: trusting)
    try:
        with transport.open(f"{tls_hub.url}/{REPO}/resolve/main/{FILE}",
                            {"Range": "bytes=10-"}, FILE) as response:
            assert response.status == 206
            assert body(response) == model_bytes[10:]
    finally:
        proxy.stop()
    assert proxy.requests[0][:2] == ("CONNECT", tls_hub.url.removeprefix("https://"))
    assert tls_hub.requests[-1][1] == f"/{REPO}/resolve/main/{FILE}"


def test_untrusted_certificate_is_refused(tls_hub: FakeHub) -> None:
    transport = RangeTransport(tls_hub.url, None, 5.0, ssl.create_default_context)
    with pytest.raises(HubOfflineError, match=f"^No connection to {tls_hub.url}"), \
            transport.open(f"{tls_hub.url}/{REPO}/resolve/main/{FILE}", {}, FILE):
        pass
    assert tls_hub.requests == []
