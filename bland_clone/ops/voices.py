"""What the voice commands do, as plain functions: values in, a typed result out, no rendering.

The commands in bland_clone.cli.commands render these results (text or --json); nothing here prints.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import voice_settings
from ..errors import InputError

if TYPE_CHECKING:
    from ..api.client import Client, Voice


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
    from .. import limits as L

    current = read_settings(client, ref)
    # No `limits` in the answer: the documented ranges (V2's widest), and the service decides.
    rules = current.limits or copy.deepcopy(
        L.VOICE_SETTINGS_FALLBACK.get(current.service or "", {})
    )
    wanted = {k: _as_limit_type(v, rules.get(k)) for k, v in values.items()}
    problems = voice_settings.check(current.service, wanted, rules)
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


# -- ratings, the shared library, names, samples, models ---------------------------------------


def rate(client: Client, ref: str, rating: int) -> dict[str, Any]:
    """Rate a voice 1-5 (checked here first); the service's answer, with the voice's name."""
    from .. import limits

    if not limits.RATING_MIN <= rating <= limits.RATING_MAX:
        raise InputError(limits.RATING_INVALID)
    v = client.find_voice(ref)
    got = client.rate_voice(v.id, rating)
    return {"voice_id": v.id, "name": v.name, "rating": rating} | {
        k: got[k] for k in ("average_rating", "total_ratings") if k in got
    }


@dataclass(frozen=True)
class SharedPage:
    voices: list[dict[str, Any]]
    total: int | None
    limit: int
    offset: int


def shared(
    client: Client,
    *,
    search: str | None = None,
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SharedPage:
    voices, total = client.shared_voices(
        search=search, language=language, limit=limit, offset=offset
    )
    return SharedPage(voices, total, limit, offset)


@dataclass(frozen=True)
class NameCheck:
    name: str
    problems: list[Any]  # validation.Problem: the local rules' errors and warnings
    available: bool | None  # the service's answer; None when it was not asked

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems) and self.available is not False


def check_name(client: Client | None, name: str) -> NameCheck:
    """The local rules first; the service is asked only when they pass and a client is given."""
    from ..validation import check_name_rules as local_rules

    problems = local_rules(name)
    if any(p.severity == "error" for p in problems) or client is None:
        return NameCheck(name, problems, None)
    return NameCheck(name, problems, client.name_available(name))


@dataclass(frozen=True)
class SamplesToDelete:
    voice: Voice
    sample_ids: list[str]


def samples_to_delete(client: Client, ref: str, sample_ids: list[str]) -> SamplesToDelete:
    """Look the voice and every sample up first: one unknown id deletes nothing."""
    v = client.find_voice(ref)
    have = [str(s.get("id")) for s in client.voice_samples(v.id)]
    wanted = list(dict.fromkeys(sample_ids))
    missing = [s for s in wanted if s not in have]
    if missing:
        from ..voice_settings import show_value

        listing = ", ".join(show_value(m) for m in missing)
        known = ", ".join(have) or "none"
        raise InputError(f"Voice {v.name!r} has no sample {listing} (samples: {known}).")
    return SamplesToDelete(v, wanted)


@dataclass(frozen=True)
class Models:
    """What the service can speak: /v2/models, or /v1/models where there is no /v2."""

    source: str
    models: list[dict[str, Any]]
    encodings: list[Any]
    sample_rates: list[Any]
    containers: list[Any]
    controls: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "models": self.models,
            "encodings": self.encodings,
            "sample_rates": self.sample_rates,
            "containers": self.containers,
            "controls": self.controls,
        }


def models(client: Client) -> Models:
    got = client.tts_models()
    if got is None:
        return Models("/v1/models", client.list_models(), [], [], [], {})

    def listed(key: str) -> list[Any]:
        value = got.get(key)
        return value if isinstance(value, list) else []

    controls = got.get("controls")
    return Models(
        "/v2/models",
        [m for m in listed("models") if isinstance(m, dict)],
        listed("encodings"),
        listed("sample_rates"),
        listed("containers"),
        controls if isinstance(controls, dict) else {},
    )
