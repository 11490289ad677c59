"""Sizes and durations as people read them (a dry run's request, reports, tables)."""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB", "TB")


def fmt_size(size: int | None) -> str:
    """Bytes as people read them: "25B", "1.5KB", "26.6MB" (binary units, as the service
    counts its limits). The unit is chosen after rounding, so 1048575 bytes reads "1.0MB",
    never "1024.0KB"."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{size}B"
    value = size / 1024
    for unit in _UNITS[:-1]:
        if round(value, 1) < 1024:
            return f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}{_UNITS[-1]}"


def fmt_duration(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}s"
