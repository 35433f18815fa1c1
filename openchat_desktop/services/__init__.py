"""QObjects that own threads and state (QtCore only, no widgets)."""
