"""read_gguf_info: the real starter model, synthetic models, and every kind of broken file."""

from __future__ import annotations

import os
import random
import shutil
import struct
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from gguf_factory import (
    Array,
    GGMLType,
    Raw,
    Tensor,
    Value,
    ValueType,
    build_gguf,
    model_metadata,
    model_tensors,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from openchat_desktop.core.errors import ModelFileError
from openchat_desktop.core.gguf.info import format_count, format_size, read_gguf_info
from openchat_desktop.core.gguf.tables import kv_bytes_per_element


def _error(path: Path) -> str:
    """The message of the ModelFileError that reading ``path`` raises, checked to be one line
    that names the file."""
    with pytest.raises(ModelFileError) as caught:
        read_gguf_info(path)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert message.endswith(str(path))
    return message


# -- the real starter model ------------------------------------------------------------------


@pytest.mark.model
def test_starter_model_details(starter_model: Path) -> None:
    started = time.perf_counter()
    info = read_gguf_info(starter_model)
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"\nread_gguf_info(starter model): {elapsed_ms:.1f} ms")  # for the record, not a test

    assert info.file_size == starter_model.stat().st_size
    assert (info.version, info.tensor_count, info.metadata_count) == (3, 272, 33)
    assert info.architecture == "llama"
    assert info.name == "Smollm2 135M 8k Lc100K Mix1 Ep2"
    assert info.parameter_count == 134_515_008
    assert info.parameter_label == "135M"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert (info.block_count, info.embedding_length) == (30, 576)
    assert (info.head_count, info.head_count_kv) == (9, 3)
    assert info.chat_template is not None and "<|im_start|>" in info.chat_template
    assert (info.bos_token_id, info.bos_token) == (1, "<|im_start|>")
    assert (info.eos_token_id, info.eos_token) == (2, "<|im_end|>")
    assert info.eot_token_id is None
    assert info.add_bos_token is False
    assert info.kv_cache_bytes(8192) == 2 * 30 * 8192 * 3 * 64 * 2
    # q8_0 keeps 32 elements in 34 bytes: 180 MiB of f16 becomes 95.6 MiB.
    q8_0 = kv_bytes_per_element("q8_0")
    assert info.kv_cache_bytes(8192, q8_0) == 2 * 30 * 8192 * 3 * 64 * 34 // 32
    assert kv_bytes_per_element("f16") == 2 and kv_bytes_per_element("q4_0") == 18 / 32


@pytest.mark.model
def test_starter_model_summary(starter_model: Path) -> None:
    lines = read_gguf_info(starter_model).summary_lines()
    assert "Architecture: llama" in lines
    assert "Parameters: 135M" in lines
    assert "Quantization: Q4_1" in lines
    assert "Context length: 8,192 tokens" in lines
    assert "File size: 98.4 MB" in lines
    assert any(line.startswith("Chat template: {% for message in messages %}") for line in lines)


@pytest.mark.model
def test_truncated_copies_of_the_starter_model(starter_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "truncated.gguf"
    shutil.copyfile(starter_model, copy)
    size = copy.stat().st_size
    with starter_model.open("rb") as stream:
        head = stream.read(4 * 1024 * 1024)
    # The tensor list starts with the first tensor's name, right after the metadata.
    metadata_end = head.index(struct.pack("<Q", 17) + b"token_embd.weight")
    cuts = [size - 1, size // 2, metadata_end + 2000, metadata_end + 100, metadata_end,
            metadata_end // 2, 1024, 10]
    for cut in cuts:  # shrinking one copy avoids writing ~100 MB per case
        os.truncate(copy, cut)
        message = _error(copy)
        assert "truncated" in message, (cut, message)


# -- synthetic files -------------------------------------------------------------------------


def test_synthetic_model(tmp_path: Path) -> None:
    info = read_gguf_info(build_gguf().write(tmp_path / "tiny.gguf"))
    assert info.architecture == "llama"
    assert info.display_name == info.path.stem and info.name == "Tiny Test Model"
    assert info.parameter_count == 64 * 6 + 64 * 64 + 64
    assert info.parameter_label == "4.5K"
    assert info.quantization == "Q8_0"
    assert (info.context_length, info.block_count, info.embedding_length) == (2048, 2, 64)
    assert (info.head_count, info.head_count_kv, info.key_length) == (4, 2, None)
    assert (info.bos_token, info.eos_token, info.add_bos_token) == ("<|im_start|>",
                                                                    "<|im_end|>", False)
    assert info.kv_cache_bytes(1000) == 2 * 2 * 1000 * 2 * 16 * 2
    template_line = "Chat template: {% for m in messages %}<|im_start|>{{ m.role }}"
    assert info.summary_lines()[-1] == template_line


def test_optional_details_and_fallbacks(tmp_path: Path) -> None:
    metadata = model_metadata(overrides={
        "general.name": None, "general.file_type": None, "tokenizer.chat_template": None,
        "tokenizer.ggml.tokens": None, "llama.attention.key_length": 32,
        "llama.attention.value_length": 16,
        "llama.attention.head_count_kv": Array(ValueType.INT32, [0, 2]),  # per layer
    })
    info = read_gguf_info(build_gguf(metadata).write(tmp_path / "bare model.gguf"))
    assert info.display_name == "bare model"
    assert info.quantization == "Q8_0"  # the type holding most bytes
    assert info.chat_template is None and info.summary_lines()[-1] == "Chat template: none"
    assert (info.bos_token_id, info.bos_token) == (1, None)
    assert info.head_count_kv == 2
    assert info.kv_cache_bytes(10, bytes_per_element=1) == 2 * 10 * 2 * (32 + 16)


@pytest.mark.parametrize(("file_type", "name"), [(15, "Q4_K_M"), (1024 | 18, "Q6_K"),
                                                 (0, "F32"), (32, "BF16"), (999, "Q8_0")])
def test_quantization_names(tmp_path: Path, file_type: int, name: str) -> None:
    metadata = model_metadata(overrides={"general.file_type": file_type})
    assert read_gguf_info(build_gguf(metadata).write(tmp_path / "q.gguf")).quantization == name


def test_embedding_architecture_and_alignment(tmp_path: Path) -> None:
    metadata = model_metadata("bert", {"general.alignment": Value(ValueType.UINT32, 64)})
    # A 32-byte first tensor: the next one starts at 64 only if the reader honours the key.
    tensors = [Tensor("small.weight", (8,)), *model_tensors()]
    info = read_gguf_info(build_gguf(metadata, tensors).write(tmp_path / "bert.gguf"))
    assert (info.architecture, info.tensor_count) == ("bert", 4)


def test_path_with_spaces_and_chinese(tmp_path: Path) -> None:
    folder = tmp_path / "我的 模型"
    folder.mkdir()
    info = read_gguf_info(build_gguf().write(folder / "小 模型 Q8_0.gguf"))
    assert info.path == folder / "小 模型 Q8_0.gguf"
    broken = folder / "坏 文件.gguf"
    broken.write_bytes(b"\x00" * 99)
    assert "not a GGUF" in _error(broken)


@pytest.mark.parametrize(("count", "label"), [
    (0, "0"), (999, "999"), (4544, "4.5K"), (134_515_008, "135M"), (1_543_714_304, "1.5B"),
    (7_241_732_096, "7.2B"), (8_030_261_248, "8B"), (72_706_203_648, "73B"), (999_600_000, "1B"),
])
def test_format_count(count: int, label: str) -> None:
    assert format_count(count) == label


def test_format_size() -> None:
    assert [format_size(n) for n in (2048, 98_362_432, 4_920_000_000)] == [
        "2.0 KB", "98.4 MB", "4.92 GB"]


# -- broken files ----------------------------------------------------------------------------

_BUILT = build_gguf()
_TOKENS = ["<unk>", "<|im_start|>", "<|im_end|>"]


def _meta(overrides: dict[str, object]) -> bytes:
    return build_gguf(model_metadata(overrides=overrides)).data


def _tensors(*tensors: Tensor) -> bytes:
    return build_gguf(tensors=[*model_tensors(), *tensors]).data


BAD_FILES: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "empty": (lambda: b"", ("empty", "0 bytes")),
    "random bytes": (lambda: random.Random(7).randbytes(4096), ("not a GGUF", "magic")),
    "text file": (lambda: b"These are my notes about models.\n" * 20, ("not a GGUF", "text")),
    "git lfs pointer": (lambda: b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n",
                        ("Git LFS",)),
    "web page": (lambda: b"<!DOCTYPE html><html><body>404</body></html>", ("web page",)),
    "wrong magic": (lambda: build_gguf(magic=b"GGML").data, ("wrong magic",)),
    "three bytes": (lambda: b"GGU", ("not a GGUF", "3 bytes")),
    "version 0": (lambda: build_gguf(version=0).data, ("unsupported GGUF version 0",)),
    "version 1": (lambda: build_gguf(version=1).data, ("GGUF version 1 is too old",)),
    "version 4": (lambda: build_gguf(version=4).data, ("unsupported GGUF version 4",)),
    "big endian": (lambda: build_gguf(version=3 << 24).data, ("big-endian",)),
    "header truncated": (lambda: _BUILT.data[:14], ("truncated", "header")),
    "metadata truncated": (lambda: _BUILT.data[:_BUILT.metadata_end - 5],
                           ("truncated", "metadata")),
    "tensor list truncated": (lambda: _BUILT.data[:_BUILT.tensor_info_end - 3],
                              ("truncated", "tensor list")),
    "tensor data truncated": (lambda: _BUILT.data[:-1], ("truncated", "incomplete download")),
    "metadata count 2**40": (lambda: build_gguf(metadata_count=2**40).data,
                             ("damaged", "1,099,511,627,776 metadata entries")),
    "tensor count 2**40": (lambda: build_gguf(tensor_count=2**40).data,
                           ("damaged", "1,099,511,627,776 tensors")),
    "string length 5 GB": (
        lambda: _meta({"general.name": Value(ValueType.STRING, "x", claimed_length=5 * 2**30)}),
        ("damaged", "5,368,709,120 bytes")),
    "string array count 2**40": (
        lambda: _meta({"tokenizer.ggml.tokens": Array(ValueType.STRING, _TOKENS, 2**40)}),
        ("damaged", "1,099,511,627,776 items", "tokenizer.ggml.tokens")),
    "number array count 2**40": (
        lambda: _meta({"tokenizer.ggml.token_type": Array(ValueType.INT32, [1], 2**40)}),
        ("damaged", "1,099,511,627,776 items")),
    "invalid value type": (lambda: _meta({"x.y": Raw(struct.pack("<IQ", 99, 0))}),
                           ("damaged", "unknown value type 99")),
    "nested array": (lambda: _meta({"x.y": [[1, 2], [3]]}), ("array of arrays",)),
    "duplicate key": (lambda: build_gguf([*model_metadata().items(), ("general.name", "b")]).data,
                      ("appears twice",)),
    "unknown architecture": (lambda: build_gguf(model_metadata("not-a-real-arch")).data,
                             ("unsupported model architecture", "not-a-real-arch")),
    "no architecture": (lambda: _meta({"general.architecture": None}),
                        ("general.architecture",)),
    "vision projector": (lambda: build_gguf(model_metadata("clip")).data, ("mmproj",)),
    "lora adapter": (lambda: _meta({"general.type": "adapter"}), ("LoRA adapter",)),
    "second split": (lambda: _meta({"split.no": Value(ValueType.UINT16, 1)}),
                     ("part 2 of a split model",)),
    "missing context length": (lambda: _meta({"llama.context_length": None}),
                               ("missing llama.context_length",)),
    "text context length": (lambda: _meta({"llama.context_length": "big"}),
                            ("not a whole number",)),
    "no tensors": (lambda: build_gguf(tensors=[]).data, ("no model weights",)),
    "alignment 48": (lambda: _meta({"general.alignment": Value(ValueType.UINT32, 48)}),
                     ("power of two",)),
    "alignment as text": (lambda: _meta({"general.alignment": "32"}), ("general.alignment",)),
    "unknown tensor type": (lambda: _tensors(Tensor("x", (4,), 99, data=bytes(4))),
                            ("unknown data type 99",)),
    "removed tensor type": (lambda: _tensors(Tensor("x", (32,), 31, data=bytes(18))),
                            ("Q4_0_4_4", "no longer supports")),
    "five dimensions": (lambda: _tensors(Tensor("x", (1, 1, 1, 1, 1))), ("5 dimensions",)),
    "negative dimension": (lambda: _tensors(Tensor("x", (-4,), data=b"")),
                           ("negative dimension",)),
    "partial block": (lambda: _tensors(Tensor("x", (33,), GGMLType.Q8_0, data=bytes(34))),
                      ("Q8_0 blocks",)),
    "wrong offset": (lambda: _tensors(Tensor("x", (8,), offset=7)), ("offset 7",)),
    "duplicate tensor": (lambda: _tensors(Tensor("output_norm.weight", (8,))),
                         ("appears twice",)),
    "long tensor name": (lambda: _tensors(Tensor("t" * 64, (8,))), ("longer than 63",)),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file(tmp_path: Path, case: str) -> None:
    make, words = BAD_FILES[case]
    path = tmp_path / "model.gguf"
    path.write_bytes(make())
    message = _error(path)
    for word in words:
        assert word.lower() in message.lower(), message


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in _error(tmp_path / "gone.gguf")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.gguf"
    folder.mkdir()
    assert "folder" in _error(folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_named_pipe_does_not_block(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.gguf"
    os.mkfifo(pipe)
    assert "not a regular file" in _error(pipe)


def test_no_read_permission(tmp_path: Path) -> None:
    path = build_gguf().write(tmp_path / "locked.gguf")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("permissions are not enforced for this user (root)")
        assert "no permission" in _error(path)
    finally:
        path.chmod(0o644)


# -- fuzzing ---------------------------------------------------------------------------------

_FUZZ_HEAD = _BUILT.data_offset + 32  # mutations in the weights themselves change nothing


@settings(max_examples=150, deadline=timedelta(seconds=1))
@given(
    mutations=st.lists(st.tuples(st.integers(0, _FUZZ_HEAD - 1), st.integers(0, 255)),
                       max_size=6),
    cut=st.none() | st.integers(0, len(_BUILT.data)),
)
def test_mutated_files_only_raise_model_file_error(
    tmp_path_factory: pytest.TempPathFactory, mutations: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(_BUILT.data)
    for position, byte in mutations:
        data[position] = byte
    path = tmp_path_factory.getbasetemp() / "fuzz.gguf"
    path.write_bytes(bytes(data[:cut]))
    try:
        read_gguf_info(path).summary_lines()
    except ModelFileError as exc:
        assert "\n" not in str(exc)
