"""The rules of a voice's settings (consistency, expressiveness, boost_language_consistency).

One function checks values against a voice's engine and the `limits` the service answered with;
the CLI runs it before sending, and the sandbox runs it on what it receives, so a user meets the
same messages either way. Messages name the engine a setting applies to when it is the wrong one.
"""

from __future__ import annotations

import json
import math
from typing import Any

from . import limits as L


def describe_limit(name: str, rule: dict[str, Any]) -> str:
    """A setting and its valid values: 'consistency (integer 1-32)', 'expressiveness (0-1)',
    'boost_language_consistency (true/false)'."""
    kind = rule.get("type")
    if kind == "boolean":
        return f"{name} (true/false)"
    lo, hi = rule.get("min"), rule.get("max")
    span = f"{_num(lo)}-{_num(hi)}" if lo is not None and hi is not None else "any value"
    return f"{name} ({'integer ' if kind == 'integer' else ''}{span})"


def applies_to(name: str) -> str:
    engines = L.SETTING_ENGINES.get(name, ())
    return " and ".join(L.engine_label(e) for e in engines) or "no engine"


def check(service: str | None, values: dict[str, Any], limits: dict[str, Any]) -> list[str]:
    """Every problem with ``values`` for a voice of engine ``service`` whose valid ranges are
    ``limits`` ({setting: {type, min, max}}); an empty list when they may be sent."""
    if not values:
        return [L.NO_SETTINGS_GIVEN]
    label = L.engine_label(service)
    problems = []
    for name, value in values.items():
        rule = limits.get(name)
        if not isinstance(rule, dict):
            if name not in L.SETTING_ENGINES:
                known = ", ".join(L.SETTING_ENGINES)
                problems.append(f"Unknown setting {show_value(name)}; the settings are: {known}")
                continue
            takes = ", ".join(
                describe_limit(k, r) for k, r in limits.items() if isinstance(r, dict)
            )
            problems.append(
                f"{name} applies to {applies_to(name)} voices, not to {label} voices; "
                + (
                    f"a {label} voice takes {takes}"
                    if takes
                    else f"{label} voices have no settings"
                )
            )
            continue
        problems.extend(_check_value(name, value, rule))
    return problems


def _check_value(name: str, value: object, rule: dict[str, Any]) -> list[str]:
    kind = rule.get("type")
    if kind == "boolean":
        return (
            []
            if isinstance(value, bool)
            else [f"{name} must be true or false (got {show_value(value)})"]
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return [f"{name} must be a number (got {show_value(value)})"]
    lo, hi = rule.get("min"), rule.get("max")
    low = isinstance(lo, (int, float)) and value < lo
    high = isinstance(hi, (int, float)) and value > hi
    if low or high or (kind == "integer" and not float(value).is_integer()):
        what = "an integer from" if kind == "integer" else "from"
        return [f"{name} must be {what} {_num(lo)} to {_num(hi)} (got {show_value(value)})"]
    return []


def _num(x: object) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def show_value(value: object) -> str:
    """A value as JSON: quoted and escaped, so nothing a user or server sent is shown raw."""
    try:
        return json.dumps(value, ensure_ascii=True)[:80]
    except (TypeError, ValueError):
        return "?"
