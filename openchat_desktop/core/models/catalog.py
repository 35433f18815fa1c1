"""The curated model catalog (``resources/catalog.json``) and "will it fit?" hints.

The catalog is a short, hand-picked list of chat models known to work well with llama.cpp,
each pinned to one GGUF file of a Hugging Face repository, and a few embedding models
(``kind: "embedding"``) that local documents use to search by meaning; those are never offered
as chat models. Sizes in it drive the fit hint
only; downloads use the Hub's own size and SHA-256. Each entry also says what the model can
do (think, call tools, how long a context) and the sampling its authors recommend, which
becomes the model's own default (see ``model_sampling_defaults``).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal

from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.paths import STARTER_MODEL_FILE
from openchat_desktop.core.settings_schema import SETTINGS_BY_KEY

CATALOG_FILE = "catalog.json"

Fit = Literal["fits", "tight", "too big"]
# How a model thinks: never, always, with an on/off switch, or at a chosen effort.
THINKING_KINDS = ("no", "yes", "toggle", "effort")
THINKING_LABELS = {"yes": "thinks", "toggle": "thinking on/off",
                   "effort": "thinking low/medium/high"}
# What a model is for: chatting, or turning text into vectors for document search.
MODEL_KINDS = ("chat", "embedding")

# Fit rule: need = file + KV cache + fixed overhead (compute buffers, runtime, the app).
OVERHEAD_BYTES = 512 * 1024**2
FITS_SHARE = 0.60  # comfortable: leaves room for the OS and other programs
TIGHT_SHARE = 0.90  # will run, but the machine may swap or other programs may suffer

# KV cache estimate without a GGUF header, in bytes per token per parameter. Real f16 caches
# are 2 (K and V) x 2 bytes x layers x KV width per token, which for grouped-query models is
# about 1.8e-5 to 3.7e-5 bytes per parameter (Mistral 7B: 1.9e-5, Llama 3.2 3B: 3.6e-5).
# 4e-5 errs on the safe side; models without grouped-query attention (Phi-3.5 mini, SmolLM2)
# need up to 3x more, which the floor below covers for the tiny ones.
KV_BYTES_PER_TOKEN_PER_PARAM = 4e-5
KV_MIN_BYTES_PER_TOKEN = 24 * 1024
DEFAULT_ESTIMATE_CTX = 4096

_PARAMS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMBT])\s*$", re.IGNORECASE)
_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


@dataclass(frozen=True)
class CatalogEntry:
    """One curated model: a single GGUF file in a Hugging Face repository."""

    id: str
    repo: str
    file: str
    size_bytes: int
    parameters: str
    quantization: str
    context_length: int
    license: str
    description: str
    starter: bool = False
    thinking: str = "no"
    tools: bool = False
    recommended: tuple[tuple[str, float], ...] = ()  # (sampling field, value)
    recommended_source: str = ""
    kind: str = "chat"
    dimensions: int = 0  # embedding models: the length of their vectors
    query_prefix: str = ""  # embedding models: put before a search question ...
    document_prefix: str = ""  # ... and before a passage, as the model was trained

    @property
    def is_embedding(self) -> bool:
        """An embedding model, for local documents; never a chat model."""
        return self.kind == "embedding"

    @property
    def spec(self) -> str:
        """``owner/repo:file``, the form ``openchat models pull`` accepts."""
        return f"{self.repo}:{self.file}"

    @property
    def parameter_count(self) -> float:
        """The parameter count as a number (``"1.5B"`` gives 1.5e9)."""
        return parse_parameters(self.parameters)

    @property
    def recommended_sampling(self) -> dict[str, float]:
        """The authors' sampling by field name (``{"temperature": 0.6, ...}``)."""
        return dict(self.recommended)

    def capability_labels(self) -> list[str]:
        """Short English marks for lists: thinking, tools and context, e.g. ``["thinks",
        "tools", "128K context"]``; an embedding model's are ``["embeddings", "768 dimensions",
        "2K context"]``."""
        if self.is_embedding:
            return ["embeddings", f"{self.dimensions} dimensions",
                    f"{format_context(self.context_length)} context"]
        labels = [THINKING_LABELS[self.thinking]] if self.thinking in THINKING_LABELS else []
        if self.tools:
            labels.append("tools")
        labels.append(f"{format_context(self.context_length)} context")
        return labels


def format_context(tokens: int) -> str:
    """A context length as people write it: 8192 gives "8K", 131072 "128K"."""
    return f"{tokens // 1024}K" if tokens >= 1024 and tokens % 1024 == 0 else str(tokens)


def parse_parameters(label: str) -> float:
    """Turn a size label such as ``"135M"``, ``"7B"`` or ``"3.8B"`` into a count."""
    match = _PARAMS_RE.match(label)
    if match is None:
        raise ValueError(f"not a parameter count: {label!r} (expected e.g. 7B or 135M)")
    return float(match.group(1)) * _SCALE[match.group(2).upper()]


def catalog_path() -> Path:
    """Where the catalog file is: beside the package (checkout) or inside it (packaged)."""
    package_root = Path(__file__).resolve().parents[2]  # openchat_desktop/
    candidates = (package_root.parent / "resources" / CATALOG_FILE,
                  package_root / "resources" / CATALOG_FILE)
    return next((path for path in candidates if path.is_file()), candidates[0])


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """Read the curated catalog, in its file order (the seed model first)."""
    source = path or catalog_path()
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        return [_entry(item) for item in data["models"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OpenChatError(f"The model catalog {source.name} is missing or damaged: "
                            f"{exc}") from exc


def _entry(item: dict[str, Any]) -> CatalogEntry:
    capabilities = item.get("capabilities") or {}
    thinking = str(capabilities.get("thinking", "no"))
    if thinking not in THINKING_KINDS:
        raise ValueError(f"{item['id']}: thinking must be one of {', '.join(THINKING_KINDS)}")
    entry = CatalogEntry(
        id=str(item["id"]), repo=str(item["repo"]), file=str(item["file"]),
        size_bytes=int(item["size_bytes"]), parameters=str(item["parameters"]),
        quantization=str(item["quantization"]), context_length=int(item["context_length"]),
        license=str(item["license"]), description=str(item["description"]),
        starter=bool(item.get("starter", False)), thinking=thinking,
        tools=bool(capabilities.get("tools", False)),
        recommended=_recommended(item.get("recommended_sampling") or {}),
        recommended_source=str(item.get("recommended_source", "")),
        **_embedding_fields(item))
    parse_parameters(entry.parameters)  # fail on load, not later in the GUI
    return entry


def _embedding_fields(item: dict[str, Any]) -> dict[str, Any]:
    """``kind`` and, for an embedding model, its ``embedding`` block (dimensions, prefixes)."""
    kind = str(item.get("kind", "chat"))
    if kind not in MODEL_KINDS:
        raise ValueError(f"{item['id']}: kind must be one of {', '.join(MODEL_KINDS)}")
    if kind == "chat":
        return {"kind": kind}
    embedding = item.get("embedding") or {}
    dimensions = int(embedding.get("dimensions", 0))
    if dimensions <= 0:
        raise ValueError(f"{item['id']}: an embedding model needs embedding.dimensions")
    return {"kind": kind, "dimensions": dimensions,
            "query_prefix": str(embedding.get("query_prefix", "")),
            "document_prefix": str(embedding.get("document_prefix", ""))}


def _recommended(values: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """Recommended sampling checked against the settings schema (a bad value fails the load)."""
    checked = []
    for name, value in values.items():
        setting = SETTINGS_BY_KEY.get(f"sampling.{name}")
        if setting is None:
            raise ValueError(f"unknown sampling setting {name!r}")
        checked.append((str(name), setting.validate(value)))
    return tuple(checked)


def find_entry(key: str, entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The entry whose id, ``repo:file`` or file name is ``key`` (case-insensitive)."""
    wanted = key.strip().lower()
    for entry in entries if entries is not None else load_catalog():
        if wanted in (entry.id.lower(), entry.spec.lower(), entry.file.lower()):
            return entry
    return None


@functools.lru_cache(maxsize=1)
def _entries_by_file() -> dict[str, CatalogEntry]:
    try:
        return {entry.file.lower(): entry for entry in load_catalog()}
    except OpenChatError:
        return {}


def entry_for_model(model: str | PurePath | None) -> CatalogEntry | None:
    """The catalog entry whose file ``model`` is (a path, a file name or an installed model's
    name); no model means the starter model. None for models the catalog does not know."""
    name = PurePath(str(model)).name.lower() if model else STARTER_MODEL_FILE.lower()
    entries = _entries_by_file()
    return entries.get(name) or entries.get(f"{name}.gguf")


def model_sampling_defaults(model: str | PurePath | None) -> dict[str, Any]:
    """The model's own default settings (``{"sampling.temperature": 0.6, ...}``): the sampling
    its authors recommend, from its catalog entry; empty for models the catalog does not know."""
    entry = entry_for_model(model)
    if entry is None:
        return {}
    return {f"sampling.{name}": value for name, value in entry.recommended}


def estimate_kv_bytes(parameters: str | float, n_ctx: int = DEFAULT_ESTIMATE_CTX) -> int:
    """Approximate f16 KV-cache bytes for ``n_ctx`` tokens from the parameter count alone.

    Use it only when no GGUF header is at hand (a model not yet downloaded); once the file
    exists, ``GGUFInfo.kv_cache_bytes(n_ctx)`` is exact. See ``KV_BYTES_PER_TOKEN_PER_PARAM``.
    """
    count = parse_parameters(parameters) if isinstance(parameters, str) else float(parameters)
    per_token = max(KV_MIN_BYTES_PER_TOKEN, count * KV_BYTES_PER_TOKEN_PER_PARAM)
    return int(per_token * max(0, n_ctx))


def fit_for_machine(size_bytes: int, kv_bytes: int, ram_bytes: int,
                    vram_bytes: int | None = None) -> Fit:
    """Whether a model is likely to run well here.

    need = file size + KV cache + 0.5 GiB overhead, compared with the memory it will live in:
    VRAM when ``vram_bytes`` is given (a GPU build offloading every layer), else RAM.
    "fits" when need <= 60 % of it, "tight" when <= 90 %, otherwise "too big".
    """
    available = vram_bytes if vram_bytes is not None else ram_bytes
    if available <= 0:
        return "too big"
    need = size_bytes + max(0, kv_bytes) + OVERHEAD_BYTES
    if need <= FITS_SHARE * available:
        return "fits"
    if need <= TIGHT_SHARE * available:
        return "tight"
    return "too big"


def entry_fit(entry: CatalogEntry, ram_bytes: int, vram_bytes: int | None = None,
              n_ctx: int = DEFAULT_ESTIMATE_CTX) -> Fit:
    """``fit_for_machine`` for a catalog entry, with the KV cache estimated at ``n_ctx``."""
    kv = estimate_kv_bytes(entry.parameter_count, min(n_ctx, entry.context_length))
    return fit_for_machine(entry.size_bytes, kv, ram_bytes, vram_bytes)
