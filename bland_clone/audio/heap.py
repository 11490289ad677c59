"""Freed memory kept for the next take: glibc's malloc thresholds once audio is analysed.

An analysis makes temporaries of a few hundred kilobytes (a spectrogram's frames, an FFT's
output). By default glibc serves those from mmap, or trims them off the top of the heap when
they are freed, so every take faults the same pages in again: 110-340 page faults a 1-3 s
take, a tenth to a third of its CPU time on a shared machine, where a fault costs
microseconds. After :func:`keep`, allocations under 16 MB come from the heap and up to 32 MB
of it stays mapped when freed: the next take reuses the same pages (the peak is unchanged;
a process that analysed holds at most that much free memory until it exits). Elsewhere than
glibc (macOS, Windows, musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import sys
import threading

#: mallopt's parameters (glibc's malloc.h).
_TRIM_THRESHOLD = -1
_MMAP_THRESHOLD = -3
#: The largest allocation served from the heap, and the free heap kept mapped.
MMAP_THRESHOLD = 16 << 20
TRIM_THRESHOLD = 32 << 20

_lock = threading.Lock()
_done = False


def keep() -> None:
    """Keep freed memory for this process' next take (once; later calls return at once)."""
    global _done
    if _done:
        return
    with _lock:
        if not _done:
            _set()
            _done = True


def _set() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # not glibc: musl's mallopt does nothing
            return
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt(_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_TRIM_THRESHOLD, TRIM_THRESHOLD)
    except (OSError, AttributeError):  # pragma: no cover - a Linux without a shared libc
        return
