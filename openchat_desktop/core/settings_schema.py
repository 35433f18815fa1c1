"""Every setting of the app, declared once: key, label, type, default, bounds, help text, how a
form edits it and, where it has one, its command-line flag.

The settings dialog, the per-conversation panel, the engine's settings objects and the
terminal flags all read this table, so a default, a bound or a flag is never written twice.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SEED_RANDOM = -1
AUTO = -1
# Context (KV) cache precisions offered; llama.cpp takes more, these are the useful ones.
KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")


def parse_gpu_layers(value: str) -> int:
    """``auto`` (all layers when the build can offload) or a number of layers, for argparse."""
    if value == "auto":
        return AUTO
    try:
        layers = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be 'auto' or a number of layers") from None
    if layers < AUTO:
        raise argparse.ArgumentTypeError("must be 'auto', -1 (all) or a number of layers")
    return layers


@dataclass(frozen=True)
class CliFlag:
    """How a setting is given on the command line.

    ``help`` replaces the setting's own help text; ``{default}`` in it is the default. Without
    ``help`` the flag shows the setting's help followed by its default. ``off_switch`` makes a
    flag without a value that turns a true/false setting off, ``on_switch`` one that turns it
    on. ``parse`` converts the text
    (the setting's type when absent); the value is then validated like any other setting.
    """

    names: tuple[str, ...]
    help: str | None = None
    metavar: str | None = None
    dest: str | None = None
    off_switch: bool = False
    on_switch: bool = False
    parse: Callable[[str], Any] | None = None


@dataclass(frozen=True)
class Setting:
    """One declared setting. ``choices`` limits a string; ``minimum``/``maximum`` a number.

    For forms: ``label`` names it, ``step`` is a number box's step, ``minimum_text`` is shown
    instead of the minimum (which means "automatic"), ``choice_labels`` name the ``choices``
    in the same order, ``secret`` hides the text and ``multiline`` asks for a text area.
    """

    key: str
    kind: type
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""
    step: float | None = None
    minimum_text: str = ""
    choice_labels: tuple[str, ...] = ()
    secret: bool = False
    multiline: bool = False
    cli: CliFlag | None = None

    def choice_label(self, choice: str) -> str:
        """The English name of ``choice`` (the choice itself when it has none)."""
        if choice in self.choices and len(self.choice_labels) == len(self.choices):
            return self.choice_labels[self.choices.index(choice)]
        return choice

    def texts(self) -> tuple[str, ...]:
        """Every English text a user may see for this setting (for translation tables)."""
        return tuple(t for t in (self.label, self.help, self.minimum_text, *self.choice_labels)
                     if t)

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


def _s(key: str, label: str, kind: type, default: Any, help_text: str, **more: Any) -> Setting:
    return Setting(key, kind, default, help_text, label=label, **more)


def _flag(*names: str, **more: Any) -> CliFlag:
    return CliFlag(names, **more)


SAMPLING_SETTINGS: tuple[Setting, ...] = (
    _s("sampling.temperature", "Temperature", float, 0.8,
       "Randomness of the reply; 0 is greedy.", minimum=0.0, maximum=5.0, step=0.1,
       cli=_flag("--temperature")),
    _s("sampling.top_p", "Top P", float, 0.95, "Nucleus sampling: keep the smallest set of "
       "tokens whose probabilities add up to this.", minimum=0.0, maximum=1.0,
       cli=_flag("--top-p")),
    _s("sampling.top_k", "Top K", int, 40, "Sample among the K most likely tokens; 0 disables.",
       minimum=0, maximum=100000, minimum_text="Off", cli=_flag("--top-k")),
    _s("sampling.min_p", "Min P", float, 0.05,
       "Drop tokens less likely than this fraction of the best.", minimum=0.0, maximum=1.0,
       cli=_flag("--min-p")),
    _s("sampling.repeat_penalty", "Repeat penalty", float, 1.1,
       "Penalty for repeating recent tokens; 1 disables.", minimum=0.0, maximum=5.0,
       step=0.05, cli=_flag("--repeat-penalty")),
    _s("sampling.repeat_last_n", "Repeat last N", int, 64,
       "How many recent tokens the repeat penalty looks at.", minimum=0, maximum=65536,
       cli=_flag("--repeat-last-n")),
    _s("sampling.max_tokens", "Max tokens", int, 1000,
       "Longest reply, in tokens (the seed's --sample-len).", minimum=1, maximum=1_000_000,
       cli=_flag("-n", "--sample-len", metavar="N",
                 help="longest reply in tokens (default: {default})")),
    _s("sampling.seed", "Seed", int, 299792458,
       "Random seed; -1 picks a new one for every reply.", minimum=-1, maximum=2**32 - 1,
       minimum_text="Random", cli=_flag("--seed")),
)

MODEL_SETTINGS: tuple[Setting, ...] = (
    _s("model.default", "Default model", str, "", "Model used when none is chosen (path or "
       "name); empty means the starter model."),
    _s("model.ctx_size", "Context size", int, 0, "Context window in tokens; 0 means the "
       "model's own, capped at 4096.", minimum=0, maximum=1_048_576,
       minimum_text="Model default",
       cli=_flag("--ctx-size", metavar="N",
                 help="context window in tokens (default: the model's own, capped at 4096)")),
    _s("model.n_gpu_layers", "GPU layers", int, AUTO, "Layers to offload to the GPU; -1 means "
       "all when this build can offload, else none.", minimum=-1, maximum=100000,
       minimum_text="All (auto)",
       cli=_flag("--n-gpu-layers", metavar="N|auto", parse=parse_gpu_layers,
                 help="layers to offload to the GPU (default: auto = all when this build can "
                      "offload, else 0)")),
    _s("model.threads", "CPU threads", int, 0, "CPU threads; 0 means the number of physical "
       "cores.", minimum=0, maximum=1024, minimum_text="Auto",
       cli=_flag("--threads", metavar="N",
                 help="CPU threads (default: the number of physical cores)")),
    _s("model.flash_attn", "Flash attention", bool, True,
       "Use flash attention when the backend supports it."),
    _s("model.kv_cache_type", "KV cache precision", str, "f16", "Precision of the context (KV) "
       "cache: q8_0 takes half the memory of f16 at practically the same quality, but a CPU "
       "reads long prompts about a third slower with it.", choices=KV_CACHE_TYPES,
       cli=_flag("--kv-cache", metavar="TYPE",
                 help="precision of the context cache: f16 (default), q8_0 (half the memory, "
                      "long prompts read about a third slower on a CPU) or q4_0")),
    _s("model.grow_context", "Grow context cache", bool, True, "Start with a small context "
       "cache and let it grow as the conversation needs it, up to the context size (CPU "
       "only): short chats use less memory. Off reserves the whole cache when the model "
       "loads.",
       cli=_flag("--reserve-context", dest="grow_context", off_switch=True,
                 help="reserve the whole context cache at load instead of growing it as the "
                      "conversation needs (CPU)")),
    _s("model.parallel_replies", "API replies at once", int, 4, "How many API requests are "
       "answered together, decoded in one batch, each with a context cache of its own; more "
       "wait in line. 1 answers them one at a time and reserves no extra memory.",
       minimum=1, maximum=8,
       cli=_flag("--parallel", metavar="N",
                 help="API requests answered together (default 4; 1: one at a time)")),
    _s("model.parallel_shared_cache", "Faster parallel replies (not bit-identical)", bool,
       False, "Let API replies answered together share one context cache: about a third more "
       "tokens per second on a CPU, but a seeded reply may then differ from the same request "
       "answered alone. Off gives each reply a cache of its own and exactly its text alone.",
       cli=_flag("--parallel-shared", on_switch=True,
                 help="API replies answered together share one cache: faster, but a seeded "
                      "reply may differ from the same request alone")),
)

# The local OpenAI-compatible API server (openchat_desktop/server). The port collides with
# none of the usual local servers (LM Studio 1234, Jan 1337, GPT4All 4891, llama.cpp 8080,
# Ollama 11434, AnkiConnect 8765, 3000/5000/8000).
SERVER_SETTINGS: tuple[Setting, ...] = (
    _s("server.enabled", "Serve the model over the OpenAI API", bool, False, "Let editors, "
       "scripts and other apps on this computer use the loaded model at "
       "http://127.0.0.1:PORT/v1 (OpenAI-compatible)."),
    _s("server.port", "Port", int, 31415, "Port of the local API server; 31415 collides with "
       "no other common local AI app.", minimum=0, maximum=65535,
       minimum_text="Any free port"),
    _s("server.allow_network", "Allow other computers on my network", bool, False,
       "Listen on every network interface instead of this computer only; needs an API key."),
    _s("server.api_key", "API key", str, "", "Clients must send 'Authorization: Bearer KEY'. "
       "Required when other computers are allowed.", secret=True),
    _s("server.cors_origins", "Allowed browser origins", str, "", "Web pages from these "
       "origins may call the server, e.g. http://localhost:5173 (separate several with "
       "spaces); empty blocks every web page."),
)

# Local documents (core/docs): how much of a collection goes into each question's prompt.
DOCS_SETTINGS: tuple[Setting, ...] = (
    _s("docs.top_k", "Passages per question", int, 6, "How many passages of the attached "
       "documents are looked up for each question.", minimum=1, maximum=20,
       cli=_flag("--docs-top-k", metavar="N",
                 help="with --docs: passages looked up per question (default: {default})")),
    _s("docs.context_share", "Share of the context for documents", float, 0.35, "Largest "
       "share of the context window the passages may fill, leaving the rest for the "
       "conversation and the reply.", minimum=0.1, maximum=0.6, step=0.05,
       cli=_flag("--docs-share", metavar="FRACTION",
                 help="with --docs: largest share of the context window the passages may "
                      "fill (default: {default})")),
    _s("docs.embedding_model", "Embedding model", str, "", "Installed embedding model (GGUF "
       "file name) used to find passages by meaning as well as by words; empty means "
       "keyword search only."),
)

SETTINGS: tuple[Setting, ...] = (
    *SAMPLING_SETTINGS,
    *MODEL_SETTINGS,
    _s("chat.system_prompt", "System prompt", str, "", "System prompt for new conversations.",
       multiline=True, cli=_flag("--system", metavar="TEXT", help="system prompt")),
    _s("chat.thinking", "Thinking", str, "auto", "How much a thinking model thinks before it "
       "answers, where its template lets you choose: on or off (Qwen3, SmolLM3), low, medium "
       "or high (gpt-oss); Model default leaves it to the model.",
       choices=("auto", "on", "off", "low", "medium", "high"),
       choice_labels=("Model default", "On", "Off", "Low", "Medium", "High")),
    _s("ui.theme", "Theme", str, "system", "Colour theme.", choices=("system", "light", "dark"),
       choice_labels=("Follow system", "Light", "Dark")),
    _s("ui.language", "Language", str, "en", "Language of the interface.",
       choices=("en", "zh_CN")),
    _s("ui.font_size", "Chat font size", int, 11, "Font size of the chat, in points.",
       minimum=6, maximum=48),
    _s("ui.send_key", "Send with", str, "enter", "Key that sends a message (the other adds a "
       "line).", choices=("enter", "ctrl+enter"), choice_labels=("Enter", "Ctrl+Enter")),
    _s("ui.thinking_expanded", "Show thinking open", bool, False, "Show a thinking model's "
       "thinking open above its answer; off keeps it folded (a click opens it)."),
    # Not under "model.": those keys can be overridden per conversation, this one cannot.
    _s("cache.state_cache_mb", "Kept conversation states (MB)", int, 2048, "Disk space for "
       "the context caches of conversations you leave, so that going back or restarting the "
       "app answers without reading the conversation again; the least recently used go "
       "first. 0 keeps them in memory only.", minimum=0, maximum=1_048_576,
       minimum_text="Memory only"),
    _s("hub.endpoint", "Hub endpoint", str, "", "Hugging Face endpoint or mirror, e.g. "
       "https://hf-mirror.com; empty means $HF_ENDPOINT or huggingface.co."),
    _s("hub.token", "Access token", str, "", "Hugging Face access token for gated models.",
       secret=True),
    _s("hub.proxy", "Proxy", str, "", "HTTP(S) proxy for downloads, e.g. "
       "http://127.0.0.1:8080."),
    _s("models.extra_dirs", "Extra model folders", list, [],
       "Folders whose GGUF files are listed and used in place."),
    *SERVER_SETTINGS,
    *DOCS_SETTINGS,
)

SETTINGS_BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}


def defaults() -> dict[str, Any]:
    """A fresh dict of every setting's default value."""
    return {s.key: (list(s.default) if isinstance(s.default, list) else s.default)
            for s in SETTINGS}
