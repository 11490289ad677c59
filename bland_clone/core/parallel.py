"""The thread-pool map, written once: a few items run in this thread, more in a pool. And the
cores this process may run on."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it), at
    least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


def pmap(
    fn: Callable[[T], R], items: Sequence[T], workers: int, *, serial_below: int = 4
) -> list[R]:
    """``[fn(x) for x in items]``, in order; in ``workers`` threads once there are
    ``serial_below`` items or more (fewer are not worth a pool's start-up)."""
    if len(items) < serial_below:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor  # lazy: concurrent.futures is slow to import

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))
