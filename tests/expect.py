"""Small checks of what a command printed, shared by the tests."""

from __future__ import annotations


def one_error_line(err: str) -> str:
    """``err`` (a command's whole stderr) is exactly one line starting 'error: '; returns it."""
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    return err
