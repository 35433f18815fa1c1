"""What every route shares: the model's owner, the model directory, the defaults, counters."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.server.config import ServerConfig

if TYPE_CHECKING:
    from openchat_desktop.server.model_ids import ModelDirectory
    from openchat_desktop.server.streams import ModelOwner

# Called with (requests served, requests waiting or running) whenever either changes.
ActivityCallback = Callable[[int, int], None]


@dataclass
class ServerState:
    """``sampling`` holds the defaults a request does not override (the app's settings)."""

    config: ServerConfig
    owner: ModelOwner
    directory: ModelDirectory
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    on_activity: ActivityCallback | None = None
    served: int = 0
    active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    _stops: set[threading.Event] = field(default_factory=set, repr=False)

    def begin(self, stop: threading.Event) -> None:
        """A request for the model starts; ``stop`` ends its job (see ``stop_all``)."""
        with self._lock:
            self.active += 1
            self._stops.add(stop)
        self._report()

    def end(self, stop: threading.Event) -> None:
        with self._lock:
            self.active -= 1
            self.served += 1
            self._stops.discard(stop)
        self._report()

    def stop_all(self) -> None:
        """Stop every running or waiting job (the server is stopping): their responses end
        at once instead of holding the shutdown up."""
        with self._lock:
            stops = list(self._stops)
        for stop in stops:
            stop.set()

    def _report(self) -> None:
        if self.on_activity is not None:
            self.on_activity(self.served, self.active)
