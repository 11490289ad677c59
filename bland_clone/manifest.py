"""voices.toml: a manifest of voices that CI validates and applies.

    [[voice]]
    name = "Narrator"
    samples = ["samples/narrator.wav"]   # relative to the manifest's folder unless absolute
    gender = "female"                    # optional
    description = "Warm and calm"        # optional
    engine = "v3"                        # optional: "v3" (default) or "v2"

Unknown keys, a missing file and wrong types are errors that name the voice and the line.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import limits
from .errors import InputError

KEYS = ("name", "samples", "gender", "description", "engine")


@dataclass
class VoiceSpec:
    name: str
    samples: list[str]
    gender: str | None = None
    description: str | None = None
    engine: str = "v3"
    line: int = 0


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such manifest") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
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
        elif name.casefold() in seen:
            err("name", f"the name is also used at line {seen[name.casefold()]}")
        else:
            seen[name.casefold()] = span[0]
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
        if engine not in limits.ENGINES:
            err("engine", f"engine must be one of {', '.join(limits.ENGINES)}, not {engine!r}")
        description = v.get("description")
        if description is not None and not isinstance(description, str):
            err("description", "description must be a string")
        specs.append(VoiceSpec(name, resolved, gender, description, str(engine), span[0]))
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


def is_manifest(paths: list[str]) -> bool:
    return len(paths) == 1 and paths[0].endswith(".toml")
