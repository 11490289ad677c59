"""Sizes and durations as people read them (a dry run's request, reports, tables)."""

from __future__ import annotations


def fmt_size(size: int | None) -> str:
    if size is None:
        return "-"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}KB"
    return f"{size / (1024 * 1024):.1f}MB"


def fmt_duration(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}s"
