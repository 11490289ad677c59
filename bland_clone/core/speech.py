"""Text to speak: pause markers <|N|> (N seconds, 0.1 to 10), checked the same way by the CLI
before sending and by the sandbox on receipt."""

from __future__ import annotations

import json
import re

from . import limits

#: <|N|>; what sits between the bars is checked by :func:`pauses`.
PAUSE = re.compile(r"<\|([^|<>]{0,16})\|>")


def pauses(text: str) -> tuple[list[float], list[str]]:
    """The pauses a text asks for, in order, and a message for each marker that is wrong."""
    found: list[float] = []
    problems: list[str] = []
    for m in PAUSE.finditer(text):
        shown = json.dumps(m.group(0), ensure_ascii=True)[1:-1]
        try:
            seconds = float(m.group(1).strip())
        except ValueError:
            problems.append(limits.pause_invalid(shown))
            continue
        if not limits.PAUSE_MIN_S <= seconds <= limits.PAUSE_MAX_S:
            problems.append(limits.pause_out_of_range(shown))
            continue
        found.append(seconds)
    return found, problems


def split(text: str) -> list[str | float]:
    """The text as spoken pieces and pauses, in order (markers assumed valid)."""
    out: list[str | float] = []
    at = 0
    for m in PAUSE.finditer(text):
        if text[at : m.start()].strip():
            out.append(text[at : m.start()])
        try:
            out.append(float(m.group(1)))
        except ValueError:
            pass
        at = m.end()
    if text[at:].strip():
        out.append(text[at:])
    return out
