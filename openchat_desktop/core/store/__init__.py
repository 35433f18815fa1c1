"""The conversation store: one SQLite file, its schema, tree, search, import and export."""
