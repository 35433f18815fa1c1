"""Remote engines: chat through any OpenAI-compatible server (vLLM, llama.cpp's llama-server,
Ollama, LM Studio, another OpenChat).

``client.RemoteClient`` implements the ``core.llm.backend.ChatBackend`` seam, so the worker
thread and the terminal chat drive a remote model exactly like a local one. ``connections``
stores where the servers are, ``keys`` keeps their API keys out of every settings file,
``model_ref`` spells a remote model as a path-like ``remote:CONNECTION/MODEL``. Only this
package imports ``httpx`` (for remote servers) and ``keyring``.
"""
