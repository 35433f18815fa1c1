"""Plain-Python core: engine, templates, settings, storage, hub. Never imports Qt."""
