"""The thread-pool map, written once: a few items run in this thread, more in a pool."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


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
