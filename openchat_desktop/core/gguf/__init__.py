"""Reading GGUF model headers: parser, tables, the summary the app shows."""
