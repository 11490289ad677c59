"""What `apply` would do: the manifest, its sample files, the lock and the service compared.

Each voice gets one action:

- ``create``: in the manifest, not in the lock, no voice of that name on the service;
- ``adopt``: in the manifest, not (or no longer) in the lock, and a cloned voice of that name
  exists: it is recorded in the lock, nothing is uploaded;
- ``replace``: a sample (or the engine) changed since the lock: a new voice takes the name;
- ``rename``: the lock's voice has another name on the service (renamed by hand);
- ``update settings``: the service's settings differ from the manifest's (drift);
- ``nothing``: the lock, the files and the service agree;
- ``missing on the service``: in the lock, gone from the service (apply creates it again when the
  manifest still names it, and forgets it otherwise);
- ``delete``: in the lock, no longer in the manifest, with ``--prune``; without it the voice is
  ``not in the manifest`` and kept;
- ``unmanaged``: a cloned voice on the service that neither the manifest nor the lock names;
- ``invalid``: the voice fails its local checks.

Nothing here prints or talks to the service: the caller passes what it read.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .lockfile import LockedSample, LockedVoice
from .names import name_key

if TYPE_CHECKING:
    from .audioinfo import AudioInfo
    from .manifest import VoiceSpec


class LiveVoice(Protocol):
    """A voice on the service, as the plan reads it (:class:`bland_clone.api.answers.Voice` is
    one; the core does not import the API client)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def service(self) -> str | None: ...
    @property
    def raw(self) -> dict[str, Any]: ...
    @property
    def is_cloned(self) -> bool: ...


class _Named(str, Enum):
    """An enum whose members are their words (as the table and the JSON show them)."""

    def __str__(self) -> str:
        return str(self.value)


class Action(_Named):
    """What the plan does with one voice (see the module's docstring)."""

    CREATE = "create"
    ADOPT = "adopt"
    REPLACE = "replace"
    RENAME = "rename"
    UPDATE_SETTINGS = "update settings"
    NOTHING = "nothing"
    MISSING = "missing on the service"
    DELETE = "delete"
    NOT_IN_MANIFEST = "not in the manifest"
    UNMANAGED = "unmanaged"
    INVALID = "invalid"
    UNKNOWN = "unknown"
    #: a replacement a killed apply left under way (bland_clone.core.journal), to settle ...
    FINISH_REPLACEMENT = "finish replacement"
    UNDO_REPLACEMENT = "undo replacement"
    #: ... and settled by this apply before it planned
    FINISHED_REPLACEMENT = "finished replacement"
    UNDID_REPLACEMENT = "undid replacement"

    @property
    def changes(self) -> bool:
        """It changes the service or the lock (`--detailed-exitcode` exits 2)."""
        return self in CHANGES

    @property
    def destructive(self) -> bool:
        """apply carries it out only after a confirmation (a terminal) or --yes."""
        return self in (Action.REPLACE, Action.DELETE)


class Status(_Named):
    """What apply did with one voice (or, in a dry run, would do)."""

    CREATED = "created"
    PRESENT = "present"
    REPLACED = "replaced"
    RENAMED = "renamed"
    SETTINGS_UPDATED = "settings updated"
    DELETED = "deleted"
    KEPT = "kept"
    FORGOTTEN = "forgotten"
    FAILED = "failed"
    INVALID = "invalid"
    INTERRUPTED = "interrupted"
    NOT_STARTED = "not started"
    FINISHED_REPLACEMENT = "finished replacement"
    UNDID_REPLACEMENT = "undid replacement"
    UNKNOWN = "unknown"
    # a dry run's
    WOULD_CREATE = "would create"
    WOULD_REPLACE = "would replace"
    WOULD_UPDATE_SETTINGS = "would update settings"
    WOULD_RENAME = "would rename"
    WOULD_DELETE = "would delete"
    WOULD_FORGET = "would forget"
    WOULD_FINISH_REPLACEMENT = "would finish replacement"
    WOULD_UNDO_REPLACEMENT = "would undo replacement"
    UNKNOWN_NO_KEY = "unknown (no key)"


#: Actions that change the service or the lock.
CHANGES = frozenset(
    {
        Action.CREATE,
        Action.ADOPT,
        Action.REPLACE,
        Action.RENAME,
        Action.UPDATE_SETTINGS,
        Action.MISSING,
        Action.DELETE,
        Action.FINISH_REPLACEMENT,
        Action.UNDO_REPLACEMENT,
    }
)


@dataclass(frozen=True)
class Outcome:
    """What apply did with one voice: its status, and what the lock and the table need."""

    status: Status
    voice_id: str | None = None
    #: why it failed, or a warning (made, but its settings were not applied)
    message: str | None = None
    replaced_id: str | None = None
    exit_code: int | None = None
    #: when the voice was made (the lock's ``created``)
    created: str | None = None
    #: the settings it now holds as the manifest asked (None: none were applied)
    settings: Mapping[str, Any] | None = None
    #: made meanwhile by someone else under this name: recorded in the lock as this voice
    adopted: bool = False


@dataclass(frozen=True, eq=False)
class CheckedVoice:
    """One voice of the manifest as its local checks saw it, made once per entry and carried
    through the plan, apply and its result: the entry (``spec``), the files it sends (as the
    last check saw them: the header check, then the full one for a voice that uploads), its
    samples hashed as the lock names them, and why it fails its checks (None: it passes).
    Compared by identity: each stands for one entry of the manifest."""

    spec: VoiceSpec
    files: tuple[AudioInfo, ...] = ()
    samples: list[LockedSample] = field(default_factory=list)
    problem: str | None = None
    #: its files (as shown) whose quality no verdict judged yet: apply analyses them first
    unjudged: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def hashes(self) -> list[str]:
        return [s.sha256 for s in self.samples]


@dataclass(frozen=True)
class VoicePlan:
    """One voice from the plan to the result: its manifest entry as checked (``checked``),
    what the lock and the service hold of it, the action and, once apply ran, its
    ``outcome``."""

    name: str
    action: Action
    voice_id: str | None = None
    detail: str = ""
    checked: CheckedVoice | None = None
    locked: LockedVoice | None = None
    live: LiveVoice | None = None
    #: setting -> (on the service, in the manifest), for the settings that differ
    drift: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    outcome: Outcome | None = None

    @property
    def spec(self) -> VoiceSpec | None:
        return self.checked.spec if self.checked is not None else None

    @property
    def samples(self) -> list[LockedSample]:
        """Its files as the lock names them, hashed (none for a voice that fails its checks)."""
        return self.checked.samples if self.checked is not None else []

    @property
    def changes(self) -> bool:
        return self.action.changes

    @property
    def uploads(self) -> bool:
        """apply clones this voice (creates it, or a new voice replaces it)."""
        return self.spec is not None and self.action in (
            Action.CREATE,
            Action.REPLACE,
            Action.MISSING,
        )

    @property
    def unjudged(self) -> tuple[str, ...]:
        """The files of an upload whose quality no verdict judged yet (apply analyses them
        first, and may still refuse the voice)."""
        return self.checked.unjudged if self.checked is not None and self.uploads else ()

    @property
    def needs_service(self) -> bool:
        """apply has something to do on the service for this voice."""
        return (
            self.uploads
            or self.action in (Action.UPDATE_SETTINGS, Action.RENAME, Action.DELETE)
            or (self.action is Action.ADOPT and bool(self.drift))
        )

    @property
    def shown_voice_id(self) -> str | None:
        """The voice id of the result: the outcome's, else the plan's."""
        o = self.outcome
        return o.voice_id if o is not None and o.voice_id is not None else self.voice_id

    @property
    def shown_message(self) -> str | None:
        o = self.outcome
        return (o.message if o is not None else None) or self.detail or None

    def to_dict(self) -> dict[str, Any]:
        """The plan's JSON row."""
        d: dict[str, Any] = {
            "name": self.name,
            "action": self.action.value,
            "voice_id": self.voice_id,
            "detail": self.detail or None,
        }
        if self.unjudged:
            d["quality_unchecked"] = list(self.unjudged)
        if self.drift:
            d["settings"] = {k: {"service": a, "manifest": b} for k, (a, b) in self.drift.items()}
        return d

    def result_dict(self) -> dict[str, Any]:
        """apply's JSON row (once it has an outcome)."""
        o = self.outcome
        assert o is not None
        d: dict[str, Any] = {
            "name": self.name,
            "status": o.status.value,
            "voice_id": self.shown_voice_id,
            "message": self.shown_message,
        }
        if o.replaced_id is not None:
            d["replaced_id"] = o.replaced_id
        if o.exit_code is not None:
            d["exit_code"] = o.exit_code
        return d


def sample_files(paths: list[str], base: Path, sha256: Callable[[str], str]) -> list[LockedSample]:
    """A voice's files as the lock names them (relative to the manifest's folder), hashed."""
    out = []
    for full in paths:
        rel = os.path.relpath(full, base)
        shown = full if rel.startswith("..") else Path(rel).as_posix()
        out.append(LockedSample(shown, sha256(full)))
    return out


def compute(
    voices: list[CheckedVoice],
    lock: list[LockedVoice],
    live: Sequence[LiveVoice] | None,
    settings_of: Callable[[str], dict[str, Any] | None],
    *,
    prune: bool = False,
) -> list[VoicePlan]:
    """Every voice's plan, in manifest order, then the lock's other voices, then unmanaged ones.

    ``voices`` are the manifest's, checked (headers) and hashed; ``live`` is the service's
    voice list (None: not known, no key); ``settings_of(voice_id)`` the service's settings of a
    voice (None when it cannot tell).
    """
    sides = _Sides(lock, live, settings_of)
    plans = [sides.plan_voice(c) for c in voices]
    plans += [sides.plan_dropped(lv, prune) for lv in list(sides.locked_by_key.values())]
    plans += [
        VoicePlan(v.name, Action.UNMANAGED, v.id, "in neither file", live=v)
        for v in live or []
        if v.is_cloned and v.id not in sides.claimed
    ]
    return plans


class _Sides:
    """The lock and the service as :func:`compute` matches voices to them; each voice of
    either is claimed by one plan at most."""

    def __init__(
        self,
        lock: list[LockedVoice],
        live: Sequence[LiveVoice] | None,
        settings_of: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self.locked_by_key: dict[str, LockedVoice] = {}
        for entry in lock:
            self.locked_by_key.setdefault(name_key(entry.name), entry)
        self.live = live
        self.live_by_id = {v.id: v for v in live or []}
        self.live_by_key: dict[str, LiveVoice] = {}
        for voice in live or []:
            if voice.is_cloned:
                self.live_by_key.setdefault(name_key(voice.name), voice)
        self.settings_of = settings_of
        self.claimed: set[str] = set()

    def plan_voice(self, checked: CheckedVoice) -> VoicePlan:
        spec = checked.spec
        lv = self.locked_by_key.pop(name_key(spec.name), None)
        if lv is not None:
            self.claimed.add(lv.voice_id)
        base = VoicePlan(
            spec.name, Action.NOTHING, lv.voice_id if lv else None, checked=checked, locked=lv
        )
        if checked.problem is not None:
            return replace(base, action=Action.INVALID, detail=checked.problem)
        if self.live is None:
            return replace(
                base, action=Action.UNKNOWN, detail="no API key: the service was not asked"
            )
        v = self.live_by_id.get(lv.voice_id) if lv else None
        if v is None:
            return self._gone(base, spec, lv)
        assert lv is not None
        return self._live(replace(base, live=v, voice_id=v.id), spec, lv, v)

    def _gone(self, base: VoicePlan, spec: VoiceSpec, lv: LockedVoice | None) -> VoicePlan:
        """The lock names no voice the service has: adopt a voice of that name, or make it."""
        named = self.live_by_key.get(name_key(spec.name))
        if named is not None and named.id not in self.claimed:
            self.claimed.add(named.id)
            return replace(
                base,
                action=Action.ADOPT,
                live=named,
                voice_id=named.id,
                detail="exists on the service; recorded in the lock as made from these samples"
                if lv is None
                else f"the lock's {lv.voice_id} is gone; this voice has the name",
                drift=_drift(spec.settings, self.settings_of(named.id) if spec.settings else {}),
            )
        if lv is not None:
            return replace(
                base,
                action=Action.MISSING,
                detail="deleted outside bland-clone; apply creates it again",
            )
        return replace(base, action=Action.CREATE)

    def _live(self, base: VoicePlan, spec: VoiceSpec, lv: LockedVoice, v: LiveVoice) -> VoicePlan:
        """The lock's voice is on the service: replace, update, rename, or nothing."""
        reasons = _replace_reasons(spec, lv, base.samples)
        if reasons:
            return replace(base, action=Action.REPLACE, detail="; ".join(reasons))
        drift = _drift(spec.settings, self.settings_of(v.id)) if spec.settings else {}
        action, detail = Action.NOTHING, ""
        if drift:
            action = Action.UPDATE_SETTINGS
            detail = ", ".join(
                f"{k}: {toml_value(a)} -> {toml_value(b)}" for k, (a, b) in drift.items()
            )
        if name_key(v.name) != name_key(spec.name):  # renamed on the service
            action = Action.RENAME
            detail = "; ".join(x for x in (f"named {v.name!r} on the service", detail) if x)
        return replace(base, action=action, detail=detail, drift=drift)

    def plan_dropped(self, lv: LockedVoice, prune: bool) -> VoicePlan:
        """A voice of the lock the manifest no longer names."""
        if self.live is None:
            return VoicePlan(lv.name, Action.UNKNOWN, lv.voice_id, "not in the manifest", locked=lv)
        found = self.live_by_id.get(lv.voice_id)
        if found is None:
            return VoicePlan(
                lv.name,
                Action.MISSING,
                lv.voice_id,
                "not in the manifest and gone from the service; apply forgets it",
                locked=lv,
            )
        self.claimed.add(found.id)
        if prune:
            return VoicePlan(
                lv.name, Action.DELETE, found.id, "not in the manifest", locked=lv, live=found
            )
        return VoicePlan(
            lv.name,
            Action.NOT_IN_MANIFEST,
            found.id,
            "kept",  # the caller says how to delete it (pruning)
            locked=lv,
            live=found,
        )


def _replace_reasons(spec: VoiceSpec, lv: LockedVoice, samples: list[LockedSample]) -> list[str]:
    """Why a new voice must replace the lock's: its samples or its engine changed."""
    reasons = []
    if [s.sha256 for s in samples] != lv.hashes:
        if len(samples) != len(lv.samples):
            reasons.append(f"samples: {len(lv.samples)} locked, {len(samples)} now")
        else:
            changed = [
                s.file for s, old in zip(samples, lv.samples, strict=True) if old.sha256 != s.sha256
            ]
            reasons.append(f"sample changed: {', '.join(changed)}")
    if spec.engine != lv.engine:
        reasons.append(f"engine {lv.engine} -> {spec.engine}")
    return reasons


def toml_value(value: object) -> str:
    """A setting's value as the manifest spells it (TOML): true/false, "text", 0.5, [1, 2];
    "unset" for a setting the service does not hold. Never Python's False, None or 'text'."""

    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _drift(wanted: dict[str, Any], live: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    if not wanted or live is None:
        return {}
    return {k: (live.get(k), w) for k, w in sorted(wanted.items()) if live.get(k) != w}


def summary(voices: list[VoicePlan]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in voices:
        counts[v.action.value] = counts.get(v.action.value, 0) + 1
    return counts
