"""voices.toml: a manifest of voices that CI validates and applies.

    [[voice]]
    name = "Narrator"
    samples = ["samples/narrator.wav"]   # relative to the manifest's folder unless absolute
    gender = "female"                    # optional
    description = "Warm and calm"        # optional
    engine = "v3"                        # optional: "v3" (default) or "v2"
    settings = { boost_language_consistency = true }   # optional: the voice's settings

Unknown keys, a missing file and wrong types are errors that name the voice and the line. Two
voices may not share a name as the service matches names (case, surrounding spaces, Unicode form).

``engine = "v1"`` marks a BTTS (V1) voice adopted by ``export``: it can be tracked, checked for
drift and pruned, but not created or replaced (the clone endpoint makes V2 and V3 voices).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from . import limits
from .errors import InputError
from .names import name_key

KEYS = ("name", "samples", "gender", "description", "engine", "settings")
#: Engines a manifest may name; "v1" only for adopted BTTS voices (see above).
MANIFEST_ENGINES = (*limits.ENGINES, "v1")
#: The service's engine names.
SERVICE_ENGINE = {"BTTS": "v1", "BTTS_V2": "v2", "BTTS_V3": "v3"}
#: The settings each engine takes, as documented: (type, min, max). Offline, V2's range is the
#: widest the docs give (0-64; 1-32 on two of three pages): the service's own limits decide.
SETTINGS: dict[str, dict[str, tuple[str, float, float]]] = {
    SERVICE_ENGINE[service]: {
        key: (str(rule["type"]), float(rule.get("min", 0)), float(rule.get("max", 1)))
        for key, rule in keys.items()
    }
    for service, keys in cast("dict[str, dict[str, Any]]", limits.VOICE_SETTINGS_FALLBACK).items()
    if service in SERVICE_ENGINE
}


@dataclass
class VoiceSpec:
    name: str
    samples: list[str]
    gender: str | None = None
    description: str | None = None
    engine: str = "v3"
    line: int = 0
    settings: dict[str, Any] = field(default_factory=dict)


def _load_toml(path: Path) -> dict[str, Any]:
    from .tomlfile import InvalidToml, read_toml  # lazy: start-up (validate --no-quality)

    try:
        return read_toml(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such manifest") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from None
    except InvalidToml as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None


def _voice_lines(text: str) -> list[tuple[int, int]]:
    """(first line, last line) of each [[voice]] table, 1-based."""
    starts = [
        i + 1
        for i, line in enumerate(text.splitlines())
        if re.match(r"\s*\[\[\s*voice\s*\]\]", line)
    ]
    total = len(text.splitlines())
    return [
        (s, (starts[i + 1] - 1 if i + 1 < len(starts) else total)) for i, s in enumerate(starts)
    ]


def _key_line(lines: list[str], span: tuple[int, int], key: str) -> int:
    for n in range(span[0], span[1] + 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[n - 1]):
            return n
    return span[0]


def load(path: str | os.PathLike[str]) -> list[VoiceSpec]:
    """Parse and check a manifest; every problem is reported at once as one InputError."""
    p = Path(path)
    data = _load_toml(p)
    text = p.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    spans = _voice_lines(text)
    problems: list[tuple[int, str]] = []  # (line, message)
    top_unknown = sorted(set(data) - {"voice"})
    if top_unknown:
        problems.append(
            (1, f"unknown top-level key(s): {', '.join(top_unknown)} (expected [[voice]] tables)")
        )
    voices = data.get("voice", [])
    if not isinstance(voices, list) or not voices:
        problems.append((1, "no [[voice]] tables"))
        voices = []
    specs: list[VoiceSpec] = []
    seen: dict[str, int] = {}
    base = p.parent
    for i, v in enumerate(voices):
        span = spans[i] if i < len(spans) else (1, len(lines))
        if not isinstance(v, dict):
            problems.append((span[0], "[[voice]] must be a table"))
            continue
        name = v.get("name")
        label = f"voice {name!r}" if isinstance(name, str) else f"voice #{i + 1}"

        def err(key: str, message: str, label: str = label, span: tuple[int, int] = span) -> None:
            problems.append((_key_line(lines, span, key), f"{label}: {message}"))

        for key in sorted(set(v) - set(KEYS)):
            err(key, f"unknown key {key!r} (known: {', '.join(KEYS)})")
        if not isinstance(name, str) or not name.strip():
            err("name", limits.NAME_REQUIRED)
            name = ""
        elif name_key(name) in seen:
            err("name", f"the name is also used at line {seen[name_key(name)]}")
        else:
            seen[name_key(name)] = span[0]
        samples = v.get("samples")
        resolved: list[str] = []
        if (
            not isinstance(samples, list)
            or not samples
            or not all(isinstance(s, str) for s in samples)
        ):
            err("samples", "samples must be a non-empty list of file paths")
            samples = []
        for s in samples:
            full = s if os.path.isabs(s) else str(base / s)
            if not os.path.lexists(full):
                err("samples", f"sample {s} does not exist")
            resolved.append(full)
        gender = v.get("gender")
        if gender is not None and gender not in limits.GENDERS:
            err("gender", f"{limits.INVALID_GENDER}: {gender!r} (male or female)")
        engine = v.get("engine", "v3")
        if engine not in MANIFEST_ENGINES:
            err("engine", f"engine must be one of {', '.join(limits.ENGINES)}, not {engine!r}")
            engine = "v3"
        settings = v.get("settings", {})
        if not isinstance(settings, dict):
            err("settings", "settings must be a table, e.g. settings = { consistency = 16 }")
            settings = {}
        for message in check_settings(settings, str(engine)):
            err("settings", message)
        description = v.get("description")
        if description is not None and not isinstance(description, str):
            err("description", "description must be a string")
        specs.append(
            VoiceSpec(name, resolved, gender, description, str(engine), span[0], dict(settings))
        )
    if problems:
        raise InputError(
            f"{p}: {len(problems)} problem(s) in the manifest:\n"
            + "\n".join(f"{p}:{n}: {m}" for n, m in problems),
            errors=[
                {"error": "Manifest Error", "message": f"{p}:{n}: {m}", "file": str(p), "line": n}
                for n, m in problems
            ],
        )
    return specs


def check_settings(settings: dict[str, Any], engine: str) -> list[str]:
    """Problems of a voice's settings for its engine, offline."""
    allowed = SETTINGS.get(engine, {})
    out = []
    for key in sorted(settings):
        value = settings[key]
        if key not in allowed:
            owners = [e for e, keys in SETTINGS.items() if key in keys]
            if owners:
                out.append(
                    f"setting {key!r} applies to {'/'.join(owners)} voices, not {engine}"
                    f" (a {engine} voice takes: {', '.join(allowed)})"
                )
            else:
                known = sorted({k for keys in SETTINGS.values() for k in keys})
                out.append(f"unknown setting {key!r} (known: {', '.join(known)})")
            continue
        kind, lo, hi = allowed[key]
        if kind == "boolean":
            if not isinstance(value, bool):
                out.append(f"setting {key!r} must be true or false, not {value!r}")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                out.append(
                    f"setting {key!r} must be an integer from {lo:g} to {hi:g}, not {value!r}"
                )
        elif (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi
        ):
            out.append(f"setting {key!r} must be a number from {lo:g} to {hi:g}, not {value!r}")
    return out


def is_manifest(paths: list[str]) -> bool:
    return len(paths) == 1 and paths[0].endswith(".toml")
