"""The sandbox's newer voice endpoints (shared/api/bland-voices-api.md, "Newer endpoints").

A mixin of :class:`~bland_clone.sandbox.server.Sandbox`: its routes are :func:`rules`, its
handlers the ``on_*`` methods below. What it keeps beyond the voices themselves (each voice's
settings, the per-engine limits it serves) lives in :func:`extras`, one per SandboxState.

- GET /v1/voices/{id}/settings: the settings and the engine's `limits` (valid ranges).
- POST /v1/voices/{id}/settings, and the legacy PATCH /v1/voices/{id}/config: set them, checked
  by the same rules and messages as the CLI (bland_clone.voice_settings).
"""

from __future__ import annotations

import copy
import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .. import limits, voice_settings

if TYPE_CHECKING:
    from .server import SandboxState, VoiceRecord

JSON = dict[str, Any]


def rules() -> list[Rule]:
    """The routes, made anew for each Sandbox (a Rule binds to one Map)."""
    return [
        Rule("/v1/voices/<ref>/settings", endpoint="voice_settings", methods=["GET", "POST"]),
        Rule("/v1/voices/<ref>/config", endpoint="voice_settings", methods=["PATCH"]),
    ]


@dataclass
class Extras:
    """What the sandbox keeps for the newer endpoints."""

    #: {engine: {setting: {type, min, max, default}}}: a test may narrow or widen a range.
    limits: dict[str, dict[str, JSON]] = field(
        default_factory=lambda: copy.deepcopy(limits.VOICE_SETTINGS_LIMITS)
    )
    #: {voice id: {setting: value}}, only what was set; defaults come from `limits`.
    settings: dict[str, JSON] = field(default_factory=dict)


_EXTRAS: weakref.WeakKeyDictionary[Any, Extras] = weakref.WeakKeyDictionary()
_EXTRAS_LOCK = threading.Lock()


def extras(state: SandboxState) -> Extras:
    with _EXTRAS_LOCK:
        ex = _EXTRAS.get(state)
        if ex is None:
            ex = _EXTRAS[state] = Extras()
        return ex


def _answer(status: int, body: JSON) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _envelope(status: int, data: Any) -> Response:
    return _answer(status, {"status": status, "data": data, "errors": None})


def _fail(status: int, kind: str, message: str) -> Response:
    return _answer(
        status, {"status": status, "data": None, "errors": [{"error": kind, "message": message}]}
    )


def _not_found(what: str = "Voice") -> Response:
    return _fail(404, "Not Found", f"{what} not found")


class VoiceAPI:
    """Handlers of the newer voice endpoints; mixed into the Sandbox application."""

    state: SandboxState

    def _settings_of(self, v: VoiceRecord) -> JSON:
        ex = extras(self.state)
        rules = ex.limits.get(v.service, {})
        own = ex.settings.get(v.id, {})
        return {k: own.get(k, r.get("default")) for k, r in rules.items()}

    def _settings_answer(self, v: VoiceRecord) -> JSON:
        return {
            "voice_id": v.id,
            "service": v.service,
            "settings": self._settings_of(v),
            "limits": copy.deepcopy(extras(self.state).limits.get(v.service, {})),
        }

    def on_voice_settings(self, request: Request, ref: str) -> Response:
        st = self.state
        with st.lock:
            v = st.find(ref)
            if v is None:
                return _not_found()
            if request.method == "GET":
                return _envelope(200, self._settings_answer(v))
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _fail(400, "Validation Error", "Request body must be a JSON object")
        with st.lock:
            if not v.is_custom:
                return _fail(403, "Forbidden", limits.SETTINGS_NOT_YOURS)
            rules = extras(st).limits.get(v.service, {})
            problems = voice_settings.check(v.service, body, rules)
            if problems:
                return _answer(
                    400,
                    {
                        "status": 400,
                        "data": None,
                        "errors": [{"error": "Validation Error", "message": p} for p in problems],
                    },
                )
            extras(st).settings.setdefault(v.id, {}).update(body)
            return _envelope(200, self._settings_answer(v))
