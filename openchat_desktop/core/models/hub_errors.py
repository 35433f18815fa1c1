"""One-line messages for everything that can go wrong talking to the Hub.

Kept apart from ``hub`` so that the downloader, the CLI and the GUI can name these errors
without importing huggingface_hub.
"""

from __future__ import annotations

from collections.abc import Mapping

from openchat_desktop.core.errors import HubError

GATED_MESSAGE = ("This model is gated or private: add a Hugging Face access token in Settings "
                 "(and accept the licence on the model page)")
_MAX_SERVER_TEXT = 200


class HubOfflineError(HubError):
    """The Hub (or mirror, or proxy) cannot be reached at all: no network, DNS, refused."""


class TransientHubError(HubError):
    """A failure worth retrying: a dropped connection, a timeout, HTTP 5xx or 429."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def server_text(headers: Mapping[str, str]) -> str:
    """The Hub's own ``X-Error-Message``, flattened to one short line ('' when absent)."""
    text = " ".join(str(headers.get("X-Error-Message", "") or "").split())
    return text[:_MAX_SERVER_TEXT].rstrip(". ")


def status_error(status: int, headers: Mapping[str, str], what: str) -> HubError:
    """The HubError for an HTTP error answer about ``what`` (``owner/repo/file``)."""
    code = str(headers.get("X-Error-Code", "") or "")
    detail = server_text(headers)
    if code == "GatedRepo" or (status in (401, 403) and code != "RepoNotFound"):
        return HubError(GATED_MESSAGE)
    if code == "RepoNotFound":
        # The Hub answers 401 for a private repo and for one that does not exist.
        return HubError(f"Not found on the Hub: {what} (if it is private, add an access "
                        "token in Settings)")
    if code == "RevisionNotFound":
        return HubError(f"Not found on the Hub: {what} (no such branch, tag or commit)")
    if status == 404 or code == "EntryNotFound":
        return HubError(f"Not found on the Hub: {what}")
    if status == 429:
        return TransientHubError("The Hub is limiting requests (HTTP 429); try again in a "
                                 "minute", status)
    suffix = f": {detail}" if detail else ""
    if status >= 500:
        return TransientHubError(f"The Hub server failed (HTTP {status}); try again later"
                                 f"{suffix}", status)
    return HubError(f"The Hub refused the request for {what} (HTTP {status}){suffix}")


def offline_error(endpoint: str, proxy: str | None = None) -> HubOfflineError:
    """The error for a connection that could not be opened at all."""
    via = f" through the proxy {proxy}" if proxy else ""
    return HubOfflineError(f"No connection to {endpoint}{via}: check the network, or set a "
                           "mirror in Settings")


def interrupted_error(endpoint: str, timed_out: bool) -> TransientHubError:
    """The error for a connection that opened but then stalled or broke."""
    if timed_out:
        return TransientHubError(f"{endpoint} stopped answering (timed out)")
    return TransientHubError(f"The connection to {endpoint} was interrupted")
