"""OpenChat Desktop: chat with large language models that run on your own computer."""

__version__ = "0.1.0"
APP_NAME = "OpenChat"
