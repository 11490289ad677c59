"""The one shape of every ``--json`` object: ``ok`` first, the result's fields, ``errors`` last.

Results (their ``to_dict``), the commands and the error report all build it here, so the
contract docs/scripting.md states ("Every object has ``ok`` and ``errors``") lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def envelope(
    body: Mapping[str, Any], *, ok: bool = True, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``body`` wrapped: ``{"ok": ok, **body, "errors": errors or []}`` (keys in that order)."""
    return {"ok": ok, **body, "errors": errors or []}
