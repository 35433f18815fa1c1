"""``openchat chat``: turns the command line and the saved settings into a terminal chat."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings
from openchat_desktop.core.logs import setup_logging
from openchat_desktop.core.models.choice import resolve_model
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.settings import Settings

_SAMPLING_FLAGS = {"sample_len": "max_tokens", "temperature": "temperature", "seed": "seed",
                   "repeat_penalty": "repeat_penalty", "repeat_last_n": "repeat_last_n",
                   "top_p": "top_p", "top_k": "top_k", "min_p": "min_p"}


def chat_settings(args: argparse.Namespace, settings: Settings) -> tuple[SamplingSettings,
                                                                         LoadSettings]:
    """Saved settings, overridden by whatever the command line gives (validated alike)."""
    for flag, key in _SAMPLING_FLAGS.items():
        if getattr(args, flag, None) is not None:
            settings.set(f"sampling.{key}", getattr(args, flag))
    for flag, key in (("ctx_size", "model.ctx_size"), ("n_gpu_layers", "model.n_gpu_layers"),
                      ("threads", "model.threads"), ("kv_cache", "model.kv_cache_type"),
                      ("grow_context", "model.grow_context")):
        if getattr(args, flag, None) is not None:
            settings.set(key, getattr(args, flag))
    sampling = SamplingSettings.from_dict(settings.section("sampling"))
    model = resolve_model(args.model, settings.get("model.default"),
                          settings.get("models.extra_dirs"))
    load = LoadSettings(model_path=Path(model), ctx_size=settings.get("model.ctx_size"),
                        n_gpu_layers=settings.get("model.n_gpu_layers"),
                        threads=settings.get("model.threads"),
                        flash_attn=settings.get("model.flash_attn"),
                        kv_cache_type=settings.get("model.kv_cache_type"),
                        grow_context=settings.get("model.grow_context"))
    return sampling, load


def run_chat(args: argparse.Namespace) -> int:
    paths = app_paths()
    setup_logging(paths)
    settings = Settings(paths.settings_file)
    for warning in settings.warnings:
        print(f"openchat: warning: {warning}", file=sys.stderr)
    sampling, load = chat_settings(args, settings)
    system = args.system if args.system is not None else settings.get("chat.system_prompt")

    from openchat_desktop.cli.terminal import ChatOptions, TerminalChat
    from openchat_desktop.core.llm import llama_runtime
    from openchat_desktop.core.llm.engine import Engine

    if not args.no_stats:
        print(llama_runtime.features_line(), flush=True)
    started = time.perf_counter()
    engine = Engine(load)
    try:
        if not args.no_stats:
            print(f"loaded {engine.model_name} ({engine.info.tensor_count} tensors, "
                  f"{engine.info.file_size} bytes) in {time.perf_counter() - started:.2f}s "
                  f"on {engine.device.describe()}, context {engine.n_ctx}", flush=True)
        if engine.template.warning:
            print(f"openchat: warning: {engine.template.warning}", file=sys.stderr)
        chat = TerminalChat(engine, ChatOptions(sampling, system, not args.no_stats))
        if args.prompt is not None:
            return 0 if chat.ask(args.prompt) else 130
        return chat.run()
    finally:
        engine.close()
