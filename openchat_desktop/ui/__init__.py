"""Widgets, dialogs and item models."""
