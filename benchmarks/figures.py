"""What every benchmark script reports: median/min/max of a figure, printed and as JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path


def spread(name: str, values: Sequence[float]) -> dict[str, float]:
    """``name`` (the median of ``values``), ``name_min`` and ``name_max``."""
    return {name: statistics.median(values), f"{name}_min": min(values),
            f"{name}_max": max(values)}


def best_ratio(name: str, ours: Sequence[float], reference: Sequence[float],
               best: Callable[[Sequence[float]], float]) -> dict[str, float]:
    """``name``: the best of ``ours`` over the best of ``reference`` (``best`` is ``min`` for
    times, ``max`` for rates: other load can only slow a run down); beside it the spread of
    the run-by-run ratios as ``name_min``, ``name_max`` and ``name_runs_median``."""
    ratios = [mine / theirs for mine, theirs in zip(ours, reference, strict=True)]
    return {name: best(ours) / best(reference), f"{name}_min": min(ratios),
            f"{name}_max": max(ratios), f"{name}_runs_median": statistics.median(ratios)}


def report(figures: dict[str, float], json_path: Path | None) -> None:
    """Print one figure a line; write them all to ``json_path`` when given."""
    for key, value in figures.items():
        print(f"{key:30} {value:10.3f}")
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2))
