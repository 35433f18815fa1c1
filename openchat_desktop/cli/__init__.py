"""The command line: one module per command, none of them importing Qt or services."""
