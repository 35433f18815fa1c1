"""The local OpenAI-compatible API server (FastAPI on uvicorn, its own thread and loop).

``runner.ServerThread`` runs ``app.create_app``: the ``security.Guard`` middleware (Host,
CORS, API key, body size, request log) in front of the routes (``routes_models``,
``routes_chat``, ``routes_embeddings``). Routes turn requests into jobs for the model's one
worker (``services.generation_queue``) and ``streams`` carries the results back onto the
event loop. ``serve_command``/``headless`` are ``openchat serve``; ``switch`` is the app's.
Never imports ``ui`` or ``app``.
"""
