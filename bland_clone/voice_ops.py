"""What the voice commands do, as plain functions: values in, a typed result out, no rendering.

The commands in bland_clone.commands render these results (text or --json); nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import voice_settings
from .errors import InputError

if TYPE_CHECKING:
    from .api.client import Client, Voice


@dataclass(frozen=True)
class VoiceSettings:
    voice: Voice
    service: str | None
    settings: dict[str, Any]
    limits: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "voice_id": self.voice.id,
            "name": self.voice.name,
            "service": self.service,
            "settings": self.settings,
            "limits": self.limits,
        }


def read_settings(client: Client, ref: str) -> VoiceSettings:
    v = client.find_voice(ref)
    got = client.get_voice_settings(v.id)
    return VoiceSettings(v, got.get("service") or v.service, got["settings"], got["limits"])


def change_settings(client: Client, ref: str, values: dict[str, Any]) -> VoiceSettings:
    """Check ``values`` against the voice's engine and the service's limits, then send them.
    Nothing is sent when a check fails (an InputError naming every problem)."""
    current = read_settings(client, ref)
    wanted = {k: _as_limit_type(v, current.limits.get(k)) for k, v in values.items()}
    problems = voice_settings.check(current.service, wanted, current.limits)
    if problems:
        raise InputError(
            "; ".join(problems) + "; nothing was changed.",
            errors=[{"error": "Validation Error", "message": p} for p in problems],
        )
    got = client.set_voice_settings(current.voice.id, wanted)
    return VoiceSettings(
        current.voice,
        got.get("service") or current.service,
        got["settings"] or {**current.settings, **wanted},
        got["limits"] or current.limits,
    )


def _as_limit_type(value: Any, rule: Any) -> Any:
    """2.0 is sent as 2 where the service wants an integer."""
    if (
        isinstance(rule, dict)
        and rule.get("type") == "integer"
        and isinstance(value, float)
        and value.is_integer()
    ):
        return int(value)
    return value
