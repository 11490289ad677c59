"""export as a plain operation: the voices that exist written as a manifest and its lock.

The command (bland_clone.cli.commands.export) parses and renders :class:`ExportResult`;
nothing here imports the command line. Per-voice work is in ops.adopt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import limits, lockfile
from ..core.envelope import envelope
from ..core.errors import InputError, WouldOverwrite
from ..core.files import check_writable, write_file
from ..core.safetext import one_line
from . import adopt, session
from .session import Connection
from .workflow import live_settings

if TYPE_CHECKING:
    from .notes import Notes


@dataclass(frozen=True)
class ExportedVoice:
    name: str
    voice_id: str
    engine: str
    samples: list[str]  # as the manifest names them
    settings: dict[str, Any]
    managed: bool  # False: no retrievable sample, written commented out
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "voice_id": self.voice_id,
            "engine": self.engine,
            "samples": self.samples,
            "settings": self.settings,
            "managed": self.managed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ExportResult:
    manifest: str
    lock: str
    voices: list[ExportedVoice]

    @property
    def unmanaged(self) -> list[ExportedVoice]:
        return [v for v in self.voices if not v.managed]

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "manifest": self.manifest,
                "lock": self.lock,
                "voices": [v.to_dict() for v in self.voices],
                "without_samples": [
                    {"name": v.name, "voice_id": v.voice_id, "reason": v.reason}
                    for v in self.unmanaged
                ],
            }
        )


def export_voices(
    notes: Notes, output: str, *, cloned: bool = False, force: bool = False, conn: Connection
) -> ExportResult:
    """Check the manifest and lock paths (nothing asked of the service when one is refused),
    download each voice's samples next to the manifest, then write the manifest and its lock.
    Public stock voices are never exported; ``cloned`` keeps only cloned ones."""

    if not output.endswith(".toml"):
        raise InputError(f"{output}: a manifest's name ends in .toml (e.g. voices.toml).")
    check_writable(output, force)
    lock_path = lockfile.lock_path(output)
    if lock_path.exists() and not force:
        raise WouldOverwrite(lock_path)
    client = session.connect(notes, conn)
    voices = [
        v
        for v in client.list_voices()
        if (v.is_cloned if cloned else (v.is_cloned or not v.public))
    ]
    base = Path(os.path.dirname(os.path.abspath(output)))
    taken: set[str] = set()
    exported = []
    for v in voices:
        settings = live_settings(client, v.id)
        ex = adopt.export_voice(client, v, base, "samples", taken, settings, overwrite=force)
        exported.append(ex)
        capped = (
            f" (the service listed {ex.listed}; a voice holds {limits.MAX_SAMPLES_PER_VOICE})"
            if ex.listed > limits.MAX_SAMPLES_PER_VOICE
            else ""
        )
        if ex.managed:  # one left out is said once, with its reason, in the result
            notes.info(one_line(f"{v.name} ({v.id}): {len(ex.files)} sample(s){capped}"))
    entries = adopt.lock_entries(exported, base)
    write_file(output, adopt.render_manifest(exported).encode("utf-8"))
    lockfile.write(lock_path, entries)
    return ExportResult(
        output,
        str(lock_path),
        [
            ExportedVoice(
                ex.voice.name,
                ex.voice.id,
                ex.engine,
                list(ex.files),
                ex.settings,
                ex.managed,
                ex.reason,
            )
            for ex in exported
        ],
    )
