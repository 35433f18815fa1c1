"""Short human texts the widgets show: reply statistics, times, sizes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

Tr = Callable[[str], str]


def reply_stats(meta: Mapping[str, Any], tr: Tr) -> str:
    """"0.31 s to first token · 42.0 tok/s · 128 tokens · model" from a reply's meta."""
    parts: list[str] = []
    ttft = meta.get("ttft_seconds")
    if isinstance(ttft, (int, float)) and ttft > 0:
        parts.append(tr("{seconds:.2f} s to first token").format(seconds=ttft))
    speed = meta.get("tokens_per_second")
    if isinstance(speed, (int, float)) and speed > 0:
        parts.append(tr("{speed:.1f} tok/s").format(speed=speed))
    count = meta.get("generated_tokens")
    thinking = meta.get("thinking_tokens")
    if isinstance(thinking, int) and thinking > 0 and isinstance(count, int):
        parts.append(tr("{thinking} thinking + {answer} answer tokens").format(
            thinking=thinking, answer=max(0, count - thinking)))
    elif isinstance(count, int) and count > 0:
        parts.append(tr("{count} tokens").format(count=count))
    model = meta.get("model")
    if isinstance(model, str) and model:
        parts.append(model)
    if meta.get("stop_reason") == "stopped":
        parts.append(tr("stopped"))
    elif meta.get("stop_reason") == "length":
        parts.append(tr("reached the length limit"))
    return " · ".join(parts)


def when(timestamp: float, tr: Tr, now: float | None = None) -> str:
    """"14:05" today, "Yesterday", else the date: what the conversation list shows."""
    now = time.time() if now is None else now
    local, today = time.localtime(timestamp), time.localtime(now)
    if local[:3] == today[:3]:
        return time.strftime("%H:%M", local)
    if local[:3] == time.localtime(now - 86400)[:3]:
        return tr("Yesterday")
    return time.strftime("%Y-%m-%d", local)


def count_messages(count: int, tr: Tr) -> str:
    return tr("1 message") if count == 1 else tr("{count} messages").format(count=count)


def safe_file_stem(title: str) -> str:
    """A title turned into a file name that every platform accepts."""
    cleaned = "".join(ch if ch.isalnum() or ch in " -_." else "_" for ch in title).strip(" .")
    return cleaned[:60] or "conversation"
