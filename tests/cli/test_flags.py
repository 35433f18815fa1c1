"""The chat flags come from one table on the settings schema: each flag maps to a setting,
shows that setting's default, and overrides it alike (validated) when given."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pytest

from openchat_desktop.cli.chat import chat_settings
from openchat_desktop.core import settings_flags
from openchat_desktop.core.errors import SettingsError
from openchat_desktop.core.settings import Settings
from openchat_desktop.core.settings_schema import SETTINGS, SETTINGS_BY_KEY, CliFlag
from openchat_desktop.launcher import build_parser

SEED_FLAGS = ("-n", "--sample-len", "--temperature", "--seed", "--repeat-penalty",
              "--repeat-last-n", "--top-p", "--top-k", "--min-p", "--ctx-size", "--kv-cache",
              "--reserve-context", "--n-gpu-layers", "--threads", "--system", "--prompt",
              "--no-stats", "--tokenizer", "--gqa", "--model")


def chat_parser() -> argparse.ArgumentParser:
    root = build_parser()
    subparsers = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    return subparsers.choices["chat"]


def option_strings(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {name: action for action in parser._actions for name in action.option_strings}


def test_every_chat_flag_is_still_there() -> None:
    options = option_strings(chat_parser())
    assert set(SEED_FLAGS) <= set(options)
    assert options["-n"] is options["--sample-len"] and options["-n"].metavar == "N"
    assert options["--n-gpu-layers"].metavar == "N|auto"
    assert options["--kv-cache"].choices == SETTINGS_BY_KEY["model.kv_cache_type"].choices


def test_every_setting_flag_maps_to_a_real_setting() -> None:
    flagged = settings_flags.flag_settings(("",))
    assert {s.key for s in flagged} >= {f"sampling.{k}" for k in (
        "temperature", "top_p", "top_k", "min_p", "repeat_penalty", "repeat_last_n",
        "max_tokens", "seed")} | {"model.ctx_size", "model.n_gpu_layers", "model.threads",
                                  "model.kv_cache_type", "model.grow_context",
                                  "chat.system_prompt"}
    options = option_strings(chat_parser())
    for setting in flagged:
        assert setting.cli is not None
        for name in setting.cli.names:
            assert options[name].dest == settings_flags.flag_dest(setting), name


def test_flag_names_and_destinations_are_unique() -> None:
    flagged = [s for s in SETTINGS if s.cli is not None]
    names = [name for s in flagged for name in s.cli.names]  # type: ignore[union-attr]
    dests = [settings_flags.flag_dest(s) for s in flagged]
    assert len(names) == len(set(names)) and len(dests) == len(set(dests))
    assert all(name.startswith("-") for name in names)


def test_help_shows_the_schema_defaults() -> None:
    help_text = " ".join(chat_parser().format_help().split())
    for key in ("sampling.temperature", "sampling.seed", "sampling.top_k", "sampling.max_tokens"):
        assert f"(default: {SETTINGS_BY_KEY[key].default})" in help_text
    assert "Randomness of the reply; 0 is greedy." in help_text


def test_every_flag_overrides_its_setting(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    args = chat_parser().parse_args([
        "--temperature", "0.3", "-n", "5", "--seed", "7", "--repeat-penalty", "1.2",
        "--repeat-last-n", "32", "--top-p", "0.5", "--top-k", "3", "--min-p", "0.1",
        "--ctx-size", "2048", "--kv-cache", "q8_0", "--reserve-context",
        "--n-gpu-layers", "auto", "--threads", "2", "--system", "Be brief.",
        "--model", str(model)])
    settings = Settings(tmp_path / "settings.json")
    sampling, load = chat_settings(args, settings)
    assert (sampling.temperature, sampling.max_tokens, sampling.seed) == (0.3, 5, 7)
    assert (sampling.repeat_penalty, sampling.repeat_last_n) == (1.2, 32)
    assert (sampling.top_p, sampling.top_k, sampling.min_p) == (0.5, 3, 0.1)
    assert (load.model_path, load.ctx_size, load.kv_cache_type) == (model, 2048, "q8_0")
    assert (load.grow_context, load.n_gpu_layers, load.threads) == (False, -1, 2)
    assert settings.get("chat.system_prompt") == "Be brief."
    assert not (tmp_path / "settings.json").exists()  # a flag never changes the saved file


def test_flags_left_out_follow_the_saved_settings(tmp_path: Path) -> None:
    saved = Settings(tmp_path / "settings.json")
    saved.update({"sampling.temperature": 0.25, "model.threads": 3})
    saved.save()
    args = chat_parser().parse_args(["--top-k", "9"])
    assert settings_flags.flag_values(args, ("",)) == {"sampling.top_k": 9}
    sampling, load = chat_settings(args, Settings(tmp_path / "settings.json"))
    assert (sampling.temperature, sampling.top_k, load.threads) == (0.25, 9, 3)
    assert load.grow_context is True


@pytest.mark.parametrize(("text", "layers"), [("auto", -1), ("-1", -1), ("0", 0), ("12", 12)])
def test_gpu_layers_takes_auto_or_a_number(text: str, layers: int) -> None:
    assert chat_parser().parse_args(["--n-gpu-layers", text]).n_gpu_layers == layers


@pytest.mark.parametrize("text", ["x", "-2", "1.5"])
def test_gpu_layers_refuses_anything_else(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        chat_parser().parse_args(["--n-gpu-layers", text])
    assert exited.value.code == 2
    assert "--n-gpu-layers: must be 'auto'" in capsys.readouterr().err


def test_a_bad_value_is_refused_naming_the_setting(tmp_path: Path) -> None:
    args = chat_parser().parse_args(["--temperature", "-3"])
    with pytest.raises(SettingsError) as error:
        chat_settings(args, Settings(tmp_path / "settings.json"))
    assert str(error.value) == "sampling.temperature must be at least 0"


def test_a_true_false_setting_cannot_take_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    flash = replace(SETTINGS_BY_KEY["model.flash_attn"], cli=CliFlag(("--flash-attn",)))
    monkeypatch.setattr(settings_flags, "SETTINGS", (flash,))
    with pytest.raises(TypeError, match="off switch"):
        settings_flags.add_setting_flags(argparse.ArgumentParser(), ("model.",))


def test_the_models_recommended_sampling_fills_what_nobody_set(tmp_path: Path) -> None:
    from openchat_desktop.core.models.catalog import model_sampling_defaults

    recommended = model_sampling_defaults(None)  # the starter model's catalog entry
    assert recommended, "the starter model's entry recommends its sampling"
    key, value = next((k, v) for k, v in recommended.items()
                      if v != SETTINGS_BY_KEY[k].default)
    field = key.split(".", 1)[1]
    flag = "--" + field.replace("_", "-")
    default = SETTINGS_BY_KEY[key].default
    untouched, _ = chat_settings(chat_parser().parse_args([]), Settings(tmp_path / "a.json"))
    assert getattr(untouched, field) == value
    # A flag, even one that names the app default, wins over the model's recommendation.
    flagged, _ = chat_settings(chat_parser().parse_args([flag, str(default)]),
                               Settings(tmp_path / "b.json"))
    assert getattr(flagged, field) == default
