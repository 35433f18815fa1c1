"""The model manager dialog: installed models, catalog, Hub search, downloads."""
