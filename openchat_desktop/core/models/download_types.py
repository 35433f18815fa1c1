"""Plain data shared by the downloader, the download queue and their front-ends."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

# Kept free on the target disk beyond the file itself, so a download never fills it up.
FREE_SPACE_MARGIN = 200 * 1000**2


class DownloadState(str, enum.Enum):
    """Where a download stands."""

    QUEUED = "queued"
    STARTING = "starting"
    DOWNLOADING = "downloading"
    RETRYING = "retrying"
    VERIFYING = "verifying"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """True for states after which ``run`` has returned or raised."""
        return self in (DownloadState.PAUSED, DownloadState.CANCELLED, DownloadState.DONE,
                        DownloadState.FAILED)


@dataclass(frozen=True)
class DownloadProgress:
    """One progress report. ``speed`` is smoothed (bytes/s); ``eta`` in seconds or None."""

    bytes_done: int
    total: int | None
    speed: float
    eta: float | None
    state: DownloadState
    message: str = ""

    @property
    def fraction(self) -> float | None:
        """Share done, 0.0 to 1.0; None while the size is unknown."""
        if not self.total:
            return None
        return min(1.0, self.bytes_done / self.total)


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: waits base, 2*base, 4*base... capped at ``max_delay``.

    ``max_tries`` counts attempts in a row that brought no new bytes; any progress resets it,
    so a long download over a flaky line keeps going while a dead server fails in ~30 s.
    """

    max_tries: int = 6
    base_delay: float = 1.0
    max_delay: float = 16.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure in a row (1-based)."""
        return float(min(self.max_delay, self.base_delay * 2 ** max(0, failures - 1)))


class SpeedMeter:
    """Exponentially smoothed transfer speed, so the ETA does not jump about."""

    SMOOTHING = 0.3  # weight of the newest sample

    def __init__(self) -> None:
        self.speed = 0.0
        self._bytes = 0
        self._time: float | None = None

    def restart(self, bytes_done: int) -> None:
        """Start measuring from ``bytes_done`` (bytes already on disk are not speed)."""
        self._bytes, self._time = bytes_done, None

    def sample(self, bytes_done: int, now: float) -> float:
        """Feed the byte count at time ``now``; returns the smoothed speed."""
        if self._time is None:
            self._bytes, self._time = bytes_done, now
            return self.speed
        elapsed = now - self._time
        if elapsed >= 0.05:
            current = max(0, bytes_done - self._bytes) / elapsed
            weight = self.SMOOTHING if self.speed else 1.0
            self.speed = weight * current + (1 - weight) * self.speed
            self._bytes, self._time = bytes_done, now
        return self.speed
