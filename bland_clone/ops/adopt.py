"""Adoption: a manifest and a lock written from the voices that already exist.

Samples are downloaded where the service exposes them (today: BTTS (V1) voices); a voice whose
samples cannot be retrieved cannot be re-created from a manifest, so it is written into the
manifest as a commented-out entry and left out of the lock: `plan` shows it as unmanaged until
someone gives it samples.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api.answers import ident, is_id
from ..core import limits
from ..core.errors import BlandCloneError, WouldOverwrite
from ..core.lockfile import LockedSample, LockedVoice, _str, file_sha256, now
from ..core.manifest import SERVICE_ENGINE, SETTINGS
from ..core.safetext import one_line

if TYPE_CHECKING:
    from ..api.client import Client, Voice


@dataclass(frozen=True)
class Exported:
    voice: Voice
    engine: str
    files: tuple[str, ...] = ()  # as the manifest names them
    settings: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why it has no retrievable sample
    listed: int = 0  # samples the service listed (more than a voice holds are not downloaded)

    @property
    def managed(self) -> bool:
        return self.reason is None


NO_SAMPLE = "the service keeps no retrievable sample of it"

#: The longest folder or file stem made from a name the service sent (a file name holds 255
#: bytes at most; a voice name may be longer).
_MAX_STEM = 64


def _scalar(value: object) -> bool:
    """A setting the manifest and the lock can hold: true/false, a finite number, text."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (bool, int, str))


def folder_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.-]+", "_", name, flags=re.ASCII)[:_MAX_STEM].strip("._") or "voice"
    slug, n = base, 2
    while slug.casefold() in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug.casefold())
    return slug


def _file_name(sample: dict[str, Any], index: int, used: set[str]) -> str:
    raw = os.path.basename(str(sample.get("filename") or ""))
    stem, ext = os.path.splitext(raw)
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.ASCII)[:_MAX_STEM].strip("._")
    stem = stem or f"sample{index + 1}"
    ext = ext.lower() if re.fullmatch(r"\.[a-z0-9]{1,5}", ext.lower()) else ".wav"
    name, n = stem + ext, 2
    while name.casefold() in used:
        name, n = f"{stem}_{n}{ext}", n + 1
    used.add(name.casefold())
    return name


def export_voice(
    client: Client,
    voice: Voice,
    base: Path,
    samples_dir: str,
    taken: set[str],
    settings: dict[str, Any] | None,
    *,
    overwrite: bool = False,
) -> Exported:
    engine = SERVICE_ENGINE.get(str(voice.service), "v3")
    allowed = SETTINGS.get(engine, {})
    kept = {k: v for k, v in (settings or {}).items() if k in allowed and _scalar(v)}

    def unmanaged(reason: str, listed: int = 0) -> Exported:
        return Exported(voice, engine, settings=kept, reason=reason, listed=listed)

    try:
        listed = client.voice_samples(voice.id)
    except BlandCloneError as exc:
        return unmanaged(f"the service does not list its samples ({exc.message})")
    if not listed:
        return unmanaged(NO_SAMPLE)
    count = len(listed)
    listed = listed[: limits.MAX_SAMPLES_PER_VOICE]  # a voice holds no more; a manifest neither
    folder = Path(samples_dir) / folder_name(voice.name, taken)
    used: set[str] = set()
    files: list[str] = []
    for i, s in enumerate(listed):
        sid = ident(s.get("id"))
        if not is_id(sid):
            continue
        rel = folder / _file_name(s, i, used)
        full = base / rel
        if full.exists() and not overwrite:
            raise WouldOverwrite(full)
        full.parent.mkdir(parents=True, exist_ok=True)
        try:
            # streamed to disk, the file appears only when complete
            client.sample_to_file(voice.id, sid, str(full))
        except BlandCloneError as exc:
            return unmanaged(f"sample {sid} could not be downloaded ({exc.message})", count)
        files.append(rel.as_posix())
    if not files:
        return unmanaged(NO_SAMPLE, count)
    return Exported(voice, engine, tuple(files), kept, listed=count)


def lock_entries(exported: list[Exported], base: Path) -> list[LockedVoice]:
    out = []
    for ex in exported:
        if not ex.managed:
            continue
        created = ex.voice.raw.get("created_at") if isinstance(ex.voice.raw, dict) else None
        out.append(
            LockedVoice(
                ex.voice.name,
                ex.voice.id,
                ex.engine,
                str(created or now()),
                [LockedSample(f, file_sha256(str(base / f))) for f in ex.files],
                dict(ex.settings),
            )
        )
    return out


def render_manifest(exported: list[Exported]) -> str:
    parts = [
        "# voices.toml: written by 'bland-clone export'. 'bland-clone plan' compares it, its lock\n"
        "# and the service; 'bland-clone apply' makes the service match it.\n"
    ]
    for ex in exported:
        v = ex.voice
        lines = [
            "[[voice]]",
            f"name = {_str(v.name)}",
            "samples = [" + ", ".join(_str(f) for f in ex.files) + "]",
        ]
        gender = v.raw.get("gender") if isinstance(v.raw, dict) else None
        if gender in ("male", "female"):
            lines.append(f"gender = {_str(gender)}")
        if isinstance(v.description, str) and v.description:
            lines.append(f"description = {_str(v.description)}")
        lines.append(f"engine = {_str(ex.engine)}")
        if ex.settings:
            inner = ", ".join(f"{k} = {_toml(ex.settings[k])}" for k in sorted(ex.settings))
            lines.append(f"settings = {{ {inner} }}")
        if ex.managed:
            parts.append("\n" + "\n".join(lines) + "\n")
        else:
            note = f"# {one_line(v.id)}: {one_line(ex.reason or 'no retrievable sample')}."
            parts.append(
                f"\n{note} Add samples to manage it.\n" + "\n".join("# " + x for x in lines) + "\n"
            )
    return "".join(parts)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return _str(str(value))
