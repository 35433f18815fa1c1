"""The OpenAI-compatible HTTP API (ASGI): sits above services/, beside ui/ and cli/."""
