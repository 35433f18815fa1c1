"""Local documents: collections of files, read, chunked, indexed and searched offline."""
