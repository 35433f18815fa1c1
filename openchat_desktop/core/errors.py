"""Errors the user sees: each carries one human line, never a traceback."""

from __future__ import annotations


class OpenChatError(Exception):
    """Base of every error whose message is fit to show a user as one line."""


class ModelFileError(OpenChatError):
    """The model file is missing, unreadable, not GGUF, damaged or unsupported."""


class ModelLoadError(OpenChatError):
    """llama.cpp refused to load a file that looked valid."""


class NoModelError(OpenChatError):
    """No model was given and neither a default nor the starter model exists."""


class ContextOverflowError(OpenChatError):
    """A single message does not fit in the model's context window."""


class TemplateError(OpenChatError):
    """A chat template could not be rendered safely."""


class SettingsError(OpenChatError):
    """A setting value is invalid."""


class HubError(OpenChatError):
    """A model download or Hub query failed."""


class StoreError(OpenChatError):
    """The conversation database could not be read or written."""
