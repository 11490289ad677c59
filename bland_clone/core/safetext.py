"""Text from elsewhere made safe to show: secrets redacted, control characters escaped.

Anything the service or the file system says (voice names, ids, tags, messages, error bodies,
file names) may hold escape sequences that would drive the user's terminal, or the key itself
echoed back. Output passes every line through :func:`clean` (and every table cell and one-line
value through :func:`one_line`), on a terminal and through a pipe alike.
"""

from __future__ import annotations

import re

_secrets: set[str] = set()

# C0 and C1 controls, DEL, the invisible bidirectional overrides, and lone surrogates (the
# undecodable bytes of a file name or an argument, which no terminal encoding can print).
_OTHERS = "\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL = re.compile(f"[\x00-\x1f{_OTHERS}]")
_CONTROL_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")


def add_secret(secret: str | None) -> None:
    """Redact ``secret`` from everything shown from now on."""
    if secret and len(secret) >= 4:
        _secrets.add(secret)


def redact(text: str) -> str:
    for s in _secrets:
        if s in text:
            text = text.replace(s, "****" + s[-4:] if len(s) >= 16 else "****")
    return text


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def clean(text: str) -> str:
    """A message to print: secrets redacted, controls escaped (line breaks and tabs kept)."""
    return _CONTROL_KEEP_LINES.sub(_escape, redact(text))


def one_line(text: str) -> str:
    """A value shown on one line (a table cell, a name): every control escaped."""
    return _CONTROL.sub(_escape, redact(text))


def quoted(text: str) -> str:
    """A name in quotes, as ``{name!r}`` shows it, but with only controls, terminal escapes and
    bidi overrides escaped: repr() also escapes joiners (ZWJ) that render, as in family emoji."""
    return f"'{one_line(text)}'"


def json_text(dumped: str) -> str:
    """A serialised JSON document made safe: secrets redacted (raw and JSON-escaped forms), and
    the controls JSON leaves raw (DEL, C1, bidi overrides) written as \\u escapes."""
    for s in _secrets:
        for form in (s, s.replace("\\", "\\\\").replace('"', '\\"')):
            if form in dumped:
                dumped = dumped.replace(form, "****" + s[-4:] if len(s) >= 16 else "****")
    return _CONTROL_KEEP_LINES.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
