"""What every command-line test checks of a failure: one line on stderr, no traceback."""

from __future__ import annotations


def one_error_line(err: str) -> str:
    """The single ``openchat: …`` line of ``err``; fails the test on anything more."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("openchat: "), err
    assert "Traceback" not in err
    return lines[0]
