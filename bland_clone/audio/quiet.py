"""Keeping C libraries' messages (libsndfile, mpg123) off the terminal.

Its own module so that both :mod:`.inspection` and :mod:`.decode` use it without importing
each other.

Descriptor 2 is the whole process's: while it points at /dev/null, whatever any thread writes
there is lost. The command line therefore writes its own messages to a duplicate of the real
stderr taken when it starts (:func:`dup_stderr`; bland_clone.cli.environment), so that only the
C libraries are silenced.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_fd: int | None = None


def dup_stderr() -> int:
    """A new descriptor for the process's real stderr: descriptor 2, or, while quiet_stderr
    points it at /dev/null, the one it will be given back from."""
    with _quiet_lock:
        return os.dup(2 if _saved_fd is None else _saved_fd)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while C code runs (re-entrant, thread-safe)."""
    global _quiet_depth, _saved_fd
    with _quiet_lock:
        if _quiet_depth == 0:
            try:
                _saved_fd = os.dup(2)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
            except OSError:
                _saved_fd = None
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _saved_fd is not None:
                os.dup2(_saved_fd, 2)
                os.close(_saved_fd)
                _saved_fd = None
