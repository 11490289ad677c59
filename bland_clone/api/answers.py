"""What the service answers: envelopes decoded, errors turned into exceptions, voices typed.

Bland answers with and without a ``{"data": ..., "errors": ...}`` envelope; a 200 may carry an
error. Every field from the service is checked for its type: a number where a name belongs is
shown as text, never a crash.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import APIError, AuthError, NameTaken, NotFoundError, ServiceError
from ..core.limits import NAME_TAKEN
from ..core.names import name_key
from ..core.safetext import one_line

if TYPE_CHECKING:
    import requests


def text(value: object) -> str | None:
    """A field the service should send as a string: None stays None, anything else becomes
    text (a number, a list, an object: shown, never a crash)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return json.dumps(value, ensure_ascii=False)[:200]
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__


def number(value: object) -> int | float | None:
    """A field the service should send as a number: None for anything else (text, a list,
    true, NaN, infinity), so a hostile answer is shown as unknown, never a crash."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def texts(value: object) -> list[str]:
    """A field the service should send as a list of strings: each item as :func:`text`; a lone
    value is a list of one; null is an empty list."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [t for t in (text(x) for x in items) if t is not None]


#: What an id of the service may hold: a UUID, a slug, a "bland-..." name. No separator, space,
#: control or surrogate, so it is one path segment and one word wherever it is written.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=~-]{0,127}")


def is_id(value: object) -> bool:
    """A string the service could mean as an id: not empty, not "..", not true or an object."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None and ".." not in value


def ident(value: object) -> str:
    """An id from an answer as text: a string as sent, a whole number as text, and "" for
    anything else (true, an object, a list), which is no id. Whether the text is usable as an
    id is :func:`is_id`'s to say, at the place it would be used or recorded."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        return ""
    # a line break or an escape sequence in an "id" is shown escaped wherever it is printed
    return value if is_id(value) else one_line(value)


def generation(g: dict[str, Any]) -> dict[str, Any]:
    """A stored generation with its cost a number or None (never "abc" or [null])."""
    return g | {"cost": number(g.get("cost"))} if "cost" in g else g


def ratings(d: dict[str, Any]) -> dict[str, Any]:
    """A rating's answer with average_rating and total_ratings numbers (or left out)."""
    out = {k: v for k, v in d.items() if k not in ("average_rating", "total_ratings")}
    for key in ("average_rating", "total_ratings"):
        value = number(d.get(key))
        if value is not None:
            out[key] = value
    return out


def service_line(message: str) -> str:
    """Service text kept on one line: a line break in it is shown as \\n, so it can never
    start a line of its own (a forged '::error::' on a CI runner, a fake prompt)."""
    return (
        message.replace("\r\n", "\\n")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    service: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    is_custom: bool | None = None
    public: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Voice:
        tags = d.get("tags") or []
        custom = d.get("is_custom")
        public = d.get("public")
        return cls(
            id=ident(d.get("id") or d.get("voice_id")),
            name=text(d.get("name")) or "",
            service=text(d.get("service")),
            description=text(d.get("description")),
            tags=[text(t) or "" for t in tags] if isinstance(tags, list) else [],
            is_custom=custom if isinstance(custom, bool) else None,
            public=public if isinstance(public, bool) else None,
            raw=d,
        )

    @property
    def is_cloned(self) -> bool:
        return bool(self.is_custom) or "cloned" in self.tags

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "service": self.service,
            "description": self.description,
            "tags": self.tags,
            "is_custom": self.is_custom,
        }


@dataclass(frozen=True)
class CloneResult:
    voice_id: str
    name: str
    #: True when the answer was lost and the voice this run created was found in the list.
    recovered: bool = False


def own_voices_named(voices: list[Voice], name: str) -> list[Voice]:
    """The caller's cloned voices that the service would call ``name`` (stock voices never)."""
    key = name_key(name)
    return [v for v in voices if v.is_cloned and name_key(v.name) == key]


def decode(resp: requests.Response, what: str, body: bytes) -> Any:
    """The answer's JSON, or the error it carries, as an exception."""
    status = resp.status_code
    try:
        data = json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        data = None
        if status < 400:
            raise ServiceError(
                f"The service answered {what} with something that is not JSON "
                f"({snippet(body, resp)})."
            ) from None
    if status >= 400 or envelope_error(data):
        raise_for(status, data, body, resp)
    if data is None:
        raise ServiceError(f"The service answered {what} with an empty body.")
    return data


def raise_for(status: int, data: object, raw: bytes, resp: requests.Response) -> None:
    errors = errors_of(data)
    if isinstance(data, dict) and type(data.get("status")) is int and status < 400:
        status = data["status"]
    if errors:
        message = "; ".join(e["message"] for e in errors)
    else:
        reason = resp.reason if isinstance(resp.reason, str) else ""
        message = f"The service answered {status} {reason}".rstrip()
        if raw.strip():
            message += f" ({snippet(raw, resp)})"
    if status == 429:
        message = f"Rate limited by the service after retries: {message}"
    if status == 404 and "/v1/v1/" in str(getattr(resp, "url", "") or ""):
        message += " (the API URL ends in /v1: bland-clone adds /v1 itself; leave it out)"
    errors = errors or [{"error": f"HTTP {status}", "message": message}]
    if status in (401, 403):
        raise AuthError(message, errors=errors)
    if status == 404:
        raise NotFoundError(message, status=status, errors=errors)
    if status >= 500 or status in (405, 429):
        raise ServiceError(message, errors=errors)
    if any(NAME_TAKEN in e["message"] for e in errors):
        raise NameTaken(message, status=status, errors=errors)
    raise APIError(message, status=status, errors=errors)


def dig(data: object, key: str) -> Any:
    """data[key], or data['data'][key]: Bland answers both with and without an envelope."""
    if isinstance(data, dict):
        if key in data:
            return data[key]
        inner = data.get("data")
        if isinstance(inner, dict) and key in inner:
            return inner[key]
    return None


def errors_of(data: object) -> list[dict[str, str]]:
    if not isinstance(data, dict):
        return []
    errs = data.get("errors")
    out: list[dict[str, Any]] = []
    if isinstance(errs, list):
        for e in errs:
            if isinstance(e, dict) and e.get("message"):
                out.append(
                    {"error": text(e.get("error")) or "Error", "message": text(e["message"]) or ""}
                )
            elif isinstance(e, str):
                out.append({"error": "Error", "message": e})
    err = data.get("error")
    if not out and isinstance(err, dict) and err.get("message"):  # /v2 shape
        out.append({"error": text(err.get("code")) or "Error", "message": text(err["message"])})
    if not out and isinstance(err, str):
        out.append({"error": "Error", "message": text(data.get("message")) or err})
    if not out and data.get("status") in ("error", "failed") and data.get("message"):
        out.append({"error": "Error", "message": text(data["message"])})
    return [{k: service_line(v or "") for k, v in e.items()} for e in out]


def envelope_error(data: object) -> bool:
    """A 200 whose envelope says it failed."""
    if not isinstance(data, dict):
        return False
    st = data.get("status")
    if type(st) is int and st >= 400:
        return True
    return data.get("data", 1) is None and bool(errors_of(data))


def snippet(raw: bytes, resp: requests.Response) -> str:
    ctype = resp.headers.get("Content-Type", "")
    txt = raw[:2000].decode("utf-8", "replace")
    if "html" in ctype or txt.lstrip().lower().startswith(("<!doctype", "<html")):
        title = re.search(r"<title>(.*?)</title>", txt, re.I | re.S)
        return f"an HTML page: {title.group(1).strip()}" if title else "an HTML page"
    flat = " ".join(txt.split())
    return flat[:120] + ("..." if len(flat) > 120 else "")
