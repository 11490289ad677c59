"""samples list/get/delete as plain operations: values in, a typed result out.

The command (bland_clone.cli.commands.samples) parses, asks for confirmation and renders;
nothing here prints or imports the command line.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.envelope import envelope
from ..core.errors import Declined, InputError, ServiceError
from ..core.files import check_writable, write_file
from . import session
from .session import Connection
from .voices import samples_to_delete

if TYPE_CHECKING:
    from ..api.client import Client, Voice
    from .notes import Notes
    from .voices import SamplesToDelete


@dataclass(frozen=True)
class SampleList:
    voice: Voice
    samples: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return envelope({"voice_id": self.voice.id, "samples": self.samples})


def list_samples(
    notes: Notes,
    voice: str,
    *,
    save_audio: str | None = None,
    force: bool = False,
    conn: Connection,
) -> SampleList:
    """A voice's samples; with ``save_audio`` (a folder) they are asked with their audio
    (``?include_audio=true``) and each is written to FOLDER/<sample id>.wav: in the result,
    ``path`` and ``bytes`` stand where the service's base64 was."""
    client = session.connect(notes, conn)
    v = client.find_voice(voice)
    if save_audio is None:
        return SampleList(v, client.voice_samples(v.id))
    return SampleList(
        v, _save_audio(client.voice_samples(v.id, include_audio=True), save_audio, force)
    )


def _save_audio(samples: list[dict[str, Any]], folder: str, force: bool) -> list[dict[str, Any]]:
    from ..api.transport import segment  # lazy: pulls in requests, urllib3

    os.makedirs(folder, exist_ok=True)
    out, writes = [], []
    for s in samples:
        encoded = s.get("audio", s.get("audio_data"))
        rest = {k: v for k, v in s.items() if k not in ("audio", "audio_data")}
        if not isinstance(encoded, str):
            out.append(rest | {"path": None, "bytes": 0})
            continue
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ServiceError(
                f"The service's audio for sample {segment(str(s.get('id')), 'sample id')} is not "
                "base64; nothing was written."
            ) from None
        path = os.path.join(folder, segment(str(s.get("id")), "sample id") + ".wav")
        check_writable(path, force)
        writes.append((path, data))
        out.append(rest | {"path": path, "bytes": len(data)})
    for path, data in writes:  # every check first: a refused file writes none
        write_file(path, data)
    return out


@dataclass(frozen=True)
class SampleText:
    voice_id: str
    sample_id: str
    transcription: str

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voice_id": self.voice_id,
                "sample_id": self.sample_id,
                "transcription": self.transcription,
            }
        )


def set_text(
    notes: Notes, voice: str, sample_id: str, transcription: str, *, conn: Connection
) -> SampleText:
    """Correct one sample's transcription (PATCH /v1/voices/{id}/samples); the sample is looked
    up first, so an unknown id sends nothing."""
    if not transcription.strip():
        raise InputError("The transcription is empty.")
    client = session.connect(notes, conn)
    v = client.find_voice(voice)
    _known_sample(client, v, sample_id)
    client.set_sample_text(v.id, sample_id, transcription)
    return SampleText(v.id, sample_id, transcription)


def _known_sample(client: Client, v: Voice, sample_id: str) -> None:
    ids = [str(s.get("id")) for s in client.voice_samples(v.id)]
    if sample_id not in ids:
        known = ", ".join(ids) or "none"
        raise InputError(f"Voice {v.name!r} has no sample {sample_id!r} (samples: {known}).")


@dataclass(frozen=True)
class SampleFile:
    voice_id: str
    sample_id: str
    path: str
    bytes: int
    source: Any

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voice_id": self.voice_id,
                "sample_id": self.sample_id,
                "path": self.path,
                "bytes": self.bytes,
                "source": self.source,
            }
        )


def get_sample(
    notes: Notes, voice: str, sample_id: str, output: str, *, force: bool, conn: Connection
) -> SampleFile:
    """Download one sample to ``output`` (refused when it exists, unless ``force``); a warning
    when the file's name says another format than what the service sent."""

    check_writable(output, force)
    client = session.connect(notes, conn)
    v = client.find_voice(voice)
    _known_sample(client, v, sample_id)
    size, source = client.sample_file(v.id, sample_id, output)
    _check_extension(notes, output)
    return SampleFile(v.id, sample_id, output, size, source)


def _check_extension(notes: Notes, path: str) -> None:
    """The file holds what the service sent: warn when its name says another format."""
    ext = os.path.splitext(path)[1].lower()
    if path == "-" or not ext:
        return
    with open(path, "rb") as f:
        head = f.read(12)
    kinds = {b"RIFF": ".wav", b"fLaC": ".flac", b"OggS": ".ogg", b"ID3": ".mp3"}
    sent = next((e for magic, e in kinds.items() if head.startswith(magic)), None)
    if sent is None and head[:1] == b"\xff" and head[1:2] >= b"\xe0":
        sent = ".mp3"
    if sent is not None and ext != sent and not (sent == ".wav" and ext == ".wave"):
        notes.warn(
            f"{path} holds {sent[1:].upper()} audio (what the service sent), "
            f"not {ext[1:].upper()}: name it {os.path.splitext(path)[0]}{sent}."
        )


@dataclass(frozen=True)
class SamplesDeleted:
    voice: Voice
    deleted: list[str]
    remaining: Any

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voice_id": self.voice.id,
                "deleted": self.deleted,
                "remaining": self.remaining,
            }
        )


def delete_samples(
    notes: Notes,
    voice: str,
    sample_ids: list[str],
    *,
    confirm: Callable[[SamplesToDelete], bool] | None = None,
    conn: Connection,
) -> SamplesDeleted:
    """Look the voice and every id up, ask ``confirm`` (when given), then delete. A refusal
    deletes nothing (InputError)."""

    client = session.connect(notes, conn)
    plan = samples_to_delete(client, voice, sample_ids)
    if confirm is not None and not confirm(plan):
        raise Declined("Nothing was deleted.")
    got = client.delete_samples(plan.voice.id, plan.sample_ids)
    return SamplesDeleted(plan.voice, plan.sample_ids, got.get("remaining"))
