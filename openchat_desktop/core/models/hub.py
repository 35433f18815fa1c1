"""Hugging Face Hub access: search, file lists, file metadata and raw byte ranges.

The only module of the app that imports ``huggingface_hub``. It is used for what it does
well: endpoint and token handling, metadata calls and error parsing. The byte transfer itself
is a plain HTTP range request (``http_range``, used by ``downloader``), because
huggingface_hub no longer resumes partial files across calls, and its Xet transfers can
neither be cancelled nor sent through a mirror.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, OfflineModeIsEnabled
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from openchat_desktop.core.errors import HubError
from openchat_desktop.core.models.http_range import RangeResponse, RangeTransport
from openchat_desktop.core.models.hub_errors import (
    HubOfflineError,
    TransientHubError,
    interrupted_error,
    offline_error,
    status_error,
)

try:  # huggingface_hub 2.x ships httpx2; 1.x used httpx, with the same API
    import httpx2 as httpx
except ImportError:  # pragma: no cover - depends on the installed huggingface_hub
    import httpx  # type: ignore[no-redef]

DEFAULT_ENDPOINT = "https://huggingface.co"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

__all__ = ["DEFAULT_ENDPOINT", "HubClient", "HubOfflineError", "RangeResponse", "RemoteFile",
           "RepoHit", "TransientHubError", "resolve_endpoint"]


def resolve_endpoint(explicit: str | None = None) -> str:
    """The Hub address: the app setting, else ``$HF_ENDPOINT``, else huggingface.co."""
    chosen = (explicit or "").strip() or os.environ.get("HF_ENDPOINT", "").strip()
    return (chosen or DEFAULT_ENDPOINT).rstrip("/")


@dataclass(frozen=True)
class RepoHit:
    """One search result: a model repository."""

    repo_id: str
    downloads: int
    likes: int
    updated: datetime | None
    gated: bool = False


@dataclass(frozen=True)
class RemoteFile:
    """A file on the Hub. ``sha256`` is the LFS hash, when the Hub gave one."""

    repo: str
    path: str
    size: int | None
    sha256: str | None = None
    commit: str | None = None
    url: str | None = None
    etag: str | None = None

    @property
    def spec(self) -> str:
        """``owner/repo:file``."""
        return f"{self.repo}:{self.path}"


class HubClient:
    """Talks to one Hub endpoint (or mirror) with an optional token and proxy.

    Thread-safe: the GUI calls it from worker threads and a download queue shares it.
    """

    def __init__(self, endpoint: str | None = None, token: str | None = None,
                 proxy: str | None = None, timeout: float = 30.0) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        self.timeout = timeout
        self.proxy = proxy or None
        # huggingface_hub would send the token saved by `hf auth login` to any endpoint;
        # only the real Hub gets it, a mirror gets only a token given explicitly.
        self._token: str | bool | None = token or (
            None if self.endpoint == DEFAULT_ENDPOINT else False)
        _configure_session(self.proxy)
        self._api = HfApi(endpoint=self.endpoint, token=self._token)
        # Transfers have their own connections: the shared huggingface_hub session gets
        # closed by its retry logic on connection errors, which would kill a download.
        self._ranges = RangeTransport(self.endpoint, self.proxy, timeout, _tls_context)

    def close(self) -> None:
        """Release the client (each transfer closes its own connection when it ends)."""

    def search(self, query: str, limit: int = 30) -> list[RepoHit]:
        """GGUF model repositories matching ``query``, most downloaded first."""
        params: dict[str, Any] = {"search": query, "filter": "gguf", "sort": "downloads",
                                  "limit": max(1, limit)}
        # One request rather than HfApi.list_models, whose paginator retries a refused
        # connection for ~25 s: offline, the search box should fail at once.
        with self._translated(f"search {query!r}"):
            response = get_session().get(f"{self.endpoint}/api/models", params=params,
                                         headers=self._headers(), timeout=self.timeout)
            hf_raise_for_status(response)
            infos = [ModelInfo(**{"siblings": None, **item}) for item in response.json()]
        return [RepoHit(info.id, int(info.downloads or 0), int(info.likes or 0),
                        info.last_modified, bool(info.gated)) for info in infos[:limit]]

    def list_gguf_files(self, repo: str, revision: str = "main") -> list[RemoteFile]:
        """Every ``.gguf`` file of ``repo`` with its size and LFS SHA-256."""
        with self._translated(repo):
            info = self._api.model_info(repo, revision=revision, files_metadata=True,
                                        timeout=self.timeout)
        files = []
        for sibling in info.siblings or []:
            if not sibling.rfilename.lower().endswith(".gguf"):
                continue
            lfs = sibling.lfs
            size = sibling.size if sibling.size is not None else (lfs.size if lfs else None)
            files.append(RemoteFile(repo, sibling.rfilename, size,
                                    lfs.sha256 if lfs else None, info.sha))
        return sorted(files, key=lambda item: item.path.lower())

    def file_metadata(self, repo: str, filename: str, revision: str = "main") -> RemoteFile:
        """Size, SHA-256, commit and download address of one file."""
        url = hf_hub_url(repo, filename, revision=revision, endpoint=self.endpoint)
        with self._translated(f"{repo}/{filename}"):
            meta = get_hf_file_metadata(url, token=self._token, timeout=self.timeout,
                                        endpoint=self.endpoint)
        etag = (meta.etag or "").lower() or None
        sha = etag if etag and _SHA256_RE.match(etag) else None
        pinned = meta.commit_hash or revision
        return RemoteFile(repo, filename, meta.size, sha, meta.commit_hash,
                          hf_hub_url(repo, filename, revision=pinned, endpoint=self.endpoint),
                          meta.etag)

    @contextmanager
    def open_range(self, url: str, start: int, what: str) -> Iterator[RangeResponse]:
        """GET ``url`` from byte ``start`` on, following redirects; raises HubErrors only.

        Statuses below 400, and 416, are handed to the caller, who decides what they mean.
        The body comes through ``readinto``: one socket read per call, for a prompt pause.
        """
        headers = self._headers()
        headers["Accept-Encoding"] = "identity"  # byte offsets must be those of the file
        if start > 0:
            headers["Range"] = f"bytes={start}-"
        with self._ranges.open(url, headers, what) as response:
            yield response

    def _headers(self) -> dict[str, str]:
        return build_hf_headers(token=self._token, library_name="openchat-desktop")

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """Turn huggingface_hub and HTTP exceptions into one-line HubErrors."""
        try:
            yield
        except OfflineModeIsEnabled as exc:
            raise HubOfflineError("Hugging Face offline mode is on (HF_HUB_OFFLINE); "
                                  "unset it to search and download") from exc
        except HfHubHTTPError as exc:
            response = exc.response
            raise status_error(response.status_code, response.headers, what) from exc
        except HFValidationError as exc:
            raise HubError(f"Not a valid Hugging Face name: {what}") from exc
        except httpx.ProxyError as exc:
            raise HubOfflineError(f"The proxy {self.proxy} refused the connection") from exc
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise offline_error(self.endpoint, self.proxy) from exc
        except httpx.TimeoutException as exc:
            raise interrupted_error(self.endpoint, timed_out=True) from exc
        except httpx.HTTPError as exc:
            raise interrupted_error(self.endpoint, timed_out=False) from exc
        except (ValueError, KeyError, TypeError) as exc:  # an answer that is not the JSON
            raise HubError(f"Unexpected answer from {self.endpoint} about {what}") from exc


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """The certificates httpx (and so huggingface_hub) trusts; built once, on first use."""
    return httpx.create_ssl_context()


_session_proxy: str | None = None


def _configure_session(proxy: str | None) -> None:
    """Route huggingface_hub's shared HTTP session through ``proxy`` (process-wide)."""
    global _session_proxy
    if proxy == _session_proxy:
        return
    from huggingface_hub import set_client_factory

    _session_proxy = proxy
    set_client_factory(lambda: httpx.Client(proxy=proxy, follow_redirects=True, timeout=None))
