"""Plain settings objects the engine takes: how to load a model and how to sample a reply."""

from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from openchat_desktop.core.settings_schema import AUTO, SEED_RANDOM

MAX_DEFAULT_CTX = 4096


@dataclass(frozen=True)
class SamplingSettings:
    """Sampling for one reply. Defaults are the seed program's (temperature 0.8, seed 299792458,
    repeat penalty 1.1 over the last 64 tokens, at most 1000 tokens)."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    repeat_last_n: int = 64
    max_tokens: int = 1000
    seed: int = 299792458

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SamplingSettings:
        """Build from a dict (extra keys ignored), e.g. ``settings.section("sampling")``."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def effective_seed(self) -> int:
        """The seed to use: a fresh random one when the setting is -1."""
        return random.randrange(2**31) if self.seed == SEED_RANDOM else self.seed

    def with_changes(self, **changes: Any) -> SamplingSettings:
        return replace(self, **changes)


@dataclass(frozen=True)
class LoadSettings:
    """How to load a model. ``ctx_size`` 0 = the model's trained context capped at 4096;
    ``n_gpu_layers`` -1 = all layers when the build can offload, else 0; ``threads`` 0 = the
    number of physical cores; ``kv_cache_type`` one of ``settings_schema.KV_CACHE_TYPES``
    (a quantized V cache needs flash attention: without it V stays f16); ``grow_context``
    starts a CPU model with a small KV cache that grows as the conversation needs it, up to
    the context size (off, or on a GPU: the whole cache is reserved at load)."""

    model_path: Path
    ctx_size: int = 0
    n_gpu_layers: int = AUTO
    threads: int = 0
    flash_attn: bool = True
    n_batch: int = 512
    kv_cache_type: str = "f16"
    grow_context: bool = True

    def resolved_threads(self) -> int:
        return self.threads if self.threads > 0 else physical_cores()

    def resolved_ctx(self, trained: int | None) -> int:
        if self.ctx_size > 0:
            return self.ctx_size
        return min(trained or MAX_DEFAULT_CTX, MAX_DEFAULT_CTX)


def physical_cores() -> int:
    """Physical core count (OpenMP threads beyond it slow llama.cpp down, never up)."""
    try:
        import psutil

        count = psutil.cpu_count(logical=False)
    except ImportError:
        count = None
    return max(1, count or os.cpu_count() or 1)
