"""What every benchmark script reports: median/min/max of a figure, printed and as JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path


def spread(name: str, values: Sequence[float]) -> dict[str, float]:
    """``name`` (the median of ``values``), ``name_min`` and ``name_max``."""
    return {name: statistics.median(values), f"{name}_min": min(values),
            f"{name}_max": max(values)}


def report(figures: dict[str, float], json_path: Path | None) -> None:
    """Print one figure a line; write them all to ``json_path`` when given."""
    for key, value in figures.items():
        print(f"{key:30} {value:10.3f}")
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2))
