"""What a GGUF model file is, read from its header in milliseconds.

``read_gguf_info`` validates the file the way llama.cpp will (magic, version, metadata, tensor
list, that the weights are all there) so the user gets one clear line instead of a crash or a
cryptic load failure, and returns the details the app shows and needs: architecture, size,
quantization, context length, chat template and special tokens.
"""

from __future__ import annotations

import math
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from openchat_desktop.core.errors import ModelFileError
from openchat_desktop.core.gguf import tables
from openchat_desktop.core.gguf.parse import ArrayRef, GGUFLayout, GGUFReader, MetaValue, quote


@dataclass(frozen=True)
class GGUFInfo:
    """The facts about one GGUF model that the app shows and plans with."""

    path: Path
    file_size: int
    version: int
    tensor_count: int
    metadata_count: int
    architecture: str
    name: str | None
    parameter_count: int
    quantization: str
    context_length: int
    block_count: int
    embedding_length: int
    head_count: int | None
    head_count_kv: int | None
    key_length: int | None
    value_length: int | None
    chat_template: str | None
    bos_token_id: int | None
    eos_token_id: int | None
    eot_token_id: int | None
    bos_token: str | None
    eos_token: str | None
    add_bos_token: bool | None
    pooling_type: int | None = None  # llama.cpp's llama_pooling_type; set by embedding models

    @property
    def display_name(self) -> str:
        """The file name without its extension: unlike ``general.name`` (often a training-run
        label such as "Smollm2 135M 8k Lc100K Mix1 Ep2") it names the quantization too."""
        return self.path.stem

    @property
    def parameter_label(self) -> str:
        """The parameter count the way model cards write it: "135M", "1.5B", "72B"."""
        return format_count(self.parameter_count)

    def kv_cache_bytes(self, n_ctx: int, bytes_per_element: float = 2.0) -> int:
        """Upper bound of the KV cache for ``n_ctx`` tokens (keys plus values, every layer);
        2 bytes per element is f16; ``gguf_tables.kv_bytes_per_element`` gives the others.

        0 when the model has no attention heads (recurrent models keep a small fixed state).
        """
        if not self.head_count or not self.head_count_kv:
            return 0
        head_dim = self.embedding_length // self.head_count
        per_token_head = (self.key_length or head_dim) + (self.value_length or head_dim)
        elements = self.block_count * n_ctx * self.head_count_kv * per_token_head
        return math.ceil(elements * bytes_per_element)

    def summary_lines(self) -> list[str]:
        """Human-readable lines for a model "info" display."""
        template = "none"
        if self.chat_template:
            first = self.chat_template.strip().splitlines()[0] if self.chat_template.strip() else ""
            template = first if len(first) <= 60 else first[:59] + "…"
        name = self.name.strip() if self.name and self.name.strip() else self.display_name
        return [
            f"Model: {name}",
            f"Architecture: {self.architecture}",
            f"Parameters: {self.parameter_label}",
            f"Quantization: {self.quantization}",
            f"Context length: {self.context_length:,} tokens",
            f"File size: {format_size(self.file_size)}",
            f"Chat template: {template or 'none'}",
        ]


def read_gguf_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Read and validate a GGUF file's header; raise ``ModelFileError`` with one line if bad."""
    file_path = Path(path)
    try:
        return _read(file_path)
    except ModelFileError as exc:
        message = "".join(c if c.isprintable() else "?" for c in f"{exc}: {file_path}")
        raise ModelFileError(message) from exc.__cause__


def format_count(count: int) -> str:
    """``count`` with a K/M/B/T suffix and at most two significant digits below ten."""
    if count < 1000:
        return str(count)
    for scale, unit in ((1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T")):
        value = count / scale
        text = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        if float(text) < 1000 or unit == "T":
            return text.removesuffix(".0") + unit
    raise AssertionError("unreachable")  # pragma: no cover


def format_size(size: int) -> str:
    """A file size in decimal units, as download pages show them: "98.4 MB", "4.92 GB"."""
    if size >= 10**9:
        return f"{size / 1e9:.2f} GB"
    if size >= 10**6:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e3:.1f} KB"


def _read(path: Path) -> GGUFInfo:
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise ModelFileError("this is a folder, not a GGUF model file")
        if not stat.S_ISREG(mode):  # a pipe or device could block the reader forever
            raise ModelFileError("this is not a regular file")
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size == 0:
                raise ModelFileError("the model file is empty (0 bytes)")
            reader = GGUFReader(stream, size)
            layout = reader.parse()
            return _build_info(path, size, layout, reader)
    except FileNotFoundError as exc:
        raise ModelFileError("model file not found") from exc
    except PermissionError as exc:
        raise ModelFileError("no permission to read the model file") from exc
    except OSError as exc:
        raise ModelFileError(f"could not read the model file ({exc.strerror or exc})") from exc


def _build_info(path: Path, size: int, layout: GGUFLayout, reader: GGUFReader) -> GGUFInfo:
    meta = layout.metadata
    arch = _architecture(meta)
    if not layout.tensors:
        raise ModelFileError("the file has no model weights (it holds only a vocabulary)")
    head_count = _int(meta, f"{arch}.attention.head_count")
    head_count_kv = _int(meta, f"{arch}.attention.head_count_kv")
    bos_id = _int(meta, "tokenizer.ggml.bos_token_id")
    eos_id = _int(meta, "tokenizer.ggml.eos_token_id")
    tokens = meta.get("tokenizer.ggml.tokens")
    vocab = tokens if isinstance(tokens, ArrayRef) else None
    return GGUFInfo(
        path=path,
        file_size=size,
        version=layout.version,
        tensor_count=len(layout.tensors),
        metadata_count=len(meta),
        architecture=arch,
        name=_text(meta, "general.name"),
        parameter_count=sum(t.n_elements for t in layout.tensors),
        quantization=_quantization(layout),
        context_length=_size(meta, f"{arch}.context_length"),
        block_count=_size(meta, f"{arch}.block_count"),
        embedding_length=_size(meta, f"{arch}.embedding_length"),
        head_count=head_count,
        # llama.cpp's default: without grouped-query attention every head has its own K/V
        head_count_kv=head_count if head_count_kv is None else head_count_kv,
        key_length=_int(meta, f"{arch}.attention.key_length"),
        value_length=_int(meta, f"{arch}.attention.value_length"),
        chat_template=_text(meta, "tokenizer.chat_template"),
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        eot_token_id=_int(meta, "tokenizer.ggml.eot_token_id"),
        bos_token=_token(reader, vocab, bos_id),
        eos_token=_token(reader, vocab, eos_id),
        add_bos_token=_flag(meta, "tokenizer.ggml.add_bos_token"),
        pooling_type=_int(meta, f"{arch}.pooling_type"),
    )


def _architecture(meta: dict[str, MetaValue]) -> str:
    if meta.get("general.type") == "adapter":
        raise ModelFileError("this is a LoRA adapter, not a model; choose the base model file")
    split = meta.get("split.no")
    if isinstance(split, int) and split > 0:
        raise ModelFileError(f"this is part {split + 1} of a split model; open the first part")
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelFileError("the model metadata has no general.architecture")
    if arch in tables.NOT_A_MODEL_ARCHITECTURES:
        raise ModelFileError(f"this is {tables.NOT_A_MODEL_ARCHITECTURES[arch]}")
    if arch not in tables.SUPPORTED_ARCHITECTURES:
        raise ModelFileError(
            f"unsupported model architecture {quote(arch)} (llama.cpp cannot run it)"
        )
    return arch


def _int(meta: dict[str, MetaValue], key: str) -> int | None:
    """A non-negative integer; per-layer arrays (hybrid, sliding-window models) give their max."""
    value = meta.get(key)
    if value is None:
        return None
    items = value if isinstance(value, tuple) else (value,)
    numbers = [v for v in items if isinstance(v, int) and not isinstance(v, bool)]
    if len(numbers) != len(items):
        raise ModelFileError(f"file is damaged: metadata {quote(key)} is not a whole number")
    if numbers and min(numbers) < 0:
        raise ModelFileError(f"file is damaged: metadata {quote(key)} is negative")
    return max(numbers, default=None)


def _size(meta: dict[str, MetaValue], key: str) -> int:
    """A dimension llama.cpp requires: present and positive."""
    value = _int(meta, key)
    if value is None:
        raise ModelFileError(f"the model metadata is missing {key}")
    if value <= 0:
        raise ModelFileError(f"file is damaged: metadata {quote(key)} is {value}")
    return value


def _text(meta: dict[str, MetaValue], key: str) -> str | None:
    value = meta.get(key)
    if value is not None and not isinstance(value, str):
        raise ModelFileError(f"file is damaged: metadata {quote(key)} is not text")
    return value


def _flag(meta: dict[str, MetaValue], key: str) -> bool | None:
    value = meta.get(key)
    if value is not None and not isinstance(value, bool):
        raise ModelFileError(f"file is damaged: metadata {quote(key)} is not true/false")
    return value


def _token(reader: GGUFReader, vocab: ArrayRef | None, token_id: int | None) -> str | None:
    if vocab is None or token_id is None:
        return None
    return reader.array_string(vocab, token_id)


def _quantization(layout: GGUFLayout) -> str:
    """general.file_type by its llama.cpp name, else the type holding the most bytes."""
    file_type = layout.metadata.get("general.file_type")
    if isinstance(file_type, int) and not isinstance(file_type, bool):
        name = tables.FILE_TYPES.get(file_type & ~tables.FILE_TYPE_GUESSED)
        if name:
            return name
    weight: Counter[int] = Counter()
    for tensor in layout.tensors:
        weight[tensor.ggml_type] += tensor.n_bytes
    ggml_type = weight.most_common(1)[0][0]
    return tables.GGML_TYPES[ggml_type].name
