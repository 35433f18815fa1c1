"""Human-readable sizes, speeds and durations for progress lines and model lists."""

from __future__ import annotations

import math

_UNITS = ("B", "KB", "MB", "GB", "TB")


def format_size(num_bytes: float) -> str:
    """``1536000000`` gives ``"1.5 GB"`` (decimal units, as the Hub and file managers use)."""
    value = float(max(0.0, num_bytes))
    unit = 0
    while value >= 1000 and unit < len(_UNITS) - 1:
        value /= 1000
        unit += 1
    if unit == 0:
        return f"{int(value)} B"
    return f"{value:.1f} {_UNITS[unit]}" if value < 100 else f"{value:.0f} {_UNITS[unit]}"


def format_gb(num_bytes: float) -> str:
    """Bytes as gigabytes with one decimal, for disk-space messages: ``"4.4 GB"``."""
    return f"{max(0.0, num_bytes) / 1e9:.1f} GB"


def format_speed(bytes_per_second: float) -> str:
    """``"12.3 MB/s"``; a dash before the first measurement."""
    if bytes_per_second <= 0 or math.isnan(bytes_per_second):
        return "-- B/s"
    return f"{format_size(bytes_per_second)}/s"


def format_duration(seconds: float | None) -> str:
    """``"1:02:03"``, ``"4:05"``, or ``"--:--"`` when unknown."""
    if seconds is None or seconds < 0 or math.isinf(seconds) or math.isnan(seconds):
        return "--:--"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
