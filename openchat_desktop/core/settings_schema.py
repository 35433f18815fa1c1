"""Every setting of the app, declared once: key, type, default, bounds and help text.

The settings dialog, the per-conversation panel and the terminal flags all read this table, so
a default or a bound is never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEED_RANDOM = -1
AUTO = -1
# Context (KV) cache precisions offered; llama.cpp takes more, these are the useful ones.
KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")


@dataclass(frozen=True)
class Setting:
    """One declared setting. ``choices`` limits a string; ``minimum``/``maximum`` a number."""

    key: str
    kind: type
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this setting's type, or raise ValueError."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{self.key} must be true or false")
            return value
        if self.kind in (int, float):
            return self._validate_number(value)
        if self.kind is str:
            if not isinstance(value, str):
                raise ValueError(f"{self.key} must be text")
            if self.choices and value not in self.choices:
                raise ValueError(f"{self.key} must be one of {', '.join(self.choices)}")
            return value
        if self.kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{self.key} must be a list of text")
            return list(value)
        raise ValueError(f"{self.key} has an unsupported type")

    def _validate_number(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{self.key} must be a number")
        if self.kind is int and (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"{self.key} must be a whole number")
        number = self.kind(value)
        if number != number:  # NaN
            raise ValueError(f"{self.key} must be a number")
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"{self.key} must be at least {self.minimum:g}")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"{self.key} must be at most {self.maximum:g}")
        return number


def _s(key: str, kind: type, default: Any, help_text: str, **bounds: Any) -> Setting:
    return Setting(key, kind, default, help_text, **bounds)


SAMPLING_SETTINGS: tuple[Setting, ...] = (
    _s("sampling.temperature", float, 0.8, "Randomness of the reply; 0 is greedy.",
       minimum=0.0, maximum=5.0),
    _s("sampling.top_p", float, 0.95, "Nucleus sampling: keep the smallest set of tokens whose "
       "probabilities add up to this.", minimum=0.0, maximum=1.0),
    _s("sampling.top_k", int, 40, "Sample among the K most likely tokens; 0 disables.",
       minimum=0, maximum=100000),
    _s("sampling.min_p", float, 0.05, "Drop tokens less likely than this fraction of the best.",
       minimum=0.0, maximum=1.0),
    _s("sampling.repeat_penalty", float, 1.1, "Penalty for repeating recent tokens; 1 disables.",
       minimum=0.0, maximum=5.0),
    _s("sampling.repeat_last_n", int, 64, "How many recent tokens the repeat penalty looks at.",
       minimum=0, maximum=65536),
    _s("sampling.max_tokens", int, 1000, "Longest reply, in tokens (the seed's --sample-len).",
       minimum=1, maximum=1_000_000),
    _s("sampling.seed", int, 299792458, "Random seed; -1 picks a new one for every reply.",
       minimum=-1, maximum=2**32 - 1),
)

SETTINGS: tuple[Setting, ...] = (
    *SAMPLING_SETTINGS,
    _s("model.default", str, "", "Model used when none is chosen (path or name); empty means "
       "the starter model."),
    _s("model.ctx_size", int, 0, "Context window in tokens; 0 means the model's own, capped at "
       "4096.", minimum=0, maximum=1_048_576),
    _s("model.n_gpu_layers", int, AUTO, "Layers to offload to the GPU; -1 means all when this "
       "build can offload, else none.", minimum=-1, maximum=100000),
    _s("model.threads", int, 0, "CPU threads; 0 means the number of physical cores.",
       minimum=0, maximum=1024),
    _s("model.flash_attn", bool, True, "Use flash attention when the backend supports it."),
    _s("model.kv_cache_type", str, "f16", "Precision of the context (KV) cache: q8_0 takes half "
       "the memory of f16 at practically the same quality, but a CPU reads long prompts about a "
       "third slower with it.", choices=KV_CACHE_TYPES),
    _s("model.grow_context", bool, True, "Start with a small context cache and let it grow as "
       "the conversation needs it, up to the context size (CPU only): short chats use less "
       "memory. Off reserves the whole cache when the model loads."),
    _s("chat.system_prompt", str, "", "System prompt for new conversations."),
    _s("ui.theme", str, "system", "Colour theme.", choices=("system", "light", "dark")),
    _s("ui.language", str, "en", "Language of the interface.", choices=("en", "zh_CN")),
    _s("ui.font_size", int, 11, "Font size of the chat, in points.", minimum=6, maximum=48),
    _s("ui.send_key", str, "enter", "Key that sends a message (the other adds a line).",
       choices=("enter", "ctrl+enter")),
    _s("hub.endpoint", str, "", "Hugging Face endpoint or mirror, e.g. https://hf-mirror.com; "
       "empty means $HF_ENDPOINT or huggingface.co."),
    _s("hub.token", str, "", "Hugging Face access token for gated models."),
    _s("hub.proxy", str, "", "HTTP(S) proxy for downloads, e.g. http://127.0.0.1:8080."),
    _s("models.extra_dirs", list, [], "Folders whose GGUF files are listed and used in place."),
)

SETTINGS_BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}


def defaults() -> dict[str, Any]:
    """A fresh dict of every setting's default value."""
    return {s.key: (list(s.default) if isinstance(s.default, list) else s.default)
            for s in SETTINGS}
