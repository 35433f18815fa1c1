"""Opening a remote model by name, listing a connection's models and testing a connection:
what the worker's backend factory, ``openchat connections`` and the settings page call."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import app_paths
from openchat_desktop.core.remote import errors
from openchat_desktop.core.remote.client import RemoteClient
from openchat_desktop.core.remote.connections import Connection, ConnectionStore, is_private_host
from openchat_desktop.core.remote.keys import KeyStore
from openchat_desktop.core.remote.model_ref import RemoteRef
from openchat_desktop.core.remote.transport import RemoteModel, http_client, list_models

LIST_TIMEOUT_S = 5.0
SHOWN_MODELS = 5


def needs_confirmation(connection: Connection) -> bool:
    """True when conversations would leave the user's own network and nobody said yes."""
    return not connection.public_ok and not is_private_host(connection.host)


def check_privacy(connection: Connection) -> None:
    if needs_confirmation(connection):
        host = errors.host_of(connection.base_url)
        raise errors.RemoteError(
            f"{host} is outside your network, so your conversations would leave this "
            f"computer: confirm it once (`openchat connections add {connection.name} "
            "--base-url URL --yes`, or Settings → Connections).", "privacy")


def open_remote(ref: RemoteRef, config_dir: Path | None = None,
                keys: KeyStore | None = None) -> RemoteClient:
    """A client for ``ref`` once the server has confirmed it serves that model; raises
    RemoteError (one line) otherwise."""
    config_dir = config_dir or app_paths().config_dir
    connection = ConnectionStore(config_dir).require(ref.connection)
    check_privacy(connection)
    key = (keys or KeyStore(config_dir)).get(connection.name)
    client = RemoteClient(connection, ref.model, key)
    try:
        served = client.models()
        match = next((m for m in served if m.id == ref.model), None)
        if match is None:
            raise _missing_model(client.host, ref.model, served)
    except BaseException:
        client.close()
        raise
    client.use_context(match.n_ctx)
    return client


def _missing_model(host: str, model: str, served: list[RemoteModel]) -> errors.RemoteError:
    names = ", ".join(m.id for m in served[:SHOWN_MODELS]) or "none"
    more = f" and {len(served) - SHOWN_MODELS} more" if len(served) > SHOWN_MODELS else ""
    return errors.RemoteError(f"{host} does not serve a model named {model} (it serves: "
                              f"{names}{more}).", "not_found")


def connection_models(connection: Connection, key: str,
                      timeout: float = LIST_TIMEOUT_S) -> list[RemoteModel]:
    """The models ``connection`` serves, asked with a short timeout; raises RemoteError."""
    with http_client(connection, key, read_timeout=timeout, connect_timeout=timeout) as http:
        return list_models(http, errors.host_of(connection.base_url))


@dataclass(frozen=True)
class ProbeResult:
    """What ``probe`` found: the models, and a one-token reply's timings (0 when no model)."""

    models: list[RemoteModel]
    list_seconds: float
    reply_seconds: float = 0.0
    ttft_seconds: float = 0.0
    reply: str = ""


def probe(connection: Connection, key: str, model: str = "") -> ProbeResult:
    """List the models, then time a tiny request to ``model`` (default: the first listed)."""
    started = time.perf_counter()
    models = connection_models(connection, key)
    listed = time.perf_counter() - started
    chosen = model or (models[0].id if models else "")
    if not chosen:
        return ProbeResult(models, listed)
    client = RemoteClient(connection, chosen, key)
    try:
        began = time.perf_counter()
        stream = client.stream([ChatMessage("user", "Say OK.")],
                               SamplingSettings(max_tokens=4, temperature=0.0))
        reply = "".join(stream)
        if stream.stats.stop_reason == "error":
            raise errors.RemoteError(stream.stats.error, "server")
        return ProbeResult(models, listed, time.perf_counter() - began,
                           stream.stats.ttft_seconds, reply)
    finally:
        client.close()


@dataclass(frozen=True)
class RemoteGroup:
    """One connection's models for a model list, or why there are none (``problem``)."""

    connection: Connection
    host: str
    models: list[RemoteModel]
    problem: str = ""

    def refs(self) -> list[RemoteRef]:
        return [RemoteRef(self.connection.name, m.id) for m in self.models]


def list_remote(config_dir: Path | None = None,
                timeout: float = LIST_TIMEOUT_S) -> list[RemoteGroup]:
    """Every connection's models (slow: asks each server; run it off the GUI thread). A
    server that cannot be asked, or a host outside the network nobody confirmed, is a group
    with a ``problem`` line and no models."""
    config_dir = config_dir or app_paths().config_dir
    keys = KeyStore(config_dir)
    groups: list[RemoteGroup] = []
    for connection in ConnectionStore(config_dir).all():
        host = errors.host_of(connection.base_url)
        try:
            check_privacy(connection)
            models = connection_models(connection, keys.get(connection.name), timeout)
        except errors.RemoteError as exc:
            groups.append(RemoteGroup(connection, host, [], str(exc)))
            continue
        groups.append(RemoteGroup(connection, host, models))
    return groups
