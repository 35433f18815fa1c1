"""A download found unfinished on disk at start-up, which waits for the user to resume it."""

from __future__ import annotations

import threading
from typing import Any

from openchat_desktop.core.models.download_types import (
    DownloadProgress,
    DownloadState,
    ProgressCallback,
)
from openchat_desktop.core.models.downloader import DownloadJob
from openchat_desktop.core.models.hub import HubClient
from openchat_desktop.core.models.partial import PendingDownload


class HeldJob(DownloadJob):
    """A resumable job whose first ``run`` only reports it paused, with its bytes so far.

    The queue starts whatever is added to it; holding the first run back means opening the
    app never touches the network (nor fails offline) until the user presses Resume.
    """

    def __init__(self, client: HubClient, pending: PendingDownload, **options: Any) -> None:
        info = pending.info
        super().__init__(client, info.repo, info.filename, pending.target,
                         revision=info.revision or "main", **options)
        self._held: DownloadProgress | None = DownloadProgress(
            pending.bytes_done, info.size, 0.0, None, DownloadState.PAUSED)

    def run(self, progress: ProgressCallback | None = None,
            pause_event: threading.Event | None = None,
            cancel_event: threading.Event | None = None) -> DownloadState:
        """The first call reports PAUSED and returns; later calls download."""
        held, self._held = self._held, None
        if held is None:
            return super().run(progress, pause_event, cancel_event)
        if progress is not None:
            progress(held)
        return DownloadState.PAUSED
