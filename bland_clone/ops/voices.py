"""What the voice commands do, as plain functions: values in, a typed result out, no rendering.

The commands in bland_clone.cli.commands render these results (text or --json); nothing here prints.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..api.answers import texts
from ..core import limits, voice_settings
from ..core import limits as L
from ..core.envelope import envelope
from ..core.errors import Declined, InputError, NotAnId, NotFoundError
from ..core.voice_settings import show_value
from . import session
from .session import Connection

if TYPE_CHECKING:
    from ..api.client import Client, Voice
    from .notes import Notes


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


def _as_limit_type(value: object, rule: object) -> object:
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

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voices": self.voices,
                "total": self.total,
                "limit": self.limit,
                "offset": self.offset,
            }
        )


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
    from ..core.validation import check_name_rules as local_rules  # lazy: start-up (voices list)

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
        listing = ", ".join(show_value(m) for m in missing)
        known = ", ".join(have) or "none"
        raise InputError(f"Voice {v.name!r} has no sample {listing} (samples: {known}).")
    return SamplesToDelete(v, wanted)


@dataclass(frozen=True)
class Models:
    """What the service can speak: /v2/models (no key), /v2/tts/models/{id} for one model, or
    /v1/models where there is no /v2. The encodings, rates, containers and controls are those of
    the preferred model (btts-3), or of the one asked for."""

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


def _model(m: dict[str, Any]) -> dict[str, Any]:
    """A model with its engines a list of strings (a number or null is no crash)."""
    return m | {"engines": texts(m["engines"])} if "engines" in m else m


def models(client: Client, model_id: str | None = None) -> Models:
    from .preview import pick_model  # lazy: start-up (voices list)

    if model_id is not None:
        one = client.tts_model(model_id)
        source, listed, chosen = f"/v2/tts/models/{model_id}", [one], one
    else:
        got = client.tts_models()
        if got is None:
            return Models("/v1/models", [_model(m) for m in client.list_models()], [], [], [], {})
        source, listed, chosen = "/v2/models", got, pick_model(got, None)

    def listed_of(key: str) -> list[Any]:
        value = chosen.get(key)
        return value if isinstance(value, list) else []

    controls = chosen.get("controls")
    return Models(
        source,
        [_model(m) for m in listed],
        listed_of("encodings"),
        listed_of("sample_rates"),
        listed_of("containers"),
        controls if isinstance(controls, dict) else {},
    )


# -- the voices commands as operations: notes and plain values in, a frozen result out ---------


@dataclass(frozen=True)
class VoiceList:
    voices: list[Voice]
    filtered: bool  # --cloned or --language narrowed the list

    def to_dict(self) -> dict[str, Any]:
        return envelope({"voices": [v.to_dict() for v in self.voices]})


def list_voices(
    notes: Notes, *, cloned: bool = False, language: str | None = None, conn: Connection
) -> VoiceList:
    """Every voice, or only the cloned ones / those in ``language`` (their language or a tag)."""
    voices = session.connect(notes, conn).list_voices()
    if cloned:
        voices = [v for v in voices if v.is_cloned]
    if language:
        code = language.casefold()
        voices = [
            v
            for v in voices
            if str(v.raw.get("language") or "").casefold() == code
            or code in (t.casefold() for t in v.tags)
        ]
    return VoiceList(voices, bool(cloned or language))


@dataclass(frozen=True)
class VoiceDetail:
    voice: Voice
    samples: list[dict[str, Any]]  # always [] for V2/V3 voices (the service lists none)

    def to_dict(self) -> dict[str, Any]:
        return envelope({"voice": self.voice.to_dict(), "samples": self.samples})


def show_voice(notes: Notes, ref: str, *, conn: Connection) -> VoiceDetail:
    client = session.connect(notes, conn)
    v = client.find_voice(ref)
    return VoiceDetail(v, client.voice_samples(v.id) if v.is_custom else [])


@dataclass(frozen=True)
class Renamed:
    voice_id: str
    name: str
    old_name: str

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voice_id": self.voice_id,
                "name": self.name,
                "old_name": self.old_name,
            }
        )


def rename_voice(notes: Notes, ref: str, new_name: str, *, conn: Connection) -> Renamed:
    """The new name is checked locally first (warnings noted; errors raise, nothing sent)."""
    _enforce_name_rules(notes, new_name)
    client = session.connect(notes, conn)
    v = client.find_voice(ref)
    client.rename_voice(v.id, new_name)
    return Renamed(v.id, new_name, v.name)


def _enforce_name_rules(
    notes: Notes, name: str, payload: dict[str, Any] | None = None
) -> list[Any]:
    from ..core.validation import check_name_rules  # lazy: start-up (voices list)

    problems = check_name_rules(name)
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        if p.severity == "warning":
            notes.warn(p.message)
    if errors:
        raise InputError(
            "; ".join(p.message for p in errors),
            errors=[p.to_dict() for p in errors],
            payload=payload,
        )
    return problems


@dataclass(frozen=True)
class VoicesDeleted:
    deleted: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return envelope({"deleted": self.deleted})


def delete_voices(
    notes: Notes,
    refs: list[str],
    *,
    confirm: Callable[[list[Voice]], bool] | None = None,
    conn: Connection,
) -> VoicesDeleted:
    """Look every voice up first (one unknown name deletes nothing), ask ``confirm`` when given,
    then delete them one by one (each noted as it goes, on a human output)."""
    client = session.connect(notes, conn)
    found: list[Voice] = []
    for ref in refs:
        v = client.find_voice(ref)
        if v.id not in {f.id for f in found}:
            found.append(v)
    if confirm is not None and not confirm(found):
        raise Declined("Nothing was deleted.")
    deleted = []
    for v in found:
        client.delete_voice(v.id)
        deleted.append({"id": v.id, "name": v.name})
        notes.line(f"Deleted {v.name!r} ({v.id}).")
    return VoicesDeleted(deleted)


def voice_settings_of(notes: Notes, ref: str, *, conn: Connection) -> VoiceSettings:
    return read_settings(session.connect(notes, conn), ref)


@dataclass(frozen=True)
class SettingsChanged:
    view: VoiceSettings
    changed: list[str]

    def to_dict(self) -> dict[str, Any]:
        return envelope({**self.view.to_dict(), "changed": self.changed})


def set_voice_settings(
    notes: Notes, ref: str, values: dict[str, Any], *, conn: Connection
) -> SettingsChanged:
    view = change_settings(session.connect(notes, conn), ref, values)
    return SettingsChanged(view, sorted(values))


@dataclass(frozen=True)
class Rated:
    voice_id: str
    name: str
    rating: int | None  # None: the rating was cleared
    stats: dict[str, Any]  # average_rating, total_ratings: where the service sent them

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voice_id": self.voice_id,
                "name": self.name,
                "rating": self.rating,
                **self.stats,
            }
        )


def clear_rating(notes: Notes, ref: str, *, conn: Connection) -> Rated:
    """DELETE /v1/voices/{id}/rate: the caller's rating cleared."""
    client = session.connect(notes, conn)
    v = client.find_voice(ref)
    client.clear_rating(v.id)
    return Rated(v.id, v.name, None, {})


def rate_voice(notes: Notes, ref: str, rating: int, *, conn: Connection) -> Rated:
    """Checked locally first (1-5): a bad rating needs no key and sends nothing."""

    if not limits.RATING_MIN <= rating <= limits.RATING_MAX:
        raise InputError(limits.RATING_INVALID)
    got = rate(session.connect(notes, conn), ref, rating)
    stats: dict[str, Any] = {k: got[k] for k in ("average_rating", "total_ratings") if k in got}
    return Rated(got["voice_id"], got["name"], rating, stats)


def shared_voices(
    notes: Notes,
    *,
    search: str | None = None,
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
    conn: Connection,
) -> SharedPage:
    return shared(
        session.connect(notes, conn), search=search, language=language, limit=limit, offset=offset
    )


@dataclass(frozen=True)
class SharedAdded:
    voice_id: str
    voice: dict[str, Any]  # the service's answer

    @property
    def name(self) -> str:
        return str(self.voice.get("name") or self.voice_id)

    def to_dict(self) -> dict[str, Any]:
        return envelope({"voice": self.voice})


def add_shared_voice(notes: Notes, voice_id: str, *, conn: Connection) -> SharedAdded:
    client = session.connect(notes, conn)
    try:
        got = client.add_shared_voice(voice_id)
    except NotFoundError as exc:  # a name, say: the id is what the shared library lists
        raise NotAnId(exc) from None
    return SharedAdded(voice_id, got)


@dataclass(frozen=True)
class NameChecked:
    name: str
    available: bool | None  # None: the service was not asked (no key)
    warnings: list[Any]  # the local rules' problems (all warnings when the name passes)

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "name": self.name,
                "available": self.available,
                "warnings": [p.to_dict() for p in self.warnings],
            }
        )


def check_new_name(notes: Notes, name: str, *, conn: Connection) -> NameChecked:
    """The local rules (errors raise), then the service when there is a key; a taken name
    raises InputError with the service's message."""

    problems = _enforce_name_rules(notes, name, payload={"name": name, "available": None})
    settings = session.get_settings(notes, conn)
    available = None
    if not settings.has_key:
        notes.info("Not asked of the service: no API key (the local rules pass).")
    else:
        available = check_name(session.make_client(settings, conn), name).available
    if available is False:
        raise InputError(limits.NAME_TAKEN, payload={"name": name, "available": False})
    return NameChecked(name, available, problems)
