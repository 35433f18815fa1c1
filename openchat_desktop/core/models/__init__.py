"""Models on disk and on the Hub: library, catalog, hub client, resumable downloads."""
