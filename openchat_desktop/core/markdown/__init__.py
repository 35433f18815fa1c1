"""Untrusted Markdown to Qt rich-text HTML, with highlighted code."""
