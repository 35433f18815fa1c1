"""Plain settings objects the engine takes: how to load a model and how to sample a reply.

Their defaults are the settings schema's (``sampling.<field>`` and ``model.<field>``), so a
default is written once; ``tests/core/test_settings.py`` ties every field to its setting.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.settings_schema import SEED_RANDOM, SETTINGS_BY_KEY

MAX_DEFAULT_CTX = 4096
log = logging.getLogger(__name__)


def _default(key: str) -> Any:
    return SETTINGS_BY_KEY[key].default


@dataclass(frozen=True)
class SamplingSettings:
    """Sampling for one reply; field ``x`` is setting ``sampling.x``. The defaults are the seed
    program's (temperature 0.8, seed 299792458, repeat penalty 1.1 over the last 64 tokens,
    at most 1000 tokens)."""

    temperature: float = _default("sampling.temperature")
    top_p: float = _default("sampling.top_p")
    top_k: int = _default("sampling.top_k")
    min_p: float = _default("sampling.min_p")
    repeat_penalty: float = _default("sampling.repeat_penalty")
    repeat_last_n: int = _default("sampling.repeat_last_n")
    max_tokens: int = _default("sampling.max_tokens")
    seed: int = _default("sampling.seed")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, strict: bool = False) -> SamplingSettings:
        """Build from a dict keyed by field name, e.g. ``settings.section("sampling")``.

        A key that is not a sampling setting is never used silently: it is left out with a
        logged warning naming it, or, with ``strict``, refused with a SettingsError.
        """
        unknown = cls.unknown_keys(values)
        if unknown:
            message = f"unknown sampling setting: {', '.join(unknown)}"
            if strict:
                raise SettingsError(message)
            log.warning("%s (ignored)", message)
        return cls(**{k: v for k, v in values.items() if k not in unknown})

    @classmethod
    def unknown_keys(cls, values: Mapping[str, Any]) -> list[str]:
        """The keys of ``values`` that are not fields, sorted."""
        known = {f.name for f in fields(cls)}
        return sorted(str(key) for key in values if key not in known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def effective_seed(self) -> int:
        """The seed to use: a fresh random one when the setting is -1."""
        return random.randrange(2**31) if self.seed == SEED_RANDOM else self.seed

    def with_changes(self, **changes: Any) -> SamplingSettings:
        return replace(self, **changes)


@dataclass(frozen=True)
class LoadSettings:
    """How to load a model; field ``x`` is setting ``model.x`` (``n_batch`` is not a setting).

    ``ctx_size`` 0 = the model's trained context capped at 4096; ``n_gpu_layers`` -1 = all
    layers when the build can offload, else 0; ``threads`` 0 = the number of physical cores;
    ``kv_cache_type`` one of ``settings_schema.KV_CACHE_TYPES`` (a quantized V cache needs
    flash attention: without it V stays f16); ``grow_context`` starts a CPU model with a small
    KV cache that grows as the conversation needs it, up to the context size (off, or on a
    GPU: the whole cache is reserved at load)."""

    model_path: Path
    ctx_size: int = _default("model.ctx_size")
    n_gpu_layers: int = _default("model.n_gpu_layers")
    threads: int = _default("model.threads")
    flash_attn: bool = _default("model.flash_attn")
    n_batch: int = 512
    kv_cache_type: str = _default("model.kv_cache_type")
    grow_context: bool = _default("model.grow_context")
    parallel_replies: int = _default("model.parallel_replies")
    parallel_shared_cache: bool = _default("model.parallel_shared_cache")

    @classmethod
    def from_values(cls, model_path: Path | str, values: Mapping[str, Any]) -> LoadSettings:
        """Load ``model_path`` with the ``model.*`` settings in ``values`` (full keys, e.g.
        ``Settings.snapshot()`` or a conversation's merged values); a key left out keeps its
        default. The one place a LoadSettings is built from settings."""
        given = {f.name: values[f"model.{f.name}"] for f in fields(cls)
                 if f"model.{f.name}" in SETTINGS_BY_KEY and f"model.{f.name}" in values}
        return cls(model_path=Path(model_path), **given)

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


@dataclass(frozen=True)
class GenerationOptions:
    """What one API request adds to the sampling settings; none of it is an app setting.

    ``stop`` strings end the reply (never shown); ``presence_penalty``/``frequency_penalty``
    are OpenAI's (-2..2, 0 disables); ``grammar`` is GBNF text that constrains every token
    (``core/llm/grammar.py`` makes one from a JSON schema); ``raw`` means the prompt is plain
    text to continue, so the reply keeps its leading space. ``thinking`` is a conversation's
    Thinking choice ("on", "off", "low", "medium", "high"; "" the model's own way), turned
    into the template's variable by ``core/llm/reasoning.thinking_variables``;
    ``template_vars`` go to the chat template as they are (``tools``, ``documents``...)."""

    stop: tuple[str, ...] = ()
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    grammar: str = ""
    raw: bool = False
    thinking: str = ""
    template_vars: Mapping[str, Any] = field(default_factory=dict)
