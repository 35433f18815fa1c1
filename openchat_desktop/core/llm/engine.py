"""The inference engine: one loaded GGUF model and the token loop over llama-cpp-python.

An ``Engine`` is not thread-safe: exactly one thread owns it (the GUI's worker thread, or the
terminal chat's main thread). Only ``stop_event`` may be touched from another thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import llama_cpp

from openchat_desktop.core.errors import ContextOverflowError, ModelLoadError
from openchat_desktop.core.gguf.embedding import is_embedding_model
from openchat_desktop.core.gguf.info import GGUFInfo, read_gguf_info
from openchat_desktop.core.gguf.tables import KV_CACHE_GGML_TYPES, kv_bytes_per_element
from openchat_desktop.core.llm import kv_cache_growth, kv_states, llama_runtime, parallel
from openchat_desktop.core.llm.backend import NoRoomNow
from openchat_desktop.core.llm.batch_decode import (
    MAIN_SEQUENCE,
    SHARED_PROMPT_CHUNK,
    BatchDecoder,
    Slot,
    common_prefix,
)
from openchat_desktop.core.llm.generation import Generation
from openchat_desktop.core.llm.history_fit import fit_conversation, reply_reserve
from openchat_desktop.core.llm.reasoning import ReplyFormat, reply_format, thinking_variables
from openchat_desktop.core.llm.sampling import (
    GenerationOptions,
    LoadSettings,
    SamplingSettings,
)
from openchat_desktop.core.llm.templates import ChatMessage, ChatTemplate, build_chat_template

log = logging.getLogger(__name__)
# VRAM a GPU load needs beyond weights and KV cache: CUDA context, cuBLAS workspace, compute
# buffers (about 0.5 GB measured on an H100 for a 135M model at context 8192).
GPU_HEADROOM_BYTES = 512 << 20


class _UnusedChatFormatter:
    """Stands in for llama-cpp-python's ``Jinja2ChatFormatter``, which ``Llama()`` builds for
    every chat template in the file with plain Jinja, constant folding included: a template
    holding ``{{ 'x' * 10**10 }}`` allocated 10 GB (and got the app OOM-killed) before the
    sandbox in ``core/llm/templates.py`` ever saw it. OpenChat renders templates itself and never
    calls the binding's chat handlers, so nothing is compiled here."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def to_chat_handler(self) -> None:
        return None


llama_cpp.llama_chat_format.Jinja2ChatFormatter = _UnusedChatFormatter  # type: ignore[misc,assignment]


@dataclass(frozen=True)
class DeviceInfo:
    """Where the model actually runs. ``fallback_reason`` says why a GPU load fell back."""

    backend: str
    gpu_layers: int
    fallback_reason: str = ""

    def describe(self) -> str:
        if self.gpu_layers == 0:
            return "CPU" + (f" (GPU failed: {self.fallback_reason})" if self.fallback_reason
                            else "")
        layers = "all layers" if self.gpu_layers < 0 else f"{self.gpu_layers} layers"
        return f"{self.backend} ({layers})"


class Engine:
    """A loaded model that turns a conversation into a streamed reply.

    Raises ``ModelFileError`` (bad file, checked before llama.cpp sees it) or
    ``ModelLoadError`` from the constructor.
    """

    def __init__(self, settings: LoadSettings) -> None:
        self.settings = settings
        self.info: GGUFInfo = read_gguf_info(settings.model_path)
        llama_runtime.install_log_router()
        self.n_ctx = settings.resolved_ctx(self.info.context_length)
        self._llm, self.device = self._open()
        self._vocab = self._llm._model.vocab
        self.template: ChatTemplate = build_chat_template(
            self.info.chat_template, self.info.bos_token or "", self.info.eos_token or "")
        self.evaluated_tokens_total = 0
        self.decoder = BatchDecoder(lambda: self._llm.ctx, lambda: self._llm.n_batch, 1,
                                    mirror=self._llm)
        self.beside = False  # set by the scheduler: the next reply is an API client's
        self._side: parallel.SideContext | None = None
        self._side_refused = False
        self.state_keeper: kv_states.StateKeeper | None = None  # see use_state_cache

    @property
    def model_name(self) -> str:
        return self.info.display_name

    @property
    def model_path(self) -> Path:
        return self.settings.model_path

    @property
    def can_embed(self) -> bool:
        """Whether this is an embedding model (``core.gguf.embedding``): it loads with
        embeddings on, and only it answers embedding requests."""
        return is_embedding_model(self.info)

    @property
    def cached_tokens(self) -> int:
        """Tokens currently held in the KV cache (the context used)."""
        return int(self._llm.n_tokens)

    @property
    def allocated_ctx(self) -> int:
        """Tokens the KV cache has room for now; it grows up to ``n_ctx`` when it may."""
        return kv_cache_growth.allocated_context(self._llm)

    @property
    def grows_context(self) -> bool:
        """Whether the KV cache starts small and grows (CPU only: on a GPU, growing would
        need more video memory mid-conversation, and llama.cpp aborts when that fails)."""
        return self.settings.grow_context and self.device.gpu_layers == 0

    def release_unused_room(self, tokens: list[int]) -> bool:
        """After a switch to a shorter conversation, give back the cache it does not need
        (the prompt is read again from where it differs anyway)."""
        if not self.grows_context:
            return False
        initial = kv_cache_growth.initial_context_size(self.n_ctx, self.settings.n_batch)
        return kv_cache_growth.shrink_to_hold(self._llm, len(tokens) + 1, initial,
                                             self._reusable_prefix(tokens))

    def make_room(self, tokens: int) -> bool:
        """Grow the KV cache to hold ``tokens``; False when it cannot."""
        if tokens <= self.allocated_ctx:
            return True
        if not self.grows_context:
            return False
        per_element = kv_bytes_per_element(self.settings.kv_cache_type)
        return kv_cache_growth.grow_to_hold(
            self._llm, tokens, self.n_ctx, lambda n: self.info.kv_cache_bytes(n, per_element))

    def _open(self) -> tuple[llama_cpp.Llama, DeviceInfo]:
        layers = llama_runtime.resolve_gpu_layers(self.settings.n_gpu_layers)
        if layers > self.info.block_count:
            layers = -1  # llama.cpp has block_count + 1 layers: more than that is all of them
        backend = llama_runtime.gpu_backend_name() or "CPU"
        # llama.cpp aborts the whole process (GGML_ABORT, no exception) when CUDA runs out of
        # memory while it creates the context, so a GPU that cannot hold the model is never
        # tried: the except below only catches the failures that do raise.
        reason = self._gpu_shortfall(layers) if layers != 0 else ""
        if layers != 0 and not reason:
            try:
                return self._new_llama(layers), DeviceInfo(backend, layers)
            except ModelLoadError as exc:
                reason = str(exc)
        if reason:
            log.warning("GPU load not possible, using the CPU: %s", reason)
        check_free_memory(self.info, self.n_ctx, self.settings.kv_cache_type)
        return self._new_llama(0), DeviceInfo(backend, 0, reason)

    def _gpu_shortfall(self, layers: int) -> str:
        """Why the GPU cannot hold ``layers`` layers of this model; "" when it can, or when
        its free memory is unknown."""
        free = llama_runtime.gpu_free_memory()
        if free is None:
            return ""
        share = 1.0 if layers < 0 else min(1.0, layers / (self.info.block_count + 1))
        kv_cache = self.info.kv_cache_bytes(
            self.n_ctx, kv_bytes_per_element(self.settings.kv_cache_type))
        needed = int(share * (self.info.file_size + kv_cache)) + GPU_HEADROOM_BYTES
        if needed <= free:
            return ""
        return (f"needs about {needed / 1e9:.1f} GB of GPU memory but only "
                f"{free / 1e9:.1f} GB is free")

    def _new_llama(self, gpu_layers: int) -> llama_cpp.Llama:
        kv_type = KV_CACHE_GGML_TYPES[self.settings.kv_cache_type]
        attempts = [True, False] if self.settings.flash_attn else [False]
        # n_gpu_layers=0 alone still makes a GPU build create CUDA streams and buffers (and
        # send large prompt batches to the GPU): measured 723 MiB of VRAM used on an H100, and
        # an abort when the GPU is full. No GPU device and no op offload makes "CPU" true.
        cpu_only: dict[str, Any] = {}
        if gpu_layers == 0 and llama_runtime.gpu_offload_supported():
            cpu_only = {"split_mode": llama_cpp.LLAMA_SPLIT_MODE_NONE, "main_gpu": -1,
                        "op_offload": False}
        n_ctx = self.n_ctx
        if gpu_layers == 0 and self.settings.grow_context:
            n_ctx = kv_cache_growth.initial_context_size(self.n_ctx, self.settings.n_batch)
        for flash_attn in attempts:
            llama_runtime.take_recent_native_errors()
            try:
                return llama_cpp.Llama(
                    str(self.settings.model_path), n_ctx=n_ctx, n_gpu_layers=gpu_layers,
                    n_threads=self.settings.resolved_threads(), n_batch=self.settings.n_batch,
                    flash_attn=flash_attn, verbose=False, type_k=kv_type, **cpu_only,
                    embedding=self.can_embed,
                    # llama.cpp quantizes the V cache only with flash attention.
                    type_v=kv_type if flash_attn else KV_CACHE_GGML_TYPES["f16"])
            except (ValueError, RuntimeError, OSError) as exc:
                reason = _load_failure_reason(exc)
        raise ModelLoadError(f"llama.cpp could not load {self.settings.model_path.name}: "
                             f"{reason}")

    def use_state_cache(self, cache: StateCache | None) -> None:
        """Keep the states of conversations it leaves in ``cache`` and restore them when a
        prompt comes back to one (``kv_states``); None stops it."""
        self.state_keeper = (None if cache is None or self._llm is None
                             else kv_states.StateKeeper(cache, kv_states.fingerprint(self)))

    def set_conversation(self, conversation_id: int | None) -> None:
        """Name the conversation the next prompt belongs to (None: an API request, whose
        state is never written to disk)."""
        if self.state_keeper is not None:
            self.state_keeper.next_conversation = conversation_id

    def close(self) -> None:
        """Free the model now rather than whenever the garbage collector runs."""
        if self.state_keeper is not None and self._llm is not None \
                and not kv_cache_growth.lost(self._llm):
            self.state_keeper.park(self._llm)  # an unload or quit leaves the conversation
        self.decoder.close()
        if self._side is not None:
            self._side.close()
            self._side = None
        llm, self._llm = self._llm, None  # type: ignore[assignment]
        if llm is not None:
            llm.close()

    # -- prompts ---------------------------------------------------------------------------
    def tokenize_prompt(self, messages: Sequence[ChatMessage],
                        options: GenerationOptions | None = None) -> list[int]:
        text = self.template.render(messages, **self.template_variables(options))
        bos = self.info.bos_token or ""
        add_bos = bool(self.info.add_bos_token) and not (bos and text.startswith(bos))
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def template_variables(self, options: GenerationOptions | None) -> dict[str, Any]:
        """What the chat template gets besides the messages, for ``options``."""
        if options is None:
            return {}
        return {**thinking_variables(options.thinking, self.template.source),
                **options.template_vars}

    def fit(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
            options: GenerationOptions | None = None
            ) -> tuple[list[ChatMessage], list[int], int]:
        """Drop the oldest turns until the prompt leaves room for the reply."""
        limit = self.n_ctx - reply_reserve(self.n_ctx, sampling.max_tokens)
        cache: dict[int, list[int]] = {}

        def measure(kept: Sequence[ChatMessage]) -> int:
            cache[len(kept)] = self.tokenize_prompt(kept, options)
            return len(cache[len(kept)])

        kept, dropped = fit_conversation(messages, measure, limit)
        return kept, cache[len(kept)], dropped

    # -- generation ------------------------------------------------------------------------
    def stream(self, messages: Sequence[ChatMessage], sampling: SamplingSettings,
               stop_event: threading.Event | None = None,
               options: GenerationOptions | None = None) -> Generation:
        """Start a reply. Raises ``ContextOverflowError``, ``TemplateError`` or (after the
        context was lost for want of memory) ``ModelLoadError`` right away;
        iterate the result for text deltas, then read ``.stats``. With ``beside`` set (an
        API client's reply, see ``parallel``), it runs in the API replies' context."""
        if kv_cache_growth.lost(self._llm):
            raise ModelLoadError(kv_cache_growth.LOST_MESSAGE)
        _, tokens, dropped = self.fit(messages, sampling, options)
        if self._goes_beside(tokens, sampling):
            generation = Generation(self, tokens, sampling, stop_event or threading.Event(),
                                    dropped, options, side=True)
            generation.reply_format = self.reply_format_for(tokens)
            return generation
        if not self._ready_for(tokens):
            log.warning("context limited to the %d tokens it has now", self.allocated_ctx)
            self.n_ctx = self.allocated_ctx
            _, tokens, dropped = self.fit(messages, sampling, options)
        generation = Generation(self, tokens, sampling, stop_event or threading.Event(),
                                dropped, options)
        generation.reply_format = self.reply_format_for(tokens)
        return generation

    def _goes_beside(self, tokens: list[int], sampling: SamplingSettings) -> bool:
        """Whether the next reply runs in the API replies' context: asked for (``beside``),
        and its prompt and longest reply fit a sequence there. One that does not runs in the
        conversation's context when that is free; else ``NoRoomNow``: it waits."""
        side = self._side_context() if self.beside else None
        if side is None:
            return False
        if len(tokens) + sampling.max_tokens <= side.cells_each:
            return True
        if self.decoder.slots:
            raise NoRoomNow("too long for the API replies' context; waits for the main one")
        return False

    def _ready_for(self, tokens: list[int]) -> bool:
        """Before reading a prompt: park or restore kept conversation states, give back room
        the prompt does not need, then grow the cache to hold it and one reply token. False
        when the cache cannot grow that far."""
        if self.state_keeper is not None:
            self.state_keeper.before_prompt(self._llm, tokens)
        self.release_unused_room(tokens)
        return self.make_room(len(tokens) + 1)

    def reply_format_for(self, tokens: list[int]) -> ReplyFormat:
        """How replies to this prompt mark their thinking (see ``core/llm/reasoning.py``):
        the template says which family, the prompt's last tokens whether it opened a
        ``<think>`` the reply starts inside of."""
        tail = bytes(self._llm.detokenize(tokens[-4:], special=True)).decode("utf-8", "replace")
        return reply_format(self.template.source, tail)

    def stream_prompt(self, prompt: str, sampling: SamplingSettings,
                      stop_event: threading.Event | None = None,
                      options: GenerationOptions | None = None) -> Generation:
        """Continue plain text (no chat template). Raises ``ContextOverflowError`` when the
        prompt leaves no room for a single token of reply."""
        if kv_cache_growth.lost(self._llm):
            raise ModelLoadError(kv_cache_growth.LOST_MESSAGE)
        add_bos = bool(self.info.add_bos_token)
        tokens = list(self._llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=False))
        if not tokens or len(tokens) >= self.n_ctx:
            raise ContextOverflowError(
                f"The prompt has {len(tokens)} tokens; this model's context holds "
                f"{self.n_ctx}, reply included." if tokens else "The prompt is empty.")
        raw = GenerationOptions() if options is None else options
        raw = GenerationOptions(raw.stop, raw.presence_penalty, raw.frequency_penalty,
                                raw.grammar, raw=True)
        if self._goes_beside(tokens, sampling):
            return Generation(self, tokens, sampling, stop_event or threading.Event(), 0, raw,
                              side=True)
        if not self._ready_for(tokens):
            raise ContextOverflowError(
                f"The prompt has {len(tokens)} tokens but only {self.allocated_ctx} fit "
                "in the memory there is.")
        return Generation(self, tokens, sampling, stop_event or threading.Event(), 0, raw)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalized vector per text. Raises ``ModelLoadError`` for a chat model and
        ``ContextOverflowError`` for a text longer than the context."""
        if not self.can_embed:
            raise ModelLoadError(f"{self.model_name} is a chat model, not an embedding model")
        for text in texts:
            if self.count_tokens(text) > self.n_ctx:
                raise ContextOverflowError(
                    f"An input is longer than this model's context of {self.n_ctx} tokens.")
        vectors = self._llm.embed(list(texts), normalize=True, truncate=False)
        self._llm.n_tokens = 0  # embedding cleared the KV cache: nothing there to reuse
        return [list(map(float, vector)) for vector in vectors]

    # -- slots: the replies the decoders run ---------------------------------------------
    def open_slot(self, tokens: list[int], sampling: SamplingSettings,
                  options: GenerationOptions, stop: threading.Event, side: bool) -> Slot:
        """A decoder slot for a reply to ``tokens``: the conversation's sequence (reusing
        the cached prefix or a kept state), or for a ``side`` reply a sequence of the API
        replies' context. Raises ``NoRoomNow`` when a side reply cannot start now."""
        if not side:
            sampler = self._sampler(sampling, options)
            reuse = self._reusable_prefix(tokens)
            if self.state_keeper is not None:
                reuse = self.state_keeper.restore(self, tokens, reuse)
            return self.decoder.open(MAIN_SEQUENCE, tokens, reuse, sampler, stop)
        side_context = self._side_context()
        picked = side_context.pick(tokens) if side_context is not None else None
        if side_context is None or picked is None or len(tokens) >= side_context.cells_each:
            raise NoRoomNow("no sequence free for another reply now")
        seq, reuse = picked
        return side_context.decoder.open(seq, tokens, reuse, self._sampler(sampling, options),
                                         stop)

    def close_slot(self, slot: Slot) -> None:
        if slot in self.decoder.slots:
            self.decoder.close_slot(slot)
        elif self._side is not None:
            self._side.decoder.close_slot(slot)
            self._side.remember(slot.seq_id, slot.held)

    def step(self) -> bool:
        """One decode step of every running reply (the conversation's and the API's
        contexts); False when none had work."""
        decoders = [self.decoder] if self._side is None else [self.decoder, self._side.decoder]
        # While any reply streams, a prompt in either context is read in small chunks, so
        # that the streaming ones never wait for a whole 512-token batch.
        streaming = any(slot.generating for decoder in decoders for slot in decoder.slots)
        chunk = SHARED_PROMPT_CHUNK if streaming else None
        stepped = False
        for decoder in decoders:
            stepped = decoder.step(chunk) or stepped
        return stepped

    def can_start(self, side: bool) -> bool:
        """Whether a reply (a ``side`` one: for an API client) may start now beside those
        running."""
        if not side:
            return not self.decoder.slots
        side_context = self._side_context()
        if side_context is None:
            return False
        return len(side_context.decoder.slots) < side_context.decoder.n_seq_max

    @property
    def batching(self) -> bool:
        """Whether API replies may run together (not for embedding models)."""
        return not self.can_embed and self.settings.parallel_replies > 1

    def room_after(self, slot: Slot) -> bool:
        """Room in ``slot``'s sequence for the token it sampled; grows the cache if it may."""
        if slot in self.decoder.slots:
            return self.make_room(slot.n_past + 1)
        return self._side is not None and slot.n_past + 1 < self._side.cells_each

    def room_for(self, slot: Slot) -> int:
        """The most tokens ``slot``'s sequence may ever hold."""
        if slot in self.decoder.slots or self._side is None:
            return int(self.n_ctx)
        return self._side.cells_each

    def _side_context(self) -> parallel.SideContext | None:
        """The API replies' context, made the first time; None when it cannot be."""
        if self._side is None and self.batching and not self._side_refused:
            count = min(self.settings.parallel_replies, self._parallel_fits())
            try:
                if count < 2:
                    raise ValueError("not enough memory for several replies at once")
                cells = min(int(self.n_ctx), parallel.MAX_CELLS_EACH)
                self._side = parallel.SideContext(self._llm, count, cells,
                                                  self.settings.parallel_shared_cache)
            except ValueError as exc:
                log.warning("API replies run one at a time: %s", exc)
                self._side_refused = True
        return self._side

    def _parallel_fits(self) -> int:
        import psutil

        per_element = kv_bytes_per_element(self.settings.kv_cache_type)
        each = self.info.kv_cache_bytes(min(int(self.n_ctx), parallel.MAX_CELLS_EACH),
                                        per_element)
        available = (llama_runtime.gpu_free_memory() if self.device.gpu_layers != 0 else None)
        if available is None:
            available = int(psutil.virtual_memory().available)
        return parallel.parallel_count(each, available)

    def _sampler(self, sampling: SamplingSettings, options: GenerationOptions) -> Any:
        """The reply's own sampling chain, built as ``Llama.generate`` builds it."""
        llm = self._llm
        llm.set_seed(sampling.effective_seed())
        llm.last_n_tokens_size = sampling.repeat_last_n
        grammar = (llama_cpp.LlamaGrammar.from_string(options.grammar, verbose=False)
                   if options.grammar else None)
        return llm._init_sampler(top_k=sampling.top_k, top_p=sampling.top_p,
                                 min_p=sampling.min_p, temp=sampling.temperature,
                                 repeat_penalty=sampling.repeat_penalty,
                                 presence_penalty=options.presence_penalty,
                                 frequency_penalty=options.frequency_penalty, grammar=grammar)

    def _reusable_prefix(self, tokens: list[int]) -> int:
        """How many of ``tokens`` the KV cache already holds, in order. The last prompt
        token is always evaluated again: sampling needs fresh logits."""
        llm = self._llm
        reuse = common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
        return min(reuse, len(tokens) - 1)

    def is_end_of_generation(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def piece(self, token: int) -> bytes:
        return bytes(self._llm.detokenize([token]))


def check_free_memory(info: GGUFInfo, n_ctx: int, kv_cache_type: str = "f16") -> None:
    """Refuse, before llama.cpp allocates anything, a CPU load that cannot fit in free memory:
    running out of memory half-way would freeze the machine or get the app killed."""
    import psutil

    needed = info.file_size + info.kv_cache_bytes(n_ctx, kv_bytes_per_element(kv_cache_type))
    available = int(psutil.virtual_memory().available)
    if needed > available:
        raise ModelLoadError(f"This model needs about {needed / 1e9:.1f} GB but only "
                             f"{available / 1e9:.1f} GB of memory is free")


def _load_failure_reason(exc: BaseException) -> str:
    native = [line for line in llama_runtime.take_recent_native_errors() if line.strip()]
    for line in native:
        if "unknown model architecture" in line or "failed to" in line.lower():
            return line.split(":", 1)[-1].strip() if "llama_model_load" in line else line
    return native[-1] if native else str(exc).splitlines()[0]


if TYPE_CHECKING:
    from openchat_desktop.core.llm.backend import ChatBackend
    from openchat_desktop.core.llm.state_cache import StateCache

    # mypy proves here that the engine implements the chat-backend seam the worker types.
    _ENGINE_IS_A_CHAT_BACKEND: type[ChatBackend] = Engine
