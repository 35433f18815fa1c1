"""The language model: llama.cpp engine, KV cache, sampling, streaming, chat templates."""
