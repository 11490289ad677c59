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

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .lockfile import LockedSample, LockedVoice
from .names import name_key

if TYPE_CHECKING:
    from .api.client import Voice
    from .manifest import VoiceSpec


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
    #: a replacement a killed apply left under way (bland_clone.journal), to settle ...
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


@dataclass
class Step:
    name: str
    action: Action
    voice_id: str | None = None
    detail: str = ""
    spec: VoiceSpec | None = None
    locked: LockedVoice | None = None
    live: Voice | None = None
    samples: list[LockedSample] = field(default_factory=list)
    #: setting -> (on the service, in the manifest), for the settings that differ
    drift: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        return self.action in CHANGES

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "action": self.action.value,
            "voice_id": self.voice_id,
            "detail": self.detail or None,
        }
        if self.drift:
            d["settings"] = {k: {"service": a, "manifest": b} for k, (a, b) in self.drift.items()}
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
    specs: list[VoiceSpec],
    invalid: dict[str, str],
    lock: list[LockedVoice],
    live: list[Voice] | None,
    samples: dict[str, list[LockedSample]],
    settings_of: Callable[[str], dict[str, Any] | None],
    *,
    prune: bool = False,
) -> list[Step]:
    """Every voice's action, in manifest order, then the lock's other voices, then unmanaged ones.

    ``invalid`` maps a spec's name to why it fails its checks; ``samples`` a valid spec's name to
    its hashed files; ``live`` is the service's voice list (None: not known, no key);
    ``settings_of(voice_id)`` the service's settings of a voice (None when it cannot tell).
    """
    locked_by_key: dict[str, LockedVoice] = {}
    for entry in lock:
        locked_by_key.setdefault(name_key(entry.name), entry)
    live_by_id = {v.id: v for v in live or []}
    live_by_key: dict[str, Voice] = {}
    for voice in live or []:
        if voice.is_cloned:
            live_by_key.setdefault(name_key(voice.name), voice)
    claimed: set[str] = set()
    steps: list[Step] = []
    for spec in specs:
        key = name_key(spec.name)
        lv: LockedVoice | None = locked_by_key.pop(key, None)
        if lv is not None:
            claimed.add(lv.voice_id)
        step = Step(spec.name, Action.NOTHING, spec=spec, locked=lv)
        steps.append(step)
        if spec.name in invalid:
            step.action, step.detail = Action.INVALID, invalid[spec.name]
            step.voice_id = lv.voice_id if lv else None
            continue
        step.samples = samples[spec.name]
        if live is None:
            step.action, step.detail = Action.UNKNOWN, "no API key: the service was not asked"
            step.voice_id = lv.voice_id if lv else None
            continue
        v: Voice | None = live_by_id.get(lv.voice_id) if lv else None
        if v is None:
            named = live_by_key.get(key)
            if named is not None and named.id not in claimed:
                claimed.add(named.id)
                step.action, step.live, step.voice_id = Action.ADOPT, named, named.id
                step.detail = (
                    "exists on the service; recorded in the lock as made from these samples"
                    if lv is None
                    else f"the lock's {lv.voice_id} is gone; this voice has the name"
                )
                step.drift = _drift(spec.settings, settings_of(named.id) if spec.settings else {})
            elif lv is not None:
                step.action, step.voice_id = Action.MISSING, lv.voice_id
                step.detail = "deleted outside bland-clone; apply creates it again"
            else:
                step.action = Action.CREATE
            continue
        step.live, step.voice_id = v, v.id
        reasons = []
        assert lv is not None
        if [s.sha256 for s in step.samples] != lv.hashes:
            changed = [
                s.file
                for i, s in enumerate(step.samples)
                if i >= len(lv.samples) or lv.samples[i].sha256 != s.sha256
            ]
            if len(step.samples) != len(lv.samples):
                reasons.append(f"samples: {len(lv.samples)} locked, {len(step.samples)} now")
            else:
                reasons.append(f"sample changed: {', '.join(changed)}")
        if spec.engine != lv.engine:
            reasons.append(f"engine {lv.engine} -> {spec.engine}")
        if reasons:
            step.action, step.detail = Action.REPLACE, "; ".join(reasons)
            continue
        wanted = spec.settings or {}
        if wanted:
            step.drift = _drift(wanted, settings_of(v.id))
        if step.drift:
            step.action = Action.UPDATE_SETTINGS
            step.detail = ", ".join(
                f"{k}: {toml_value(a)} -> {toml_value(b)}" for k, (a, b) in step.drift.items()
            )
        if name_key(v.name) != key:  # renamed on the service: the manifest's name finds nothing
            step.action = Action.RENAME
            step.detail = "; ".join(
                x for x in (f"named {v.name!r} on the service", step.detail) if x
            )
    for lv in list(locked_by_key.values()):
        if live is None:
            steps.append(
                Step(lv.name, Action.UNKNOWN, lv.voice_id, "not in the manifest", locked=lv)
            )
            continue
        found = live_by_id.get(lv.voice_id)
        if found is None:
            steps.append(
                Step(
                    lv.name,
                    Action.MISSING,
                    lv.voice_id,
                    "not in the manifest and gone from the service; apply forgets it",
                    locked=lv,
                )
            )
        elif prune:
            claimed.add(found.id)
            steps.append(
                Step(lv.name, Action.DELETE, found.id, "not in the manifest", locked=lv, live=found)
            )
        else:
            claimed.add(found.id)
            steps.append(
                Step(
                    lv.name,
                    Action.NOT_IN_MANIFEST,
                    found.id,
                    "kept; apply --prune deletes it",
                    locked=lv,
                    live=found,
                )
            )
    for voice in live or []:
        if voice.is_cloned and voice.id not in claimed:
            steps.append(
                Step(voice.name, Action.UNMANAGED, voice.id, "in neither file", live=voice)
            )
    return steps


def toml_value(value: Any) -> str:
    """A setting's value as the manifest spells it (TOML): true/false, "text", 0.5, [1, 2];
    "unset" for a setting the service does not hold. Never Python's False, None or 'text'."""
    import json
    import math

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


def summary(steps: list[Step]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in steps:
        counts[s.action.value] = counts.get(s.action.value, 0) + 1
    return counts
